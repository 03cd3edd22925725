"""Finding an outlet's sources from its home page: feeds, news sitemaps and section pages.

Nobody types thousands of source records. Given a home page, discovery looks where outlets announce
their machine-readable channels, checks each candidate by fetching and parsing it, and returns what it
found with how it found it:

- feeds: ``<link rel=alternate>`` in the home page (trafilatura's ``determine_feed``), then the usual
  feed paths (``/feed``, ``/rss.xml``, …) when the page announces none;
- sitemaps: ``Sitemap:`` lines of robots.txt (Scrapy's ``sitemap_urls_from_robots``), sitemap indexes
  followed one level down, news sitemaps preferred;
- section pages: the home page's own links to pages that list many article links of one shape, with a
  ``link_pattern`` derived from that shape.

Every request goes through :class:`Fetcher`, which refuses private and link-local addresses (the
crawl's own blocked networks) unless the caller allows a network explicitly.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.request import Request, urlopen

from crawler.feeds import parse_feed

COMMON_FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/feed/rss", "/rss/all")
MAX_BYTES = 10 * 1024 * 1024
MAX_SECTIONS = 8  # section pages checked per home page
MIN_SECTION_LINKS = 5  # article links of one shape a section page must list
_HREF = re.compile(r"""href\s*=\s*["']([^"'#]+)""", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_SITE_NAME = re.compile(r"""<meta[^>]+property=["']og:site_name["'][^>]+content=["']([^"']+)""", re.I)
_LANG = re.compile(r"""<html[^>]+lang=["']([A-Za-z-]+)""", re.I)


class DiscoveryError(RuntimeError):
    """A home page that cannot be used at all (unreachable, refused, not HTML); names the URL."""


@dataclass(frozen=True)
class Found:
    kind: str  # "feed" | "sitemap" | "listing"
    url: str
    items: int
    how: str  # where it was found, for the person who reads the list
    link_pattern: str = ""
    news: bool = False  # a Google News sitemap (publication dates and titles per entry)


@dataclass
class Discovery:
    home: str
    host: str
    outlet: str = ""
    language: str = ""
    found: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Fetcher:
    """GET over urllib with a size cap, a timeout, the crawl's User-Agent and its network guard."""

    def __init__(
        self, user_agent: str, *, timeout: float = 15.0, blocked: list[str] | None = None, allowed: list[str] | None = None
    ) -> None:
        from crawler import settings as defaults

        self.user_agent = user_agent
        self.timeout = timeout
        nets = defaults.RAQIB_BLOCKED_NETWORKS if blocked is None else blocked
        self.blocked = [ipaddress.ip_network(n, strict=False) for n in nets]
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in allowed or []]

    def _check_host(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DiscoveryError(f"{url}: only absolute http(s) URLs")
        try:
            infos = socket.getaddrinfo(parts.hostname, None, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise DiscoveryError(f"{url}: cannot resolve {parts.hostname}: {exc.strerror or exc}") from None
        for info in infos:
            addr = ipaddress.ip_address(info[4][0].split("%")[0])
            if any(addr in n for n in self.allowed):
                continue
            if any(addr in n for n in self.blocked):
                raise DiscoveryError(f"{url}: {parts.hostname} resolves to {addr}, a blocked network")

    def get(self, url: str) -> tuple[int, str, bytes]:
        """(status, content type, body); raises DiscoveryError on refusal or network failure."""
        self._check_host(url)
        try:
            with urlopen(Request(url, headers={"User-Agent": self.user_agent}), timeout=self.timeout) as resp:  # noqa: S310 - http(s) checked above
                return resp.status, resp.headers.get("Content-Type", ""), resp.read(MAX_BYTES)
        except OSError as exc:
            code = getattr(exc, "code", None)
            reason = f"HTTP {code}" if code else (str(getattr(exc, "reason", "") or exc).splitlines() or ["error"])[0]
            raise DiscoveryError(f"{url}: {reason}") from None


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def _check_channel(fetch: Fetcher, url: str) -> tuple[int, list[str], bool] | None:
    """(items, child sitemaps, is news) when ``url`` answers with a feed or sitemap, else None."""
    try:
        status, content_type, body = fetch.get(url)
    except DiscoveryError:
        return None
    if status != 200:
        return None
    doc = parse_feed(body, url, content_type)
    if doc.kind == "unknown" or (not doc.entries and not doc.sitemaps):
        return None
    news = b"google.com/schemas/sitemap-news" in body[:4096]
    return len(doc.entries), list(doc.sitemaps), news


def _feeds(fetch: Fetcher, home: str, html: str, out: Discovery) -> None:
    from trafilatura.feeds import FeedParameters, determine_feed

    host = _host(home)
    announced = determine_feed(html, FeedParameters(home, host, home))
    # trafilatura refuses some hosts (bare IPs, ports); the page's own links are the same promise.
    announced += [
        urljoin(home, h)
        for h in re.findall(r"""<link[^>]+rel=["']alternate["'][^>]+href=["']([^"']+)""", html, re.I)
        if re.search(r"rss|atom|feed|xml|json", h, re.I)
    ]
    candidates = [(u, "announced by <link rel=alternate>") for u in dict.fromkeys(announced) if _host(u) == host]
    if not candidates:
        candidates = [(urljoin(home, p), f"common feed path {p}") for p in COMMON_FEED_PATHS]
    for url, how in candidates:
        checked = _check_channel(fetch, url)
        if checked and checked[0]:
            out.found.append(Found("feed", url, checked[0], how))


def _sitemaps(fetch: Fetcher, home: str, out: Discovery) -> None:
    from scrapy.utils.sitemap import sitemap_urls_from_robots

    root = f"{urlsplit(home).scheme}://{urlsplit(home).netloc}"
    try:
        status, _, robots = fetch.get(root + "/robots.txt")
    except DiscoveryError as exc:
        out.problems.append(f"robots.txt: {exc}")
        return
    if status != 200:
        return
    listed = [u for u in sitemap_urls_from_robots(robots, base_url=root) if _host(u) == out.host and _under(u, home)]
    for url in dict.fromkeys(listed):
        checked = _check_channel(fetch, url)
        if checked is None:
            out.problems.append(f"{url}: listed in robots.txt but not a readable sitemap")
            continue
        items, children, news = checked
        if children:  # an index: its children are the sources (an index's own entries are files)
            for child in children[:20]:
                sub = _check_channel(fetch, child)
                if sub and sub[0]:
                    out.found.append(Found("sitemap", child, sub[0], f"in the index {url}", news=sub[2]))
        elif items:
            out.found.append(Found("sitemap", url, items, "robots.txt Sitemap: line", news=news))


def _shape(path: str) -> str:
    """A URL path with its variable parts generalised: digits, and the last segment's words."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return "/"
    shaped = [re.sub(r"\d+", r"\\d+", re.escape(s)) for s in segments[:-1]]
    last = segments[-1]
    ext = re.search(r"\.(html?|php|aspx?)$", last)
    shaped.append(r"[^/?#]+" + (re.escape(ext.group(0)) if ext else ""))
    return "/" + "/".join(shaped)


def _article_like(shape: str) -> bool:
    return "\\d+" in shape or shape.endswith((r"\.html", r"\.htm", r"\.php", r"\.aspx", r"\.asp"))


def _under(url: str, home: str) -> bool:
    """On a host shared by several outlets (``/nile/``, ``/sada/``), an outlet owns what is under its path."""
    prefix = urlsplit(home).path.rstrip("/")
    return not prefix or urlsplit(url).path.startswith(prefix + "/")


def _sections(fetch: Fetcher, home: str, html: str, out: Discovery, known: set[str]) -> None:
    host = _host(home)
    links = [urljoin(home, h) for h in _HREF.findall(html)]
    same = [u for u in dict.fromkeys(links) if _host(u) == host and urlsplit(u).scheme in ("http", "https")]
    # Section pages are short paths (one or two segments, no file extension, few digits).
    sections = [
        u for u in same
        if 1 <= len([s for s in urlsplit(u).path.split("/") if s]) <= 3
        and not re.search(r"\.(xml|json|rss|txt|jpe?g|png|css|js)$", urlsplit(u).path)
        and u.rstrip("/") != home.rstrip("/") and u not in known
    ]
    for url in sections[:MAX_SECTIONS]:
        try:
            status, content_type, body = fetch.get(url)
        except DiscoveryError:
            continue
        if status != 200 or "html" not in content_type.lower():
            continue
        page_links = [urljoin(url, h) for h in _HREF.findall(_text(body))]
        article_like = [
            u for u in dict.fromkeys(page_links)
            if _host(u) == host and len([s for s in urlsplit(u).path.split("/") if s]) >= 2 and not urlsplit(u).query
        ]
        shapes = Counter(_shape(urlsplit(u).path) for u in article_like)
        if not shapes:
            continue
        # Articles carry numbers (dates, ids) or a file name; the menu's pages do not.
        shape, count = max(shapes.items(), key=lambda kv: (_article_like(kv[0]), kv[1]))
        if count < MIN_SECTION_LINKS:
            continue
        pattern = re.escape(urlsplit(url).netloc) + shape + "$"
        out.found.append(Found("listing", url, count, "home page link listing articles of one shape", link_pattern=pattern))


def discover(home: str, fetch: Fetcher) -> Discovery:
    """Everything found for one home page; raises DiscoveryError when the home page itself fails."""
    status, content_type, body = fetch.get(home)
    if status != 200:
        raise DiscoveryError(f"{home}: HTTP {status}")
    html = _text(body)
    out = Discovery(home=home, host=_host(home))
    site = _SITE_NAME.search(html) or _TITLE.search(html)
    out.outlet = re.sub(r"\s+", " ", site.group(1)).strip() if site else out.host
    lang = _LANG.search(html)
    out.language = lang.group(1).split("-")[0].lower() if lang else ""
    _feeds(fetch, home, html, out)
    _sitemaps(fetch, home, out)
    _sections(fetch, home, html, out, {f.url for f in out.found})
    return out


def slug(host: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:60] or "outlet"


def source_records(
    found: Discovery, *, country: str = "", group: str = "default", taken: set[str] | None = None
) -> list[dict]:
    """Source records (sources.yaml mappings) for what was found: news sitemaps and feeds first, then
    at most two section listings. Names are unique against ``taken``, which grows."""
    taken = taken if taken is not None else set()
    chosen = sorted(found.found, key=lambda f: ({"sitemap": 0, "feed": 1, "listing": 2}[f.kind] - f.news, -f.items))
    listings = [f for f in chosen if f.kind == "listing"][:2]
    records = []
    for f in [c for c in chosen if c.kind != "listing"] + listings:
        base = f"{slug(found.host)}-{f.kind}"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        record = {
            "name": name,
            "outlet": found.outlet,
            "kind": f.kind,
            "start_urls": [f.url],
            "allowed_domains": [found.host],
            "language": found.language or "ar",
            "group": group,
        }
        if country:
            record["country"] = country
        if f.kind == "listing":
            record["link_pattern"] = f.link_pattern
        records.append(record)
    return records


def home_pages_from_list(text: str) -> list[str]:
    """Home pages from a plain list (one URL a line; blank lines and # comments ignored) or an OPML file
    (its outlines' htmlUrl; xmlUrl feeds are returned by :func:`feeds_from_opml`)."""
    if text.lstrip().startswith("<"):
        from lxml import etree

        try:
            root = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            raise DiscoveryError(f"not a valid OPML file: {exc}") from None
        return [o.get("htmlUrl") for o in root.iter("outline") if o.get("htmlUrl") and not o.get("xmlUrl")]
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def feeds_from_opml(text: str) -> list[tuple[str, str]]:
    """(title, feed URL) of every OPML outline that names a feed."""
    if not text.lstrip().startswith("<"):
        return []
    from lxml import etree

    try:
        root = etree.fromstring(text.encode("utf-8"))
    except etree.XMLSyntaxError:
        return []
    return [(o.get("title") or o.get("text") or "", o.get("xmlUrl")) for o in root.iter("outline") if o.get("xmlUrl")]
