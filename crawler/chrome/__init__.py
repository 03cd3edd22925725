"""Page chrome removal: the story's body is the story alone.

``clean_page`` runs on the parsed page before trafilatura: the source's overrides, then the generic
rules (markers, marker lines, link lines, comment-shaped runs; ``prune.py``), then the blocks the
host's own pages have shown to be its template (``templates.py``). It returns what it removed, by
reason, and the page's remaining units so the crawl can keep learning the host's template.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .markers import MarkerError, MarkerSet, load_markers
from .overrides import ExtractOverride, OverrideError, apply_override, parse_override
from .prune import prune_chrome
from .templates import TemplateMemory, page_units, remove_known, story_key, strip_lines
from .textnorm import words

__all__ = [
    "ChromeContext",
    "ChromeResult",
    "ExtractOverride",
    "MarkerError",
    "MarkerSet",
    "OverrideError",
    "TemplateMemory",
    "clean_page",
    "load_markers",
    "parse_override",
    "story_key",
    "strip_lines",
]


@dataclass(frozen=True)
class ChromeContext:
    """What a worker needs to clean one page: plain data, pickled with each page."""

    known: frozenset[int] = frozenset()  # the host's learned template blocks
    override: ExtractOverride | None = None
    markers_file: str | None = None
    enabled: bool = True


@dataclass
class ChromeResult:
    removed: Counter = field(default_factory=Counter)  # reason -> elements removed
    units: list[tuple[int, str]] = field(default_factory=list)  # for learning: (fingerprint, text)
    notes: list[str] = field(default_factory=list)


def _titles(tree) -> frozenset[str]:
    """The page's own headline in its usual places: never removed as chrome, even if it recurs."""
    found = [tree.findtext(".//title") or ""]
    for meta in tree.iterfind(".//meta"):
        if (meta.get("property") or meta.get("name") or "").lower() in ("og:title", "twitter:title"):
            found.append(meta.get("content") or "")
    for h1 in tree.iterfind(".//h1"):
        found.append(h1.text_content())
    return frozenset(t for t in (" ".join(words(x)) for x in found) if t)


def clean_page(tree, page_url: str, context: ChromeContext | None = None) -> ChromeResult:
    """Remove chrome from the parsed page ``tree`` in place."""
    context = context or ChromeContext()
    result = ChromeResult()
    if context.override:
        result.notes += apply_override(tree, context.override)
    if not context.enabled:
        return result
    protected = _titles(tree)
    report = prune_chrome(tree, load_markers(context.markers_file), page_url, protected)
    result.removed.update(report.removed)
    body = tree.find(".//body")
    units = page_units(tree if body is None else body)
    if context.known:
        n = remove_known(units, context.known, protected)
        if n:
            result.removed["template"] += n
    result.units = [(fp, text) for el, fp, text in units if fp not in context.known]
    return result
