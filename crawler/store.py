"""The crawl's bridge to storage: async wrappers that run the blocking SQLAlchemy work in threads.

Storage knows nothing of Scrapy; this module is where the two meet. One ``CrawlStore`` per crawler,
reached with ``get_store(crawler)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from crawler.sources import Source
from storage import polls
from storage import repository as repo
from storage.db import make_engine, resolve_database_url, session_factory, unit_of_work


class CrawlStore:
    def __init__(self, database_url: str | None) -> None:
        self.url = resolve_database_url(database_url)
        self.engine = make_engine(self.url)
        self.sessions = session_factory(self.engine)
        # Lookups never take SQLite's write lock, so they do not queue behind the batch writer.
        self.readers = session_factory(self.engine, read_only=True)
        self.run_id: int | None = None
        self.owns_run = False
        # URL hashes already looked up in this crawl, and those of them that are stored. A feed page
        # checks all its links in one query (prefetch); the skip middleware then answers from here.
        self._checked: set[str] = set()
        self._known_hashes: set[str] = set()
        # Conditional GET: the source's stored validators, loaded once (on the first poll), and this
        # crawl's poll outcomes, written when the spider closes.
        self._validators: dict[str, polls.Validators] | None = None
        self._validators_lock: asyncio.Lock | None = None
        self._polls: list[polls.PollOutcome] = []
        # Polled pages an article of which failed transiently (timeout, 5xx): their validators are not
        # kept, so the next poll parses them again and asks for that article again.
        self._incomplete_pages: set[str] = set()

    # -- sync work (runs in a thread) -----------------------------------------------------------
    def _known_set(self, hashes: set[str]) -> set[str]:
        with self.readers() as session:
            return repo.known_url_hashes(session, hashes)

    def _prepare(self, source: Source, run_id: int | None) -> int:
        with unit_of_work(self.sessions) as session:
            repo.upsert_sources(
                session,
                [repo.SourceRecord(source.name, source.outlet, source.country, source.language, source.kind)],
            )
            if run_id is None:
                run_id = repo.start_crawl_run(session, [source.name])
                self.owns_run = True
            return run_id

    def _load_validators(self, source: str, urls: Sequence[str]) -> dict[str, polls.Validators]:
        with self.readers() as session:
            return polls.load_validators(session, source, urls)

    def _store(self, records: Sequence[repo.ArticleRecord]) -> repo.StoreResult:
        with unit_of_work(self.sessions) as session:
            return repo.store_articles(session, records, self.run_id)

    def _report(self, stats: dict[str, Any], errors: list[dict[str, Any]], pages: int, stored: int, status: str | None) -> None:
        assert self.run_id is not None
        with unit_of_work(self.sessions) as session:
            repo.add_crawl_results(
                session, self.run_id, stats=stats, errors=errors, pages_fetched=pages, articles_stored=stored
            )
            if status is not None:
                repo.finish_crawl_run(session, self.run_id, status=status)
        if self._polls:
            # A page's validators say "everything it lists is handled": not so when the crawl was cut
            # short, when the database refused articles (spilled: the next crawl must fetch them), or
            # when one of its articles failed transiently.
            complete = stats.get("finish_reason") == "finished" and not stats.get("raqib/store/spilled")
            outcomes = [
                o if o.status == 304 or (complete and o.url not in self._incomplete_pages) else replace(o, parsed=False)
                for o in self._polls
            ]
            # Apart from the results: a poll write that fails costs the next crawl a full fetch, no more.
            with unit_of_work(self.sessions) as session:
                polls.record_polls(session, outcomes)
            self._polls = []

    # -- async API -------------------------------------------------------------------------------
    async def prefetch(self, hashes: Iterable[str]) -> None:
        """Look up many URL hashes in one query (chunked), remembering the answer for this crawl."""
        todo = set(hashes) - self._checked
        if todo:
            found = await asyncio.to_thread(self._known_set, todo)
            self._known_hashes |= found
            self._checked |= todo

    def known_now(self, url_hash: str) -> bool:
        """True when a prefetch has already shown this hash stored (no database access)."""
        return url_hash in self._known_hashes

    async def any_known(self, hashes: Iterable[str]) -> bool:
        wanted = set(hashes)
        if not wanted <= self._checked:
            await self.prefetch(wanted)
        return bool(wanted & self._known_hashes)

    async def validators(self, source: Source) -> dict[str, polls.Validators]:
        """The stored validators of the source's pages and start URLs, by URL hash: one query per
        crawl, on the first poll that asks."""
        if self._validators is None:
            if self._validators_lock is None:
                self._validators_lock = asyncio.Lock()
            async with self._validators_lock:
                if self._validators is None:
                    self._validators = await asyncio.to_thread(
                        self._load_validators, source.name, list(source.start_urls)
                    )
        return self._validators

    def note_poll(self, outcome: polls.PollOutcome) -> None:
        """Remember one poll's outcome; written with the crawl's results (``report``)."""
        self._polls.append(outcome)

    def poll_incomplete(self, page_url: str) -> None:
        """An article listed by this polled page failed transiently: do not keep the page's validators."""
        self._incomplete_pages.add(page_url)

    async def prepare(self, source: Source, run_id: int | None) -> int:
        self.run_id = await asyncio.to_thread(self._prepare, source, run_id)
        return self.run_id

    async def store(self, records: Sequence[repo.ArticleRecord]) -> repo.StoreResult:
        return await asyncio.to_thread(self._store, records)

    async def report(self, stats: dict[str, Any], errors: list[dict[str, Any]], pages: int, stored: int) -> None:
        status = "finished" if self.owns_run else None
        await asyncio.to_thread(self._report, stats, errors, pages, stored, status)

    def close(self) -> None:
        self.engine.dispose()


def get_store(crawler: Any) -> CrawlStore:
    store = getattr(crawler, "raqib_store", None)
    if store is None:
        store = CrawlStore(crawler.settings.get("RAQIB_DATABASE_URL"))
        crawler.raqib_store = store
    return store
