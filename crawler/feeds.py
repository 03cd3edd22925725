"""Feed and sitemap parsing: RSS 2.0, Atom, JSON Feed, sitemap indexes and Google News sitemaps.

Pure functions over bytes. Broken XML is parsed with lxml's recovering parser so one bad ``&`` does
not cost a whole feed; what was lost is reported as a problem beside the entries that survived.
Scrapy's own sitemap parser drops the ``news:*`` children, which carry the publication date, title
and language that Google News sitemaps exist for, hence this module.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

MAX_FEED_BYTES = 20 * 1024 * 1024


@dataclass
class Entry:
    """One link found in a feed or sitemap, with what the feed said about it."""

    url: str
    title: str = ""
    published: str = ""  # raw, as the feed wrote it
    summary: str = ""
    author: str = ""
    language: str = ""


@dataclass
class ParsedFeed:
    kind: str  # rss | atom | jsonfeed | urlset | sitemapindex | unknown
    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemap index
    problem: str = ""  # non-empty when the document was broken (entries may still be partial)


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    for child in el:
        if _local(child.tag) in names:
            return child
    return None


def _maybe_gunzip(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
                return fh.read(MAX_FEED_BYTES)
        except (OSError, EOFError):
            return body
    return body


def _parse_xml(body: bytes) -> tuple[etree._Element | None, str]:
    strict_error = ""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        return etree.fromstring(body, parser), ""
    except etree.XMLSyntaxError as exc:
        strict_error = f"broken XML: {exc}"
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        root = None
    return root, strict_error


def _parse_json_feed(body: bytes, base_url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ParsedFeed("jsonfeed", problem=f"broken JSON Feed: {exc}")
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return ParsedFeed("jsonfeed", problem="JSON Feed without an 'items' list")
    feed = ParsedFeed("jsonfeed")
    language = doc.get("language", "") if isinstance(doc.get("language", ""), str) else ""
    for it in items:
        if not isinstance(it, dict):
            continue
        url = it.get("url") or it.get("external_url") or ""
        if not isinstance(url, str) or not url:
            continue
        authors = it.get("authors") or ([it["author"]] if isinstance(it.get("author"), dict) else [])
        author = ", ".join(a.get("name", "") for a in authors if isinstance(a, dict) and a.get("name"))
        feed.entries.append(
            Entry(
                url=urljoin(base_url, url),
                title=str(it.get("title") or ""),
                published=str(it.get("date_published") or it.get("date_modified") or ""),
                summary=str(it.get("summary") or ""),
                author=author,
                language=str(it.get("language") or language),
            )
        )
    return feed


def parse_feed(body: bytes, base_url: str, content_type: str = "") -> ParsedFeed:
    """Parse any feed or sitemap document; never raises."""
    body = _maybe_gunzip(body)[:MAX_FEED_BYTES]
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return ParsedFeed("unknown", problem="empty document")
    if "json" in content_type.lower() or stripped[:1] in (b"{", b"["):
        return _parse_json_feed(stripped, base_url)
    root, problem = _parse_xml(stripped)
    if root is None:
        return ParsedFeed("unknown", problem=problem or "not a feed: unparseable")
    kind = _local(root.tag)
    if kind == "rss" or kind == "rdf":
        feed = _parse_rss(root, base_url)
    elif kind == "feed":
        feed = _parse_atom(root, base_url)
    elif kind in ("urlset", "sitemapindex"):
        feed = _parse_sitemap(root, base_url, kind)
    else:
        return ParsedFeed("unknown", problem=problem or f"not a feed: root element <{kind}>")
    if problem:
        feed.problem = f"{problem} ({len(feed.entries) + len(feed.sitemaps)} entries recovered)"
    return feed


def _parse_rss(root: etree._Element, base_url: str) -> ParsedFeed:
    feed = ParsedFeed("rss")
    channel = _child(root, "channel")
    language = _text(_child(channel, "language")) if channel is not None else ""
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        link = _text(_child(item, "link"))
        if not link:
            guid = _child(item, "guid")
            if guid is not None and guid.get("isPermaLink", "true").lower() != "false":
                link = _text(guid)
        if not link:
            continue
        feed.entries.append(
            Entry(
                url=urljoin(base_url, link),
                title=_text(_child(item, "title")),
                published=_text(_child(item, "pubdate", "date", "published")),
                summary=_text(_child(item, "description", "summary")),
                author=_text(_child(item, "creator", "author")),
                language=language,
            )
        )
    return feed


def _parse_atom(root: etree._Element, base_url: str) -> ParsedFeed:
    feed = ParsedFeed("atom")
    language = root.get("{http://www.w3.org/XML/1998/namespace}lang", "")
    for entry in root:
        if _local(entry.tag) != "entry":
            continue
        href = ""
        for link in entry:
            if _local(link.tag) == "link" and link.get("rel", "alternate") == "alternate" and link.get("href"):
                href = link.get("href", "")
                break
        if not href:
            continue
        author_el = _child(entry, "author")
        feed.entries.append(
            Entry(
                url=urljoin(base_url, href),
                title=_text(_child(entry, "title")),
                published=_text(_child(entry, "published")) or _text(_child(entry, "updated")),
                summary=_text(_child(entry, "summary", "content")),
                author=_text(_child(author_el, "name")) if author_el is not None else "",
                language=entry.get("{http://www.w3.org/XML/1998/namespace}lang", language),
            )
        )
    return feed


def _parse_sitemap(root: etree._Element, base_url: str, kind: str) -> ParsedFeed:
    feed = ParsedFeed(kind)
    wanted = "sitemap" if kind == "sitemapindex" else "url"
    for node in root:
        if _local(node.tag) != wanted:
            continue
        loc = _text(_child(node, "loc"))
        if not loc:
            continue
        if kind == "sitemapindex":
            feed.sitemaps.append(urljoin(base_url, loc))
            continue
        entry = Entry(url=urljoin(base_url, loc), published=_text(_child(node, "lastmod")))
        news = _child(node, "news")
        if news is not None:
            entry.title = _text(_child(news, "title"))
            entry.published = _text(_child(news, "publication_date")) or entry.published
            publication = _child(news, "publication")
            if publication is not None:
                entry.language = _text(_child(publication, "language"))
        feed.entries.append(entry)
    return feed
