"""The base of the generic spiders: one configured ``Source`` in, article requests out.

A spider discovers and downloads. It neither extracts, classifies nor writes to the database:
the item pipelines do that, in the order set in ``crawler/settings.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from crawler.dates import parse_iso_or_rfc
from crawler.forkserver import warm_forkserver
from crawler.items import ArticleItem
from crawler.middlewares import NotModified, RefusedRequest
from crawler.signals import fetch_failed
from crawler.sources import Source, SourcesError, load_sources, select_sources
from crawler.urls import canonicalize_url, url_hash
from crawler.workers import get_executor, start_workers
from storage.polls import PollOutcome

logger = logging.getLogger(__name__)


def failure_reason(failure: Failure) -> tuple[str, str]:
    """A short stable reason (for stats and the crawl run) and a human detail for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}", f"HTTP {exc.response.status}"
    if isinstance(exc, (DownloadTimeoutError, TimeoutError, TCPTimedOutError)):
        return "timeout", str(exc) or "download timed out"
    if isinstance(exc, (CannotResolveHostError, DNSLookupError)):
        return "dns", str(exc)
    if isinstance(exc, (DownloadConnectionRefusedError, ConnectionRefusedError)):
        return "connection_refused", str(exc)
    if isinstance(exc, (ResponseNeverReceived, ResponseDataLossError)):
        return "connection_lost", str(exc)
    if "larger than download max size" in str(exc):
        return "too_large", str(exc)
    if isinstance(exc, (DownloadCancelledError, CancelledError)):
        return "cancelled", str(exc) or "download cancelled (too large or stopped)"
    if isinstance(exc, DownloadFailedError):
        return "download_failed", str(exc)
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "max redirections" in text.lower():
            return "redirect_loop", text
        if "robots.txt" in text.lower():
            return "robots_forbidden", text
        return "ignored", text
    return type(exc).__name__.lower(), str(exc)


class SourceSpider(scrapy.Spider):
    """Configured by ``-a source=NAME`` (and ``-s RAQIB_SOURCES_FILE=...`` for another sources file)."""

    kind = ""
    source: Source

    def __init__(self, source: str | Source | None = None, raqib_seen: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._source_arg = source
        # Canonical URL hashes already requested in this crawl process. `raqib crawl` shares one set
        # between the spiders it runs, so a story listed in an outlet's feed, sitemap and sections
        # is downloaded once.
        self._seen: set[str] = raqib_seen if raqib_seen is not None else set()
        self._workers_started = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source = spider._resolve_source(crawler.settings.get("RAQIB_SOURCES_FILE"))
        # Scrapy reads these attributes for the download slot and the offsite check.
        spider.allowed_domains = list(spider.source.allowed_domains)
        # A lone `scrapy crawl` builds its pool on its first new article; its forkserver can warm up
        # from now on, while the feed downloads (`raqib crawl` has started it already).
        warm_forkserver()
        return spider

    def _resolve_source(self, sources_file: str | None) -> Source:
        arg = self._source_arg
        if isinstance(arg, Source):
            source = arg
        elif not arg:
            raise SourcesError(f"spider '{self.name}' needs a source: scrapy crawl {self.name} -a source=NAME")
        else:
            (source,) = select_sources(load_sources(sources_file), [arg])
        if source.kind != self.kind:
            raise SourcesError(f"source '{source.name}' is a {source.kind} source; run it with the '{source.kind}' spider")
        return source

    # -- requests --------------------------------------------------------------------------------
    def _meta(self, **extra: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {"raqib_source": self.source.name, **extra}
        politeness = self.source.politeness
        if politeness.download_timeout is not None:
            meta["download_timeout"] = politeness.download_timeout
        if politeness.concurrency is not None or politeness.download_delay is not None:
            meta["download_slot"] = self._source_slot()
        return meta

    def _source_slot(self) -> str:
        """A download slot of the source's own, carrying its concurrency and delay overrides.

        Scrapy reads per-slot settings when a slot is first used, so registering them before the
        first request is enough; the global per-domain settings still apply to other sources.
        """
        key = f"raqib-source:{self.source.name}"
        downloader = self.crawler.engine.downloader
        if key not in downloader.per_slot_settings:
            slot: dict[str, Any] = {}
            if self.source.politeness.concurrency is not None:
                slot["concurrency"] = self.source.politeness.concurrency
            if self.source.politeness.download_delay is not None:
                slot["delay"] = self.source.politeness.download_delay
            downloader.per_slot_settings[key] = slot
        return key

    def page_request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        """A request for a feed, sitemap or listing page: a poll, asked conditionally when its
        validators are stored (crawler.middlewares.ConditionalGetMiddleware)."""
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, meta=self._meta(raqib_poll=True), cb_kwargs=cb_kwargs
        )

    def poll_parsed(self, response: Response, ok: bool, listed: tuple[int, str | None] = (0, None)) -> None:
        """After parsing a polled page: keep its validators for the next poll only when it was a 200
        that parsed cleanly (a broken feed must not be answered "not modified" next time); ``listed``
        is what ``prefetch_known`` returned, reported again when the page answers 304."""
        store = getattr(self.crawler, "raqib_store", None)
        if store is None:
            return
        parsed = ok and response.status == 200
        headers = response.headers
        etag = headers.get(b"ETag")
        modified = headers.get(b"Last-Modified")
        store.note_poll(
            PollOutcome(
                url=response.url,
                source=self.source.name,
                status=response.status,
                parsed=parsed,
                etag=etag.decode("latin-1") if etag else None,
                last_modified=modified.decode("latin-1")[:64] if modified else None,
                listed=listed[0],
                newest_listed=listed[1],
            )
        )

    async def prefetch_known(self, urls: Iterable[str], dates: Iterable[str] = ()) -> tuple[int, str | None]:
        """Note what the page listed (for source health), then look all its article links up in one
        database query, so the skip-already-stored middleware need not ask once per link.

        A source whose items all came in through another source of the same outlet stores nothing
        new, yet is alive: health judges it by what it listed (``raqib/source/<name>/...`` stats).
        """
        urls = list(urls)
        stats = self.crawler.stats
        stats.inc_value(f"raqib/source/{self.source.name}/links", len(urls))
        parsed = [d for d in (parse_iso_or_rfc(x) for x in dates if x) if d is not None]
        newest = None
        if parsed:
            newest = max(parsed).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            stats.max_value(f"raqib/source/{self.source.name}/newest_listed", newest)
        store = getattr(self.crawler, "raqib_store", None)
        if store is not None:
            await store.prefetch(url_hash(canonicalize_url(u)) for u in urls)
        return len(urls), newest

    def article_requests(self, url: str, from_page: str = "", **hints: str) -> Iterator[scrapy.Request]:
        """At most one request per canonical article URL per crawl. ``from_page``: the polled page that
        listed it (its validators are not kept when this article fails transiently)."""
        canonical = canonicalize_url(url)
        key = url_hash(canonical)
        if key in self._seen:
            self.crawler.stats.inc_value("raqib/discover/duplicate_link")
            return
        self._seen.add(key)
        self.crawler.stats.inc_value("raqib/discover/articles")
        store = getattr(self.crawler, "raqib_store", None)
        if not (store is not None and store.known_now(key)):
            # Neither stored nor met before in this crawl: what the polls found new.
            self.crawler.stats.inc_value("raqib/poll/new_articles")
        if not self._workers_started and not (store is not None and store.known_now(key)):
            # Fork the workers from the warm forkserver now, while the first pages download, and not at
            # all for a crawl that finds nothing new.
            self._workers_started = True
            start_workers(
                get_executor(self.crawler),
                self.crawler.settings.getint("RAQIB_WORKERS", 1),
                self.crawler.settings.get("RAQIB_RULES_DIR") or None,
            )
        # dont_filter: the set above already dedups; Scrapy's dupefilter would otherwise silently cut
        # a redirect loop short instead of letting it be recorded as one.
        yield scrapy.Request(
            url,
            dont_filter=True,
            callback=self.parse_article,
            errback=self.on_error,
            meta=self._meta(raqib_article=True, raqib_url_hash=key, raqib_from_page=from_page),
            cb_kwargs={"canonical": canonical, "key": key, "hints": hints},
        )

    def parse_article(self, response: Response, canonical: str, key: str, hints: dict[str, str]) -> ArticleItem:
        self.crawler.stats.inc_value("raqib/articles/fetched")
        final = response.url
        aliases = [response.request.meta.get("redirect_urls", [None])[0] or response.request.url, final]
        status = response.status
        item = ArticleItem(
            source=self.source.name,
            requested_url=aliases[0],
            canonical_url=canonical,
            url_hash=key,
            crawled_at=datetime.now(UTC),
            final_url=final,
            http_status=status,
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
            body=response.body if status == 200 else None,
            hint_title=hints.get("title", ""),
            hint_published_raw=hints.get("published", ""),
            hint_summary=hints.get("summary", ""),
            hint_author=hints.get("author", ""),
            hint_language=hints.get("language", "") or self.source.language,
            aliases=[a for a in dict.fromkeys(aliases) if a],
        )
        if status != 200:
            # Gone pages are stored as such so the next crawl does not fetch them again.
            item.extraction_status = f"http_{status}"
            item.extraction_error = f"HTTP {status}"
            self._report(response.url, f"http_{status}", f"HTTP {status}")
        return item

    # -- failures --------------------------------------------------------------------------------
    def _report(self, url: str, reason: str, detail: str) -> None:
        self.crawler.stats.inc_value(f"raqib/fetch/failed/{reason}")
        self.crawler.signals.send_catch_log(fetch_failed, url=url, reason=reason, detail=detail)

    def on_error(self, failure: Failure) -> None:
        if isinstance(failure.value, (RefusedRequest, NotModified)):
            return  # the guard has counted and recorded it; a 304 is "nothing new", counted
        request = getattr(failure, "request", None)
        url = request.url if request is not None else ""
        reason, detail = failure_reason(failure)
        if reason == "ignored" and "already stored" in detail:
            return
        page = request.meta.get("raqib_from_page") if request is not None else None
        store = getattr(self.crawler, "raqib_store", None)
        final = isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, HttpError)
        if page and store is not None and not final:
            store.poll_incomplete(page)  # refusals and robots.txt are final; a timeout or a 5xx is not
        logger.warning("%s failed: %s (%s)", url, reason, detail)
        self._report(url, reason, detail)

    def report_page_problem(self, url: str, reason: str, detail: str) -> None:
        """For spiders: a feed/sitemap/listing page that was fetched but could not be (fully) used."""
        logger.warning("%s: %s (%s)", url, reason, detail)
        self._report(url, reason, detail)
