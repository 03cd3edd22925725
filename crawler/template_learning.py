"""The crawl's side of template learning: one memory per host, loaded from storage, learned from every
page, merged back when a spider closes.

Workers never touch the database: the extract stage asks :meth:`TemplateLearner.context_for` for the
host's known chrome (loaded once per host and crawl) and hands it to the worker with the page; the
worker sends back the page's remaining blocks, which :meth:`observe` counts. A block becomes chrome
during a crawl once it has appeared on enough distinct stories, so the first pages of a new outlet
were cleaned without it: :meth:`finish` strips the newly learned blocks from the bodies stored in this
crawl and classifies them again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from crawler.chrome import ChromeContext, TemplateMemory, story_key, strip_lines
from crawler.chrome.overrides import ExtractOverride
from crawler.chrome.templates import DEFAULT_THRESHOLD, Candidate

logger = logging.getLogger(__name__)
MAX_PENDING = 20_000  # pages of this crawl that a block learned later may still be stripped from
MAX_SINGLETONS_SAVED = 2000  # blocks seen on one story only: the most recent are kept for the next crawl


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


@dataclass
class _Pending:
    url_hash: str
    host: str
    units: frozenset[int]
    applied: frozenset[int] = frozenset()  # learned blocks already stripped from the stored body


@dataclass
class TemplateLearner:
    database_url: str | None
    threshold: int = DEFAULT_THRESHOLD
    enabled: bool = True
    rules_dir: str | None = None  # the classify stage's rules, for bodies judged again
    memories: dict[str, TemplateMemory] = field(default_factory=dict)
    _snapshots: dict[str, tuple[int, frozenset[int]]] = field(default_factory=dict)
    _pending: list[_Pending] = field(default_factory=list)
    _loading: dict[str, asyncio.Future] = field(default_factory=dict)
    # One finish at a time: spiders closing together must not take each other's pending pages.
    _finishing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _sessions: Any = None
    _engine: Any = None

    # -- storage (in threads) ---------------------------------------------------------------------
    def _session_factory(self) -> Any:
        if self._sessions is None:
            from storage.db import make_engine, resolve_database_url, session_factory

            self._engine = make_engine(resolve_database_url(self.database_url))
            self._sessions = session_factory(self._engine)
        return self._sessions

    def _load(self, host: str) -> TemplateMemory:
        from storage.db import unit_of_work
        from storage.templates import load_template

        memory = TemplateMemory(host, self.threshold)
        with unit_of_work(self._session_factory()) as session:
            stored = load_template(session, host, self.threshold)
        memory.known = set(stored.known)
        memory.candidates = {
            fp: Candidate(keys=set(b.story_keys), sample=b.sample) for fp, b in stored.candidates.items()
        }
        return memory

    # -- per page ---------------------------------------------------------------------------------
    async def context_for(self, url: str, override: ExtractOverride | None) -> ChromeContext:
        if not self.enabled:
            return ChromeContext(override=override)
        host = host_of(url)
        memory = self.memories.get(host)
        if memory is None:
            loading = self._loading.get(host)
            if loading is None:
                loading = self._loading[host] = asyncio.ensure_future(asyncio.to_thread(self._load, host))
            try:
                memory = await asyncio.shield(loading)
            except Exception as exc:  # noqa: BLE001 - an unreachable database must not stop extraction
                logger.warning("template blocks of %s could not be loaded (%s); learning from scratch", host, exc)
                memory = TemplateMemory(host, self.threshold)
            memory = self.memories.setdefault(host, memory)
        size, snapshot = self._snapshots.get(host, (-1, frozenset()))
        if size != len(memory.known):
            snapshot = frozenset(memory.known)
            self._snapshots[host] = (len(memory.known), snapshot)
        return ChromeContext(known=snapshot, override=override)

    def observe(self, url: str, url_hash: str, title: str, units: list[tuple[int, str]]) -> int:
        """Learn from one page's blocks; returns how many became chrome."""
        if not self.enabled or not units:
            return 0
        host = host_of(url)
        memory = self.memories.get(host)
        if memory is None:
            memory = self.memories[host] = TemplateMemory(host, self.threshold)
        became = memory.observe(story_key(title, url_hash), units)
        self._pending.append(_Pending(url_hash, host, frozenset(fp for fp, _ in units)))
        return len(became)

    # -- at the end -------------------------------------------------------------------------------
    def _changes(self) -> dict[str, list]:
        from storage.templates import BlockRecord

        out: dict[str, list] = {}
        for host, memory in self.memories.items():
            learned, singles = [], []
            for fp, cand in memory.candidates.items():
                if not cand.changed:
                    continue
                cand.changed = False
                record = BlockRecord(fp, sorted(cand.keys), cand.sample)
                (learned if len(cand.keys) > 1 else singles).append(record)
            out[host] = learned + singles[-MAX_SINGLETONS_SAVED:]
        return out

    def _save(self, changes: dict[str, list], recheck: list[tuple[_Pending, dict[int, str]]]) -> tuple[int, list]:
        from storage.db import unit_of_work
        from storage.templates import forget_stale, save_template

        with unit_of_work(self._session_factory()) as session:
            for host, blocks in changes.items():
                if blocks:
                    save_template(session, host, blocks, self.threshold)
                forget_stale(session, host, self.threshold)
        return self._reclean(recheck)

    def _reclean(self, recheck: list[tuple[_Pending, dict[int, str]]]) -> tuple[int, list]:
        """Strip blocks learned after a page was cleaned from its stored body, and judge it again."""
        from storage.db import unit_of_work
        from storage.templates import article_for_recleaning, replace_body

        recleaned, again = 0, []
        # Found pages stay pending with what was applied: a block learned later may be theirs too.
        classifier = None
        for pending, chrome in recheck:
            with unit_of_work(self._session_factory()) as session:
                article = article_for_recleaning(session, pending.url_hash)
                if article is None:
                    again.append(pending)
                    continue
                again.append(replace(pending, applied=pending.applied | frozenset(chrome)))
                text, dropped = strip_lines(article.text, chrome)
                if not dropped:
                    continue
                decision = None
                if article.classified:
                    if classifier is None:
                        from classifiers import load_classifier

                        classifier = load_classifier(self.rules_dir)
                    decision = classifier.classify(text, title=article.title, language=article.language).to_dict()
                replace_body(session, article.id, text, decision)
                recleaned += 1
        return recleaned, again

    def _take_pending(self) -> tuple[dict[str, list], list[tuple[_Pending, dict[int, str]]]]:
        changes = self._changes()
        recheck, waiting = [], []
        for pending in self._pending:
            memory = self.memories[pending.host]
            chrome = {
                fp: memory.learned_now[fp]
                for fp in pending.units - pending.applied
                if fp in memory.learned_now
            }
            # A page none of whose blocks is chrome yet may hold one that a later page teaches.
            (recheck if chrome else waiting).append((pending, chrome) if chrome else pending)
        self._pending = waiting[-MAX_PENDING:]
        return changes, recheck

    async def finish(self, stats: Any = None) -> None:
        """Save what was learned and re-clean this crawl's bodies that now hold learned chrome."""
        if not self.enabled or not self.memories:
            return
        async with self._finishing:
            changes, recheck = self._take_pending()
            try:
                recleaned, again = await asyncio.to_thread(self._save, changes, recheck)
            except Exception as exc:  # noqa: BLE001 - learning is an aid; the crawl's articles are stored
                logger.warning("template blocks could not be saved: %s", exc)
                return
            # Pages not stored yet (another spider's) and pages cleaned now: looked at again later.
            self._pending.extend(again)
            del self._pending[:-MAX_PENDING]
        if stats is not None:
            stats.inc_value("raqib/chrome/template/recleaned", recleaned)

    def drain(self) -> int:
        """After every spider has closed (and stored): the last pages still waiting are re-cleaned."""
        if not self.enabled or not self.memories:
            return 0
        changes, recheck = self._take_pending()
        try:
            recleaned, _ = self._save(changes, recheck)  # pages still not stored now never will be
        except Exception as exc:  # noqa: BLE001 - learning is an aid; the crawl's articles are stored
            logger.warning("template blocks could not be saved: %s", exc)
            return 0
        return recleaned

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = self._sessions = None


def get_learner(crawler: Any) -> TemplateLearner:
    """The run's shared learner (``raqib crawl`` hands one to every spider), else the crawler's own."""
    shared = getattr(getattr(crawler, "spider", None), "raqib_templates", None)
    if shared is not None:
        return shared
    own = getattr(crawler, "_raqib_templates", None)
    if own is None:
        settings = crawler.settings
        own = TemplateLearner(
            settings.get("RAQIB_DATABASE_URL"),
            threshold=settings.getint("RAQIB_CHROME_TEMPLATE_THRESHOLD", DEFAULT_THRESHOLD),
            enabled=settings.getbool("RAQIB_CHROME_LEARN", True),
            rules_dir=settings.get("RAQIB_RULES_DIR") or None,
        )
        crawler._raqib_templates = own
    return own
