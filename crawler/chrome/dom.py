"""Small helpers over lxml trees shared by the chrome rules."""

from __future__ import annotations

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
    """Share of ``el``'s text inside links, and whether every such link stays on the page's site."""
    total = len(" ".join(text_of(el).split()))
    if not total:
        return 0.0, False
    inside = 0
    same_site = True
    host = _site(page_url)
    page = page_url.split("#", 1)[0]
    for a in el.iter("a"):
        href = (a.get("href") or "").strip()
        inside += len(" ".join(text_of(a).split()))
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            same_site = False
            continue
        target = urljoin(page_url, href) if page_url else href
        if target.split("#", 1)[0] == page or (host and _site(target) != host):
            same_site = False
        elif not host and urlsplit(href).scheme in ("http", "https"):
            same_site = False
    return min(1.0, inside / total), same_site


def _site(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
