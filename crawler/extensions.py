"""Crawl health, counted and recorded: every failure of a crawl ends up in its crawl_runs row."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler.signals import fetch_failed
from crawler.store import get_store

logger = logging.getLogger(__name__)
# A crawl of a broken site should not write megabytes of identical error rows.
MAX_ERRORS_PER_SPIDER = 2000


class CrawlRunRecorder:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.errors: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.fetch_failed, signal=fetch_failed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def _source(self) -> str:
        source = getattr(self.crawler.spider, "source", None)
        return source.name if source is not None else ""

    def _add(self, url: str, reason: str, detail: str) -> None:
        if len(self.errors) < MAX_ERRORS_PER_SPIDER:
            self.errors.append({"url": url, "source": self._source(), "reason": reason, "detail": detail[:500]})

    async def spider_opened(self, spider: Any) -> None:
        run_id = self.crawler.settings.get("RAQIB_CRAWL_RUN_ID")
        await get_store(self.crawler).prepare(spider.source, int(run_id) if run_id else None)

    def fetch_failed(self, url: str, reason: str, detail: str) -> None:
        self._add(url, reason, detail)

    def item_dropped(self, item: Any, response: Any, exception: DropItem, spider: Any = None) -> None:
        self._add(getattr(item, "requested_url", ""), "dropped", str(exception))

    def item_error(self, item: Any, response: Any, spider: Any = None, failure: Any = None) -> None:
        self._add(getattr(item, "requested_url", ""), "pipeline_error", repr(getattr(failure, "value", failure)))
        self.crawler.stats.inc_value("raqib/pipeline/error")

    async def spider_closed(self, spider: Any, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        pages = int(stats.get("raqib/articles/fetched", 0))
        stored = int(stats.get("raqib/store/inserted", 0))
        store = get_store(self.crawler)
        try:
            await store.report(stats, self.errors, pages, stored)
        except Exception:  # noqa: BLE001 - the crawl is over; losing the report must not lose the log
            logger.exception("could not record the crawl run's results")
        finally:
            store.close()
