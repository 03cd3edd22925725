"""Making crawled strings safe to put anywhere: control characters, line breaks, URLs, Markdown.

Crawled titles and texts are hostile input. HTML and Atom escaping is Jinja2's autoescape; what
it does not cover lives here: characters XML forbids, line breaks in single-line fields (headers,
headings), link targets that are not http(s), and Markdown's own syntax.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# C0/C1 controls (except tab and newline), lone surrogates and non-characters: XML 1.0 forbids
# most of them and mail/terminal output misbehaves on the rest.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\s\u2028\u2029\x85]+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|#])")


class MarkdownSafe(str):
    """A string already escaped for Markdown (the Markdown templates do not escape it again)."""


def clean(value: object) -> str:
    """Text with forbidden control characters removed; CR LF / CR become LF."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def one_line(value: object, limit: int | None = None) -> str:
    """Single-line text: every run of whitespace, including CR/LF and Unicode separators, is one space."""
    text = _LINE_BREAKS.sub(" ", clean(value)).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def safe_url(value: object) -> str | None:
    """The URL when it is http(s) with a host, else None (``javascript:``, ``data:`` never become links)."""
    url = one_line(value)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    # Characters that could end an attribute or a Markdown link are percent-encoded; the rest stays.
    return quote(url, safe=":/?#[]@!$&'*+,;=%-._~")


def markdown_escape(value: object) -> MarkdownSafe:
    """Crawled text as literal Markdown: HTML is entity-escaped (renderers pass raw HTML through)."""
    if isinstance(value, MarkdownSafe):
        return value
    text = clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MarkdownSafe(_MD_SPECIAL.sub(r"\\\1", text))
