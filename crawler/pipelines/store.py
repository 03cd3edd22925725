"""Store stage: batched, idempotent writes; a failed write is retried, then spilled, never dropped."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from crawler.items import ArticleItem
from crawler.signals import fetch_failed
from crawler.store import get_store
from crawler.template_learning import get_learner
from storage import repository as repo
from storage.db import default_data_dir

logger = logging.getLogger(__name__)
RETRY_DELAYS = (0.5, 2.0, 5.0)


def to_record(item: ArticleItem) -> repo.ArticleRecord:
    item.analysis = None  # transient worker results; the fields below carry what is kept
    classification = None
    if item.classification:
        c = item.classification
        classification = repo.ClassificationRecord(
            label=c["label"],
            score=float(c["score"]),
            rules=list(c.get("rules", [])),
            matches=list(c.get("matches", [])),
            snippets=list(c.get("snippets", [])),
            rules_version=c.get("rules_version", ""),
        )
    return repo.ArticleRecord(
        url_hash=item.url_hash,
        canonical_url=item.canonical_url,
        requested_url=item.requested_url,
        final_url=item.final_url or item.requested_url,
        http_status=item.http_status,
        title=item.title,
        text=item.text,
        summary=item.summary,
        author=item.author,
        sitename=item.sitename,
        published_at=item.published_at,
        published_at_raw=item.published_at_raw,
        date_confidence=item.date_confidence,
        fetched_at=item.crawled_at,
        encoding=item.encoding,
        language=item.language,
        language_probability=item.language_probability,
        content_hash=item.content_hash,
        extraction_status=item.extraction_status or "ok",
        extraction_error=item.extraction_error,
        source_name=item.source,
        aliases=list(item.aliases),
        classification=classification,
    )


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("RAQIB_STORE_BATCH_SIZE", 50)
        self.flush_seconds = crawler.settings.getfloat("RAQIB_STORE_FLUSH_SECONDS", 2.0)
        self.buffer: list[repo.ArticleRecord] = []
        self.last_flush = time.monotonic()
        self.lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        self.buffer.append(to_record(item))
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.last_flush > self.flush_seconds:
            await self.flush()
        return item

    async def close_spider(self) -> None:
        await self.flush()
        # After the last batch is stored: bodies stored before the host's template was learned are
        # cleaned again (crawler/template_learning.py).
        await get_learner(self.crawler).finish(self.crawler.stats)

    async def flush(self) -> None:
        async with self.lock:
            batch, self.buffer = self.buffer, []
            self.last_flush = time.monotonic()
            if not batch:
                return
            stats = self.crawler.stats
            for attempt, delay in enumerate((*RETRY_DELAYS, None)):
                try:
                    result = await get_store(self.crawler).store(batch)
                except Exception as exc:  # noqa: BLE001 - locked/unreachable database: retry, then spill
                    if delay is None:
                        self._spill(batch, exc)
                        return
                    logger.warning("storing %d articles failed (%s); retry %d in %.1fs", len(batch), exc, attempt + 1, delay)
                    stats.inc_value("raqib/store/retries")
                    await asyncio.sleep(delay)
                    continue
                stats.inc_value("raqib/store/inserted", result.inserted)
                stats.inc_value("raqib/store/skipped", result.skipped)
                return

    def _spill(self, batch: list[repo.ArticleRecord], exc: Exception) -> None:
        """Write what could not be stored to a JSON-lines file, so the work is not lost; the pages are
        not marked stored either, so the next crawl fetches them again."""
        directory = Path(self.crawler.settings.get("RAQIB_SPILL_DIR") or default_data_dir() / "spill")
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"unstored-{int(time.time())}-{id(batch):x}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for record in batch:
                fh.write(json.dumps(asdict(record), ensure_ascii=False, default=str) + "\n")
        self.crawler.stats.inc_value("raqib/store/spilled", len(batch))
        reason = f"database write failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        logger.error("%s; %d articles saved to %s", reason, len(batch), path)
        for record in batch:
            self.crawler.signals.send_catch_log(fetch_failed, url=record.requested_url, reason="store_failed", detail=f"{reason}; spilled to {path}")
