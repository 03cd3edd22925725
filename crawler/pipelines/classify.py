"""Classify stage: the rule classifier on accepted languages, in a worker process."""

from __future__ import annotations

from typing import Any

from crawler.items import ArticleItem
from crawler.signals import fetch_failed
from crawler.worker_process import classify_in_worker
from crawler.workers import WorkerUnavailable, get_executor, run_in_worker


class ClassifyPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.languages = set(crawler.settings.getlist("RAQIB_ACCEPTED_LANGUAGES", ["ar", "en", "fr"]))
        self.rules_dir = crawler.settings.get("RAQIB_RULES_DIR") or None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ClassifyPipeline:
        return cls(crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        stats = self.crawler.stats
        if item.extraction_status != "ok":
            return item
        if item.language not in self.languages:
            stats.inc_value("raqib/classify/skipped_language")
            return item
        analysis = item.analysis
        try:
            if analysis is not None and analysis.classification_error:
                raise RuntimeError(analysis.classification_error)
            if analysis is not None and analysis.classification is not None:
                item.classification = analysis.classification
            else:
                item.classification = await run_in_worker(
                    get_executor(self.crawler), classify_in_worker, self.rules_dir, item.text, item.title, item.language
                )
        except WorkerUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - store the article unclassified; `raqib reclassify` catches up
            stats.inc_value("raqib/classify/failed")
            self.crawler.signals.send_catch_log(
                fetch_failed, url=item.requested_url, reason="classify_failed", detail=f"{exc}"
            )
            return item
        stats.inc_value(f"raqib/classify/{item.classification['label']}")
        return item
