"""Per-source extraction overrides: the ``extract:`` block of a source record, as data.

For outlets where the generic rules fail, in the spirit of FiveFilters' site-config files:

    extract:
      body_xpath: '//div[@id="article-body"]'      # where the story is (first match wins)
      prune_xpaths: ['//div[@class="box-x"]']       # what to drop before anything else

Validated when the sources file is loaded (an invalid XPath names the file, source and field);
compiled again in each worker, once, since compiled XPath objects do not pickle.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from lxml import etree

FIELDS = {"body_xpath": str, "prune_xpaths": list}


class OverrideError(ValueError):
    """An ``extract:`` block that cannot be used; the message names the field."""


@dataclass(frozen=True)
class ExtractOverride:
    body_xpath: str = ""
    prune_xpaths: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.body_xpath or self.prune_xpaths)


def _check_xpath(expr: Any, field: str) -> str:
    if not isinstance(expr, str) or not expr.strip():
        raise OverrideError(f"field '{field}' must be a non-empty XPath string, got {expr!r}")
    try:
        etree.XPath(expr)
    except etree.XPathSyntaxError as exc:
        raise OverrideError(f"field '{field}' is not a valid XPath ({exc}): {expr!r}") from None
    return expr.strip()


def parse_override(raw: Any) -> ExtractOverride:
    """Validate an ``extract:`` mapping; raises ``OverrideError`` naming the field."""
    if not isinstance(raw, dict):
        raise OverrideError(f"'extract' must be a mapping with {' and/or '.join(FIELDS)}, got {raw!r}")
    raw = {k: v for k, v in raw.items() if k != "__line__"}
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise OverrideError(f"unknown field(s) extract.{', extract.'.join(unknown)}; allowed: {', '.join(FIELDS)}")
    body = _check_xpath(raw["body_xpath"], "extract.body_xpath") if "body_xpath" in raw else ""
    prune = raw.get("prune_xpaths", [])
    if not isinstance(prune, list):
        raise OverrideError(f"field 'extract.prune_xpaths' must be a list of XPath strings, got {prune!r}")
    prunes = tuple(_check_xpath(p, f"extract.prune_xpaths[{i}]") for i, p in enumerate(prune))
    override = ExtractOverride(body_xpath=body, prune_xpaths=prunes)
    if not override:
        raise OverrideError("'extract' is empty: give body_xpath and/or prune_xpaths")
    return override


@functools.lru_cache(maxsize=256)
def _compiled(expr: str) -> etree.XPath:
    return etree.XPath(expr)


def apply_override(tree, override: ExtractOverride) -> list[str]:
    """Apply the override to ``tree`` in place; returns notes (e.g. a body XPath that matched nothing)."""
    from .dom import remove

    notes = []
    for expr in override.prune_xpaths:
        for el in _compiled(expr)(tree):
            if isinstance(el, etree._Element):
                remove(el)
    if override.body_xpath:
        found = [el for el in _compiled(override.body_xpath)(tree) if isinstance(el, etree._Element)]
        body = tree.find(".//body")
        if not found:
            notes.append(f"extract.body_xpath matched nothing: {override.body_xpath}")
        elif body is not None:
            keep = found[0]
            if keep is not body:
                for child in list(body):
                    body.remove(child)
                body.text = None
                keep.tail = None
                body.append(keep)
    return notes
