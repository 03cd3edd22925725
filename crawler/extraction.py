"""One downloaded page in, one :class:`Extraction` out: main text, metadata and publication date.

Pure library code (no Scrapy, no database) so the crawler can run it in a process pool: inputs and
outputs are plain picklable dataclasses and :func:`extract_article` is a top-level function that never
raises: a page that cannot be used comes back with a ``status`` and a human ``error``.

Order of work: refuse non-HTML bytes, cap the size, decode with :func:`crawler.charset.decode_html` (so
trafilatura and the charset logic never disagree), parse once with lxml, read canonical URL and dates
from that tree, then let trafilatura find the main text without comments and with precision favoured
(sidebars, "most read" and related-story lists are what it is asked to drop).

Dates: trafilatura's own (htmldate) is not used at all: it returns 1 January for «15 مارس 2024». The chain
is meta tags, JSON-LD, the feed/sitemap value, the Arabic date shown near the headline, the URL.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from crawler.charset import decode_html
from crawler.chrome import ChromeContext, clean_page
from crawler.dates import find_visible_date, parse_arabic_date, parse_iso_or_rfc

__all__ = ["MAX_HTML_BYTES", "Extraction", "Hints", "extract_article", "content_hash"]

MAX_HTML_BYTES = 5 * 1024 * 1024  # beyond this a "page" is an archive or an attack; parse the head only

STATUSES = ("ok", "empty", "not_html", "unparseable", "too_short")


@dataclass
class Hints:
    """Values the feed, sitemap or listing gave for the page, used when the page itself lacks them."""

    title: str = ""
    published_raw: str = ""
    summary: str = ""
    author: str = ""
    language: str = ""


@dataclass
class Extraction:
    status: str  # "ok" | "empty" | "not_html" | "unparseable" | "too_short"
    error: str  # human reason when status != "ok" (and a note when the page was truncated)
    title: str = ""
    text: str = ""
    author: str = ""
    sitename: str = ""
    description: str = ""
    canonical_url: str = ""  # absolute, from <link rel=canonical> or og:url; "" if none
    published_at: datetime | None = None  # aware UTC
    published_at_raw: str = ""
    date_source: str = "none"  # "meta" | "jsonld" | "feed" | "visible" | "url" | "none"
    date_confidence: str = "none"  # "high" | "medium" | "low" | "none"
    encoding: str = ""
    content_hash: str = ""  # sha256 of the whitespace-collapsed text; "" when there is no text
    chrome_removed: dict[str, int] = field(default_factory=dict)  # reason -> page elements removed
    template_units: list[tuple[int, str]] = field(default_factory=list)  # for the host's template


_HTML_TYPES = {"text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain", ""}
_BINARY_MAGIC = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive (or office document)"),
    (b"\x1f\x8b", "gzip data"),
    (b"ID3", "MP3 audio"),
    (b"OggS", "Ogg media"),
    (b"\xd0\xcf\x11\xe0", "legacy office document"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
)
_HTML_SNIFF = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|div|p|article)[\s>/]", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_SPACES = re.compile(r"\s+")

_META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "article.published",
    "published_time",
    "article:published",
    "datepublished",
    "publish_date",
    "publish-date",
    "publishdate",
    "published-date",
    "pubdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "originalpublicationdate",
    "article_date_original",
    "date",
)
_URL_DATE = (
    re.compile(r"/((?:19|20)\d\d)/(\d{1,2})/(\d{1,2})(?:/|$|[^\d])"),
    re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d{2})-(\d{2})(?!\d)"),
    re.compile(r"/((?:19|20)\d\d)(\d{2})(\d{2})(?:/|$|[^\d])"),
)
_JSONLD_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "blogposting",
    "report",
    "analysisnewsarticle",
}


def content_hash(text: str) -> str:
    """sha256 of the text with whitespace collapsed: the same article under two URLs hashes the same."""
    normalised = _SPACES.sub(" ", text).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest() if normalised else ""


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _not_html_reason(body: bytes, content_type: str | None) -> str:
    """Why these bytes are not an HTML page, or "" when they may be one."""
    head = body[:1024]
    for magic, name in _BINARY_MAGIC:
        if head.startswith(magic):
            return f"binary content: {name}"
    if head.startswith(b"RIFF") and head[8:12] in {b"WEBP", b"WAVE", b"AVI "}:
        return "binary content: RIFF media"
    if head[4:8] == b"ftyp":
        return "binary content: MP4/QuickTime media"
    media = _media_type(content_type)
    sniffed_html = bool(_HTML_SNIFF.search(head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024]))
    if media not in _HTML_TYPES and not sniffed_html:
        return f"content type {media} is not HTML"
    if head.count(b"\x00") > len(head) // 10 and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary content: NUL bytes"
    if media in {"application/xml", "text/xml", "text/plain"} and not sniffed_html:
        return f"content type {media} without HTML markup"
    return ""


def _meta_content(tree) -> dict[str, str]:
    """First value of each <meta name|property|itemprop> key, lower-cased keys."""
    values: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        value = meta.get("content") or meta.get("datetime") or ""
        key = key.strip().lower()
        if key and value.strip() and key not in values:
            values[key] = value.strip()
    return values


def _parse_machine_or_arabic(raw: str) -> datetime | None:
    value = parse_iso_or_rfc(raw)
    if value is not None:
        return value
    parsed = parse_arabic_date(raw)
    return parsed.value if parsed else None


def _plausible(value: datetime | None) -> bool:
    return value is not None and 1990 <= value.year <= datetime.now(UTC).year + 1


def _date_from_meta(tree, metas: dict[str, str]) -> tuple[datetime, str] | None:
    for key in _META_DATE_KEYS:
        raw = metas.get(key)
        if raw:
            value = _parse_machine_or_arabic(raw)
            if _plausible(value):
                return value, raw
    for element in tree.xpath('.//*[@itemprop="datePublished"] | .//time[@pubdate]'):
        raw = (element.get("datetime") or element.get("content") or element.text_content() or "").strip()
        value = _parse_machine_or_arabic(raw) if raw else None
        if _plausible(value):
            return value, raw
    return None


def _walk_jsonld(node, found: list[tuple[bool, str]]) -> None:
    if isinstance(node, list):
        for child in node:
            _walk_jsonld(child, found)
    elif isinstance(node, dict):
        raw = node.get("datePublished") or node.get("dateCreated")
        if isinstance(raw, str) and raw.strip():
            kinds = node.get("@type", "")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            is_article = any(str(k).lower() in _JSONLD_ARTICLE_TYPES for k in kinds)
            found.append((is_article, raw.strip()))
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in node:
                _walk_jsonld(node[key], found)


def _date_from_jsonld(tree) -> tuple[datetime, str] | None:
    found: list[tuple[bool, str]] = []
    for script in tree.xpath('.//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        source = (script.text or "").strip()
        if not source:
            continue
        try:
            data = json.loads(source, strict=False)
        except ValueError:
            continue
        _walk_jsonld(data, found)
    found.sort(key=lambda item: not item[0])  # article objects first, stable otherwise
    for _, raw in found:
        value = _parse_machine_or_arabic(raw)
        if _plausible(value):
            return value, raw
    return None


_INVISIBLE = {"script", "style", "noscript", "template", "head", "title"}
_VISIBLE_TEXT_LIMIT = 200_000  # the byline date is near the top; a 5 MB sidebar need not be walked


def _visible_text(tree) -> str:
    """Text of the page body in document order, without scripts and styles, up to a size limit."""
    root = tree.find("body")
    root = tree if root is None else root
    parts: list[str] = []
    size = 0
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() not in _INVISIBLE and element.text:
            parts.append(element.text)
            size += len(element.text)
        if element is not root and element.tail:
            parts.append(element.tail)
            size += len(element.tail)
        if size > _VISIBLE_TEXT_LIMIT:
            break
    return _SPACES.sub(" ", " ".join(parts))


@dataclass(frozen=True)
class _PageText:
    """The page's visible text and headlines as served, read before chrome removal shortens the
    distance between the header's "today" date and the headline."""

    visible: str
    headlines: tuple[str, ...]


def _page_text(tree) -> _PageText:
    return _PageText(
        _visible_text(tree),
        tuple(_SPACES.sub(" ", h1.text_content()).strip() for h1 in tree.iterfind(".//h1")),
    )


def _date_from_page_text(page: _PageText, title: str, article_text: str) -> tuple[datetime, str] | None:
    """The Arabic date shown beside the headline, else in the article's opening lines.

    Never the first date anywhere on the page: headers show today's date and "most read" lists show
    other stories' dates, and a wrong date is worse than a low-confidence one from the URL.
    """
    visible, headlines = page.visible, page.headlines
    windows = []
    for headline in [*headlines, title]:
        if headline and headline in visible:
            start = visible.index(headline)
            # Byline under the headline first, then a date line just above it (a kicker's length, so
            # that the header's "today" date is out of reach).
            windows.append(visible[start : start + len(headline) + 500])
            windows.append(visible[max(0, start - 80) : start])
            break
    windows.append(article_text[:1000])
    for window in windows:
        parsed = find_visible_date(window)
        if parsed is not None:
            return parsed.value, parsed.raw
    return None


def _date_from_url(url: str) -> tuple[datetime, str] | None:
    path = urlsplit(url).path
    for pattern in _URL_DATE:
        match = pattern.search(path)
        if match:
            try:
                value = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
            except ValueError:
                continue
            if _plausible(value):
                return value, match.group(0).strip("/")
    return None


def _canonical(tree, metas: dict[str, str], base_url: str) -> str:
    hrefs = [
        link.get("href", "")
        for link in tree.xpath(
            './/link[@href][contains(concat(" ", translate(@rel, "CANONICAL", "canonical"), " "), " canonical ")]'
        )
    ]
    hrefs.append(metas.get("og:url", ""))
    for href in hrefs:
        href = href.strip()
        if not href:
            continue
        absolute = urljoin(base_url, href) if base_url else href
        if urlsplit(absolute).scheme in {"http", "https"}:
            return absolute
    return ""


def _clean(value) -> str:
    return _SPACES.sub(" ", str(value)).strip() if value else ""


# Byline prefixes trafilatura leaves on Arabic author names («بقلم: فلان» = "by so-and-so").
_BYLINE_PREFIX = re.compile(r"^(?:بقلم|كتب|كتبت|كتبه|إعداد|اعداد|تحرير|بواسطة|حوار|متابعة)\s*[:：\-–]?\s*")


def _author(value) -> str:
    return _BYLINE_PREFIX.sub("", _clean(value)).strip()


def _without_headline(text: str, title: str) -> str:
    """Drop the headline when trafilatura repeats it as the text's first line: the title has its own field."""
    first, _, rest = text.partition("\n")
    if title and _SPACES.sub(" ", first).strip() == title:
        return rest.strip()
    return text


def extract_article(
    body: bytes,
    url: str,
    content_type: str | None = None,
    hints: Hints | None = None,
    *,
    min_text_chars: int = 200,
    chrome: ChromeContext | None = None,
) -> Extraction:
    """Extract the article in ``body`` (the bytes served at ``url``). Never raises.

    ``chrome`` carries the host's learned template and the source's overrides; without it the generic
    chrome rules still run.
    """
    hints = hints or Hints()
    try:
        return _extract(body, url, content_type, hints, min_text_chars, chrome)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop a crawl; the reason is kept
        return Extraction(status="unparseable", error=f"{type(exc).__name__}: {exc}"[:300], title=hints.title)


def _extract(
    body: bytes, url: str, content_type: str | None, hints: Hints, min_text_chars: int,
    chrome: ChromeContext | None,
) -> Extraction:
    if not body or not body.strip():
        return Extraction(status="empty", error="empty response body", title=hints.title)
    reason = _not_html_reason(body, content_type)
    if reason:
        return Extraction(status="not_html", error=reason, title=hints.title)

    notes = []
    if len(body) > MAX_HTML_BYTES:
        notes.append(f"truncated: parsed the first {MAX_HTML_BYTES} of {len(body)} bytes")
        body = body[:MAX_HTML_BYTES]

    decoded = decode_html(body, content_type)
    # lxml refuses str input carrying an XML encoding declaration, and trafilatura's fallback then
    # re-reads the bytes with the declared charset: drop it, the text is already decoded.
    html = _XML_DECLARATION.sub("", decoded.text, count=1)

    from trafilatura import bare_extraction
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return Extraction(
            status="unparseable",
            error="; ".join([*notes, "no HTML tree could be built from the page"]),
            title=hints.title,
            encoding=decoded.encoding,
        )

    metas = _meta_content(tree)
    canonical = _canonical(tree, metas, url)
    # Chrome goes before trafilatura: it then walks a smaller tree, and the structure that tells a
    # comment or a "read also" line from a paragraph is still there.
    meta_date = _date_from_meta(tree, metas)
    jsonld_date = None if meta_date else _date_from_jsonld(tree)
    served = None if meta_date or jsonld_date or hints.published_raw else _page_text(tree)
    cleaned = clean_page(tree, url or "", chrome)
    notes += cleaned.notes
    document = bare_extraction(
        tree,
        url=url or None,
        include_comments=False,
        favor_precision=True,
        fast=True,
        include_tables=True,
        with_metadata=True,
        deduplicate=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )

    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    title = _clean(getattr(document, "title", "")) or _clean(hints.title)
    author = _author(getattr(document, "author", "")) or _author(hints.author)
    sitename = _clean(getattr(document, "sitename", "")) or (urlsplit(url).hostname or "" if url else "")
    text = _without_headline(text, title)
    description = (
        _clean(metas.get("description") or metas.get("og:description"))
        or _clean(getattr(document, "description", ""))
        or _clean(hints.summary)
    )

    date_source, confidence, found = "none", "none", None
    for source, level, finder in (
        ("meta", "high", lambda: meta_date),
        ("jsonld", "high", lambda: jsonld_date),
        ("feed", "high", lambda: _date_from_hint(hints.published_raw)),
        ("visible", "medium", lambda: _date_from_page_text(served or _page_text(tree), title, text)),
        ("url", "low", lambda: _date_from_url(url or "")),
    ):
        found = finder()
        if found is not None:
            date_source, confidence = source, level
            break
    published_at, published_raw = found if found else (None, hints.published_raw or "")

    if not text:
        status, error = "empty", "no main text found on the page"
    elif len(text) < min_text_chars:
        status, error = "too_short", f"main text has {len(text)} characters, fewer than {min_text_chars}"
    else:
        status, error = "ok", ""
    return Extraction(
        status=status,
        error="; ".join([*notes, error] if error else notes),
        title=title,
        text=text,
        author=author,
        sitename=sitename,
        description=description,
        canonical_url=canonical,
        published_at=published_at,
        published_at_raw=published_raw,
        date_source=date_source,
        date_confidence=confidence,
        encoding=decoded.encoding,
        content_hash=content_hash(text),
        chrome_removed=dict(cleaned.removed),
        template_units=cleaned.units,
    )


def _date_from_hint(raw: str) -> tuple[datetime, str] | None:
    if not raw:
        return None
    value = _parse_machine_or_arabic(raw)
    return (value, raw) if _plausible(value) else None
