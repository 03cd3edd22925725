"""Dedup stage: one item per canonical URL per crawl; exact copies under other URLs marked.

Copies already in the database are resolved by the store (unique URL hash, content hash lookup);
this stage catches what arrives twice within one crawl, before it costs a write.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem


class DedupPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.urls: set[str] = set()
        self.contents: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        stats = self.crawler.stats
        if item.url_hash in self.urls:
            stats.inc_value("raqib/dedup/skipped")
            raise DropItem(f"duplicate URL in this crawl: {item.canonical_url}")
        self.urls.add(item.url_hash)
        if item.extraction_status == "ok" and item.content_hash:
            first = self.contents.setdefault(item.content_hash, item.canonical_url)
            if first != item.canonical_url:
                stats.inc_value("raqib/dedup/content_duplicate")
                item.extraction_status = "duplicate"
                item.extraction_error = f"same text as {first}"
        return item
