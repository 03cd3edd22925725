"""Maps a request path to a response. Pure: no sockets here, so the server stays a thin shell."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from .bench import BenchPages
from .chrome_corpus import corpus_entries, corpus_feeds
from .links import SiteLinks
from .model import Entry, SiteContent
from .pages import Rendered, Renderer

HTML = "text/html; charset=utf-8"

# The smallest well-formed PDF and PNG: enough for a client to sniff and a crawler to refuse.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a1b2"
    "e30000000049454e44ae426082"
)
CSS = b"body{font-family:Tahoma,Arial,sans-serif;margin:0}.ad-slot{background:#eee}.sidebar{width:300px}\n"
NOT_FOUND = (
    '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>404 - الصفحة غير موجودة</title>'
    "</head><body><h1>عذراً، الصفحة المطلوبة غير موجودة</h1><p>ربما حُذفت أو تغير رابطها.</p>"
    '<a href="/">العودة إلى الرئيسية</a></body></html>'
).encode()
SERVER_ERROR = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>500 Internal Server Error</title></head>'
    b"<body><h1>Internal Server Error</h1><p>Database connection failed (demo).</p></body></html>"
)
STATIC_PAGE = (
    '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>صفحة ثابتة</title></head>'
    "<body><h1>صفحة ثابتة</h1><p>محتوى تعريفي بالموقع.</p></body></html>"
).encode()


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = field(default=())
    delay: float = 0.0  # seconds to wait before answering (the slow-page trap)

    @classmethod
    def of(cls, rendered: Rendered | None) -> Response:
        if rendered is None:
            return cls(404, NOT_FOUND)
        return cls(200, rendered.body, rendered.content_type)


def conditional(response: Response, if_none_match: str | None, if_modified_since: str | None) -> Response:
    """A 304 when a GET's validators match the page's (RFC 9110 §13: If-None-Match first, weak
    comparison; If-Modified-Since only without it), else the response itself."""
    if response.status != 200:
        return response
    headers = dict(response.headers)
    etag, modified = headers.get("ETag"), headers.get("Last-Modified")
    if etag is None and modified is None:
        return response
    if if_none_match is not None:
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        match = etag is not None and ("*" in wanted or etag.removeprefix("W/") in wanted)
    elif if_modified_since and modified:
        try:
            match = parsedate_to_datetime(modified) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            match = False
    else:
        match = False
    if not match:
        return response
    kept = tuple((k, v) for k, v in response.headers if k in ("ETag", "Last-Modified"))
    return Response(304, b"", response.content_type, kept)


def redirect(location: str, status: int = 302) -> Response:
    body = f'<html><body>Moved: <a href="{location}">{location}</a></body></html>'.encode()
    return Response(status, body, headers=(("Location", location),))


def loop_partner(e: Entry) -> str:
    """The second URL of the redirect loop (never linked; only reached by following the loop)."""
    return e.path[: -len(".html")] + "-2.html"


class SiteApp:
    """Everything 127.0.0.1 serves."""

    def __init__(
        self, content: SiteContent, links: SiteLinks, *, slow_seconds: float, bench: int = 0
    ) -> None:
        self.content = content
        self.links = links
        self.slow_seconds = slow_seconds
        self.renderer = Renderer(content, links)
        self.bench = BenchPages(content, self.renderer, bench) if bench else None
        site_entries = [e for e in content.entries if e.kind not in {"offsite", "private"}]
        self.by_path: dict[str, Entry] = {e.path: e for e in site_entries}
        self.loops = {loop_partner(e): e for e in site_entries if e.kind == "redirect_loop"}
        self.amp_paths = {e.amp_path: e for e in site_entries if e.amp and e.outlet == "nile"}
        self.print_paths = {e.print_path: e for e in site_entries if e.print_link}
        self._cache: dict[tuple[str, str], Response] = {}
        self.corpus = CorpusRoutes(links.base, content.today)
        # Feeds, sitemaps and section pages carry validators: an ETag of their bytes, and the moment
        # they last changed (the feeds' build time until `publish` changes some of them).
        self.changed_at = self.renderer.built
        self._versions: dict[tuple[str, str], tuple[str, datetime]] = {}

    def robots_txt(self) -> bytes:
        base = self.links.base
        lines = [
            "# robots.txt of the Raqib demo site",
            "User-agent: *",
            "Disallow: /nile/print/",
            "Disallow: /sada/members/",
            "Disallow: /search",
            "Disallow: /ads/",
            "",
            "User-agent: GPTBot",
            "Disallow: /",
            "",
            f"Sitemap: {base}/nile/sitemap-index.xml",
            f"Sitemap: {base}/sada/sitemap-news.xml",
        ]
        if self.bench:
            lines.append(f"Sitemap: {base}/bench/sitemap.xml")
        return ("\n".join(lines) + "\n").encode()

    def __call__(self, target: str) -> Response:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith("/bench/"):
            return self._bench(path)
        if path.startswith("/corpus/"):
            answer = self.corpus(target)
            return self._validated((path, ""), answer) if path in self.corpus.feeds else answer
        key = (path, "amp" if query.get("amp") == ["1"] else query.get("page", ["1"])[0])
        cached = self._cache.get(key)
        if cached is None:
            cached = self._route(path, query)
            if self._polled(path):
                cached = self._validated(key, cached)
            self._cache[key] = cached  # the site is static until `publish`: each (path, variant) renders once
        return cached

    def _polled(self, path: str) -> bool:
        """Feeds, sitemaps and section pages: what a crawler polls."""
        return path.endswith((".xml", ".json")) or "/section/" in path

    def _validated(self, key: tuple[str, str], response: Response) -> Response:
        if response.status != 200:
            return response
        etag = '"' + hashlib.sha256(response.body).hexdigest()[:20] + '"'
        known = self._versions.get(key)
        changed = known[1] if known is not None and known[0] == etag else self.changed_at
        self._versions[key] = (etag, changed)
        headers = (("ETag", etag), ("Last-Modified", format_datetime(changed.astimezone(UTC), usegmt=True)))
        return replace(response, headers=response.headers + headers)

    def publish(self, entry: Entry) -> None:
        """Add a story to the site (tests of polling: its channels' feeds change, nothing else does).
        Call it between crawls: pages render again on their next request."""
        if entry.path in self.by_path:
            raise ValueError(f"demo site: {entry.path} exists already")
        self.content = replace(self.content, entries=(*self.content.entries, entry))
        self.renderer = Renderer(self.content, self.links)
        self.by_path[entry.path] = entry
        # Last-Modified has a one-second resolution: a change must move it past the previous one.
        now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        self.changed_at = max(now, self.changed_at + timedelta(seconds=1))
        self._cache.clear()

    def _bench(self, path: str) -> Response:
        if self.bench is None:
            return Response(404, NOT_FOUND)
        if path == "/bench/sitemap.xml":
            return Response(200, self.bench.sitemap(), "application/xml; charset=utf-8")
        m = re.fullmatch(r"/bench/article/(\d+)\.html", path)
        body = self.bench.page(int(m.group(1))) if m else None
        return Response(200, body) if body is not None else Response(404, NOT_FOUND)

    def _route(self, path: str, query: dict[str, list[str]]) -> Response:
        r = self.renderer
        outlets = self.content.outlets
        if path == "/":
            return Response.of(r.index())
        if path == "/robots.txt":
            return Response(200, self.robots_txt(), "text/plain; charset=utf-8")
        if path.startswith("/static/"):
            return self._static(path)
        entry = self.by_path.get(path)
        if entry is not None:
            return self._entry(entry, query)
        if path in self.loops:
            return redirect(self.loops[path].path)
        if path in self.amp_paths:
            return Response.of(r.amp(self.amp_paths[path]))
        if path in self.print_paths:
            return Response.of(r.print_version(self.print_paths[path]))
        m = re.fullmatch(r"/(\w+)/(.*)", path)
        if not m or m.group(1) not in outlets:
            return Response(404, NOT_FOUND)
        outlet, rest = m.groups()
        if rest == "":
            return Response.of(r.home(outlet))
        if rest.startswith("section/"):
            try:
                page = int(query.get("page", ["1"])[0])
            except ValueError:
                return Response(404, NOT_FOUND)
            return Response.of(r.listing(outlet, rest.removeprefix("section/"), page))
        if rest.startswith("page/"):
            return Response(200, STATIC_PAGE)
        feeds = {
            ("nile", "rss.xml"): lambda: r.rss("nile"),
            ("nile", "rss-breaking.xml"): lambda: r.broken_feed("nile"),
            ("nile", "sitemap-index.xml"): lambda: r.sitemap_index(
                "nile", ["/nile/sitemaps/news-1.xml", "/nile/sitemaps/news-2.xml"]
            ),
            ("nile", "sitemaps/news-1.xml"): lambda: r.news_sitemap("nile", 1),
            ("nile", "sitemaps/news-2.xml"): lambda: r.news_sitemap("nile", 2),
            ("sada", "rss.xml"): lambda: r.rss("sada"),
            ("sada", "atom.xml"): lambda: r.atom("sada"),
            ("sada", "feed.json"): lambda: r.json_feed("sada"),
            ("sada", "sitemap-news.xml"): lambda: r.news_sitemap("sada"),
        }
        make = feeds.get((outlet, rest))
        return Response.of(make()) if make else Response(404, NOT_FOUND)

    def _entry(self, e: Entry, query: dict[str, list[str]]) -> Response:
        r = self.renderer
        kind = e.kind
        if kind == "article":
            if query.get("amp") == ["1"] and e.amp:
                return Response.of(r.amp(e))
            return Response.of(r.article(e))
        if kind == "malformed":
            return Response.of(r.malformed(e))
        if kind == "slow":
            rendered = r.article(e)
            return Response(200, rendered.body, rendered.content_type, delay=self.slow_seconds)
        if kind == "http_404":
            return Response(404, NOT_FOUND)
        if kind == "http_500":
            return Response(500, SERVER_ERROR)
        if kind == "redirect_loop":
            return redirect(loop_partner(e))
        if kind == "redirect_offsite":
            return redirect(self.links.other_base + e.path, 301)
        if kind == "empty":
            return Response(200, b"")
        if kind == "pdf":
            return Response(200, PDF_BYTES, "application/pdf")
        if kind == "png":
            return Response(200, PNG_BYTES, "image/png")
        if kind == "robots":
            # Served if asked (a rude crawler gets a page), but robots.txt forbids asking.
            return Response.of(r.print_version(e)) if e.text else Response(200, STATIC_PAGE)
        return Response(404, NOT_FOUND)

    def _static(self, path: str) -> Response:
        if path.endswith(".css"):
            return Response(200, CSS, "text/css")
        if path.endswith(".js"):
            return Response(200, b"/* demo */\n", "application/javascript")
        if path.endswith((".png", ".jpg")):
            return Response(200, PNG_BYTES, "image/png")
        return Response(404, NOT_FOUND)


class CorpusRoutes:
    """The chrome corpus (`chrome_corpus.py`) under /corpus/<outlet>/…: its pages and one feed or news
    sitemap per outlet. Built once per site (pages are dated relative to the day the site starts)."""

    def __init__(self, base_url: str, today: date | None = None) -> None:
        entries = corpus_entries(base_url, today)
        self.pages = {e.page.path: e.page.html.encode("utf-8") for e in entries}
        self.feeds = corpus_feeds(base_url, entries)

    def __call__(self, target: str) -> Response:
        body = self.pages.get(target) or self.pages.get(urlsplit(target).path)
        if body is not None:
            return Response(200, body)
        feed = self.feeds.get(urlsplit(target).path)
        return Response(200, feed[0], feed[1]) if feed else Response(404, NOT_FOUND)


class OtherHostApp:
    """The 127.0.0.2 server: answers everything with a plausible page, so a crawler that strays succeeds
    in storing it (visible in the results) and is recorded (visible in the request log)."""

    def __init__(self, renderer: Renderer) -> None:
        self.page = renderer.other_host_page().body

    def __call__(self, target: str) -> Response:
        if urlsplit(target).path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain")
        return Response(200, self.page)
