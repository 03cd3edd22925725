"""Generic sitemap spider: sitemap indexes, plain sitemaps and Google News sitemaps.

Entries older than the source's ``max_age_days`` are skipped before download: a news sitemap of a
big outlet lists thousands of old URLs and only the recent ones are news.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy.http import Response

from crawler.dates import parse_iso_or_rfc
from crawler.feeds import parse_feed
from crawler.spiders.base import SourceSpider

# A sitemap index may nest; deeper than this is a loop or a mistake.
MAX_INDEX_DEPTH = 3


class SitemapSpider(SourceSpider):
    name = "sitemap"
    kind = "sitemap"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.page_request(url, self.parse_sitemap, depth=0)

    async def parse_sitemap(self, response: Response, depth: int) -> AsyncIterator[Any]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        doc = parse_feed(response.body, response.url, content_type)
        self.crawler.stats.inc_value(f"raqib/sitemap/{doc.kind}")
        if doc.problem:
            self.report_page_problem(response.url, "broken_sitemap", doc.problem)
        if doc.kind == "sitemapindex":
            # An index is fetched in full every time: it is small, and many sites leave it unchanged
            # while its children change, so a 304 on it would hide their new entries.
            self.poll_parsed(response, ok=False)
            if depth >= MAX_INDEX_DEPTH:
                self.report_page_problem(response.url, "sitemap_too_deep", f"index nested deeper than {MAX_INDEX_DEPTH}")
                return
            for child in doc.sitemaps:
                yield self.page_request(child, self.parse_sitemap, depth=depth + 1)
            return
        oldest = datetime.now(UTC) - timedelta(days=self.source.max_age_days)
        recent = []
        for entry in doc.entries:
            published = parse_iso_or_rfc(entry.published) if entry.published else None
            if published is not None and published < oldest:
                self.crawler.stats.inc_value("raqib/sitemap/too_old")
                continue
            recent.append(entry)
        listed = await self.prefetch_known([e.url for e in recent], [e.published for e in recent])
        self.poll_parsed(response, ok=not doc.problem, listed=listed)
        for entry in recent:
            for request in self.article_requests(
                entry.url, from_page=response.url, title=entry.title, published=entry.published, language=entry.language
            ):
                yield request
