"""Small helpers over lxml trees shared by the chrome rules."""

from __future__ import annotations

import functools
from urllib.parse import urljoin, urlsplit

BLOCK_TAGS = frozenset(
    "p li h1 h2 h3 h4 h5 h6 td th dd dt blockquote figcaption caption div section aside article header "
    "footer nav ul ol dl table tr tbody form main figure details summary address pre center".split()
)
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
SKIP_TAGS = frozenset("script style noscript template head title".split())


def tag(el) -> str:
    t = el.tag
    return t.lower() if isinstance(t, str) else ""


def text_of(el) -> str:
    try:
        return el.text_content()
    except (AttributeError, ValueError):
        return ""


def remove(el) -> None:
    """Detach ``el`` from its tree, keeping the text that follows it (its tail) in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def link_text_share(el, page_url: str) -> tuple[float, bool]:
    """Share of ``el``'s text inside links, and whether every such link stays on the page's site
    (and leaves the page itself)."""
    total = len("".join(text_of(el).split()))
    if not total:
        return 0.0, False
    inside = 0
    same_site = True
    host, path = _site_and_path(page_url)
    for a in el.iter("a"):
        inside += len("".join(text_of(a).split()))
        if same_site and not _other_page_of_site((a.get("href") or "").strip(), host, path, page_url):
            same_site = False
    return min(1.0, inside / total), same_site


def _other_page_of_site(href: str, host: str, path: str, page_url: str) -> bool:
    if not href or href[0] == "#" or href.startswith(("javascript:", "mailto:", "tel:", "data:")):
        return False
    target = href.split("#", 1)[0]
    if href.startswith(("http://", "https://", "//")):
        parts = urlsplit("http:" + href if href.startswith("//") else href)
        if not host or (parts.hostname or "").removeprefix("www.") != host:
            return False
        return target != page_url and (parts.path or "/") != path
    if not host:
        return True  # a relative link on a page of unknown address stays on its site
    if target.startswith("/"):
        return target != path
    return bool(target) and urljoin(page_url, target).split("#", 1)[0] != page_url.split("#", 1)[0]


@functools.lru_cache(maxsize=256)
def _site_and_path(url: str) -> tuple[str, str]:
    if not url:
        return "", ""
    parts = urlsplit(url)
    return (parts.hostname or "").removeprefix("www."), parts.path or "/"
