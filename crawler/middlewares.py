"""Downloader middlewares: refuse what must not be fetched, skip what is already stored, ask feeds
whether they changed.

The first two run on every request, including the ones the redirect middleware re-schedules, so a
redirect to another host or to a private address is refused exactly like a direct link to it. The
conditional-GET one sends a feed's, sitemap's or listing page's stored validators and turns a 304 into
"nothing new". Another is Scrapy's meta-refresh redirect, made cheap for the pages that have none.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.signals import fetch_failed
from crawler.urls import canonicalize_url, url_hash
from storage.polls import PollOutcome

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedRequest(IgnoreRequest):
    """A request the guard refused; ``reason`` is counted in stats and recorded in the crawl run."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def _networks(values: Any) -> list[IPNetwork]:
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values or []]


class UrlGuardMiddleware:
    """http/https only, the source's allowed domains only, and never a blocked network.

    A feed that links or redirects to another host, or a host that resolves into a private or
    link-local range, is refused with a reason.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.blocked = _networks(settings.getlist("RAQIB_BLOCKED_NETWORKS"))
        self.allowed = _networks(settings.getlist("RAQIB_ALLOWED_NETWORKS"))
        # Per-crawl cache: a host resolves once per crawl, not once per article.
        self._resolved: dict[str, list[ipaddress.IPv4Address | ipaddress.IPv6Address]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlGuardMiddleware:
        return cls(crawler)

    def _refuse(self, request: Request, reason: str, detail: str) -> RefusedRequest:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"raqib/refused/{reason}")
        self.crawler.signals.send_catch_log(
            fetch_failed, url=request.url, reason=f"refused_{reason}", detail=detail
        )
        logger.info("Refused %s: %s (%s)", request.url, reason, detail)
        return RefusedRequest(reason, detail)

    async def _addresses(self, host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        if host in self._resolved:
            return self._resolved[host]
        try:
            addrs = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.to_thread(socket.getaddrinfo, host, None, proto=socket.IPPROTO_TCP)
                addrs = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
            except OSError:
                addrs = []  # let the downloader report the DNS failure with its own reason
        self._resolved[host] = addrs
        return addrs

    def _blocked(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if any(addr in net for net in self.allowed):
            return False
        return any(addr in net for net in self.blocked)

    async def process_request(self, request: Request) -> None:
        if request.url in request.meta.get("redirect_urls", ()):
            raise self._refuse(request, "redirect_loop", " → ".join([*request.meta["redirect_urls"], request.url]))
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https"):
            raise self._refuse(request, "scheme", parts.scheme or "no scheme")
        host = (parts.hostname or "").lower()
        source = getattr(self.crawler.spider, "source", None)
        if source is not None and not source.allows_host(host):
            raise self._refuse(request, "offsite", f"{host} is not among {', '.join(source.allowed_domains)}")
        for addr in await self._addresses(host):
            if self._blocked(addr):
                raise self._refuse(request, "private_address", f"{host} resolves to {addr}")


class SkipStoredMiddleware:
    """Article requests whose URL (in any known alias form) is already stored are not downloaded."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredMiddleware:
        if not crawler.settings.getbool("RAQIB_SKIP_STORED", True):
            raise NotConfigured
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if not request.meta.get("raqib_article"):
            return
        store = getattr(self.crawler, "raqib_store", None)
        if store is None:
            return
        known_hash = request.meta.get("raqib_url_hash")
        # The spider hashed the URL it asked for; only a redirect's target needs hashing here.
        candidates = {known_hash} if known_hash and not request.meta.get("redirect_urls") else set()
        if not candidates:
            candidates.add(url_hash(canonicalize_url(request.url)))
            if known_hash:
                candidates.add(known_hash)
        if await store.any_known(candidates):
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("raqib/skip/already_stored")
            raise IgnoreRequest(f"already stored: {request.url}")


class NotModified(IgnoreRequest):
    """A poll answered 304: the page has not changed since it was last parsed; nothing to do."""


class ConditionalGetMiddleware:
    """Polls (feed, sitemap and listing requests, ``meta["raqib_poll"]``) carry the page's stored
    ``If-None-Match`` / ``If-Modified-Since``; a 304 to such a request never reaches the spider.

    A middleware, not the spiders: one place for all three spiders, and it sees every hop of a
    redirect (each hop gets its own URL's validators, never the previous hop's) and the response
    before the HTTP-error filter would turn a 304 into a failure. The spiders only say whether a 200
    parsed cleanly (``SourceSpider.poll_parsed``); validators are stored only then.

    Counted: ``raqib/poll/requests`` (every poll), ``raqib/poll/conditional`` (sent with validators),
    ``raqib/poll/not_modified`` (304s, also per source). A 304 reports the page's last listing again
    (``raqib/source/<name>/links``, ``newest_listed``): an unchanged page still lists it, and source
    health judges a source by what it lists. ``RAQIB_CONDITIONAL_GET = False`` sends no validators
    (polls are still counted and their validators still stored).
    """

    HEADERS = (b"If-None-Match", b"If-Modified-Since")

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("RAQIB_CONDITIONAL_GET", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if not request.meta.get("raqib_poll"):
            return
        stats = self.crawler.stats
        if stats is not None and not request.meta.get("redirect_urls") and not request.meta.get("retry_times"):
            stats.inc_value("raqib/poll/requests")
        # A redirected or retried request is a copy of the previous one, headers included: those
        # validators belong to the previous URL.
        for name in self.HEADERS:
            request.headers.pop(name, None)
        request.meta.pop("raqib_validators", None)
        store = getattr(self.crawler, "raqib_store", None)
        source = getattr(self.crawler.spider, "source", None)
        if not self.enabled or store is None or source is None:
            return
        found = (await store.validators(source)).get(url_hash(request.url))
        if found is None or not found.usable:
            return
        if found.etag:
            request.headers[b"If-None-Match"] = found.etag
        if found.last_modified:
            request.headers[b"If-Modified-Since"] = found.last_modified
        request.meta["raqib_validators"] = found
        if stats is not None:
            stats.inc_value("raqib/poll/conditional")

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        found = request.meta.get("raqib_validators")
        if response.status != 304 or found is None:
            return response
        source = request.meta.get("raqib_source", "")
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("raqib/poll/not_modified")
            stats.inc_value(f"raqib/source/{source}/not_modified")
            stats.inc_value(f"raqib/source/{source}/links", found.listed)
            if found.newest_listed:
                stats.max_value(f"raqib/source/{source}/newest_listed", found.newest_listed)
        store = getattr(self.crawler, "raqib_store", None)
        if store is not None:
            store.note_poll(PollOutcome(request.url, source, 304))
        raise NotModified(f"not modified: {request.url}")


class QuickMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirect, after a byte search for the tag.

    Scrapy decodes every HTML page to text to look for ``<meta http-equiv=refresh>`` in its first 4,096
    characters: a whole-page decode per article, in the crawl process, for a tag nearly no article
    page has. Those characters are within the first 16 KB in any single-byte or UTF-8 encoding; pages
    in UTF-16 or UTF-32 (a NUL byte near the start) still take Scrapy's path.
    """

    _HEAD_BYTES = 16 * 1024

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if isinstance(response, HtmlResponse):
            head = response.body[: self._HEAD_BYTES]
            # lower() + find, not a case-blind regex: the regex steps byte by byte through 16 KB.
            if b"\x00" not in head[:512] and b"refresh" not in head.lower():
                return response
        return super().process_response(request, response)
