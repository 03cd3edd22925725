"""Language stage: seeded langdetect on a bounded prefix, in a worker process."""

from __future__ import annotations

from typing import Any

from crawler.analysis import language_sample
from crawler.items import ArticleItem
from crawler.language import detect_language
from crawler.workers import WorkerUnavailable, get_executor, run_in_worker


class LanguagePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.prefix = crawler.settings.getint("RAQIB_LANGUAGE_PREFIX_CHARS", 2000)

    @classmethod
    def from_crawler(cls, crawler: Any) -> LanguagePipeline:
        return cls(crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.extraction_status != "ok":
            return item
        result = item.analysis.language if item.analysis is not None else None
        try:
            if result is None:
                sample = language_sample(item.title, item.text)
                result = await run_in_worker(get_executor(self.crawler), detect_language, sample, prefix_chars=self.prefix)
        except WorkerUnavailable:
            raise
        except Exception:  # noqa: BLE001 - an unknown language is recorded as such, the article is kept
            self.crawler.stats.inc_value("raqib/language/failed")
            return item
        item.language = result.language
        item.language_probability = result.probability
        self.crawler.stats.inc_value(f"raqib/language/{result.language or 'unknown'}")
        return item
