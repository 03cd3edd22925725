"""Sources as data: the ``Source`` record and the loader/validator for sources.yaml.

A source is one feed, sitemap or section listing of one outlet. Spiders are generic and configured
by a ``Source``; adding an outlet means adding YAML, never a class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawler.chrome.overrides import ExtractOverride, OverrideError, parse_override

KINDS = ("feed", "sitemap", "listing")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
DEFAULT_SOURCES_FILE = REPO_CONFIG / "sources.yaml"

# Per-source overrides of Scrapy settings that are safe to change per request or per slot.
POLITENESS_KEYS = {"download_delay": float, "download_timeout": float, "concurrency": int}


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names the file, the source and the field."""


@dataclass(frozen=True)
class Politeness:
    download_delay: float | None = None
    download_timeout: float | None = None
    concurrency: int | None = None


@dataclass(frozen=True)
class Source:
    name: str
    outlet: str
    kind: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    country: str = ""
    language: str = "ar"
    enabled: bool = True
    group: str = "default"
    link_pattern: str = ""
    max_pages: int = 1
    max_age_days: float = 3.0
    politeness: Politeness = field(default_factory=Politeness)
    # Where the story is on this outlet's pages, when the generic chrome rules get it wrong.
    extract: ExtractOverride | None = None

    def allows_host(self, host: str | None) -> bool:
        """True when ``host`` is one of the allowed domains or a subdomain of one."""
        if not host:
            return False
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


_FIELDS: dict[str, tuple[type | tuple[type, ...], bool]] = {
    # key: (type, required)
    "name": (str, True),
    "outlet": (str, True),
    "kind": (str, True),
    "start_urls": (list, True),
    "allowed_domains": (list, False),
    "country": (str, False),
    "language": (str, False),
    "enabled": (bool, False),
    "group": (str, False),
    "link_pattern": (str, False),
    "max_pages": (int, False),
    "max_age_days": ((int, float), False),
    "politeness": (dict, False),
    "extract": (dict, False),
}


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line so errors can point at the source in the file."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _fail(path: Path | str, where: str, message: str) -> SourcesError:
    return SourcesError(f"{path}: {where}: {message}")


def _source_from_dict(raw: dict[str, Any], path: Path | str, index: int) -> Source:
    line = raw.pop("__line__", "?")
    label = f"source #{index + 1} (line {line})"
    if isinstance(raw.get("name"), str):
        label = f"source '{raw['name']}' (line {line})"
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise _fail(path, label, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(_FIELDS)}")
    for key, (typ, required) in _FIELDS.items():
        if key not in raw:
            if required:
                raise _fail(path, label, f"missing required field '{key}'")
            continue
        value = raw[key]
        if typ is int and isinstance(value, bool) or not isinstance(value, typ):
            raise _fail(path, label, f"field '{key}' must be {getattr(typ, '__name__', typ)}, got {value!r}")
    name = raw["name"]
    if not NAME_RE.match(name):
        raise _fail(path, label, f"field 'name' {name!r} must be lowercase letters, digits and '-'")
    if raw["kind"] not in KINDS:
        raise _fail(path, label, f"field 'kind' must be one of {', '.join(KINDS)}, got {raw['kind']!r}")
    start_urls = raw["start_urls"]
    if not start_urls:
        raise _fail(path, label, "field 'start_urls' is empty")
    for url in start_urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise _fail(path, label, f"field 'start_urls' has {url!r}: only absolute http(s) URLs")
    domains = raw.get("allowed_domains") or sorted({urlsplit(u).hostname or "" for u in start_urls})
    for d in domains:
        if not isinstance(d, str) or not d or "/" in d or ":" in d:
            raise _fail(path, label, f"field 'allowed_domains' has {d!r}: a bare host name, no scheme or port")
    link_pattern = raw.get("link_pattern", "")
    if raw["kind"] == "listing" and not link_pattern:
        raise _fail(path, label, "a listing source needs 'link_pattern' (a regex for article URLs)")
    if link_pattern:
        try:
            re.compile(link_pattern)
        except re.error as exc:
            raise _fail(path, label, f"field 'link_pattern' is not a valid regex: {exc}") from None
    max_pages = raw.get("max_pages", 1)
    if max_pages < 1:
        raise _fail(path, label, "field 'max_pages' must be at least 1")
    max_age = float(raw.get("max_age_days", 3.0))
    if max_age <= 0:
        raise _fail(path, label, "field 'max_age_days' must be positive")
    pol_raw = dict(raw.get("politeness") or {})
    pol_raw.pop("__line__", None)
    bad = sorted(set(pol_raw) - set(POLITENESS_KEYS))
    if bad:
        raise _fail(path, label, f"unknown politeness key(s) {', '.join(bad)}; allowed: {', '.join(POLITENESS_KEYS)}")
    pol: dict[str, Any] = {}
    for key, value in pol_raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise _fail(path, label, f"politeness '{key}' must be a non-negative number, got {value!r}")
        pol[key] = POLITENESS_KEYS[key](value)
    extract = None
    if "extract" in raw:
        try:
            extract = parse_override(raw["extract"])
        except OverrideError as exc:
            raise _fail(path, label, str(exc)) from None
    return Source(
        name=name,
        outlet=raw["outlet"],
        kind=raw["kind"],
        start_urls=tuple(start_urls),
        allowed_domains=tuple(d.lower() for d in domains),
        country=raw.get("country", ""),
        language=raw.get("language", "ar"),
        enabled=raw.get("enabled", True),
        group=raw.get("group", "default"),
        link_pattern=link_pattern,
        max_pages=max_pages,
        max_age_days=max_age,
        politeness=Politeness(**pol),
        extract=extract,
    )


def parse_sources(text: str, path: Path | str = "<string>") -> list[Source]:
    """Parse and validate a sources document; raises ``SourcesError`` naming file, source and field."""
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise SourcesError(f"{path}: not valid YAML: {str(exc).splitlines()[0]} {getattr(exc, 'problem_mark', '')}".strip()) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), list):
        raise SourcesError(f"{path}: expected a mapping with a 'sources' list at the top")
    doc.pop("__line__", None)
    extra = sorted(set(doc) - {"sources"})
    if extra:
        raise SourcesError(f"{path}: unknown top-level key(s) {', '.join(extra)}")
    sources: list[Source] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc["sources"]):
        if not isinstance(raw, dict):
            raise SourcesError(f"{path}: source #{i + 1}: expected a mapping, got {raw!r}")
        src = _source_from_dict(dict(raw), path, i)
        if src.name in seen:
            raise SourcesError(f"{path}: source '{src.name}': duplicate name")
        seen.add(src.name)
        sources.append(src)
    return sources


def load_sources(path: Path | str | None = None) -> list[Source]:
    """Load a sources file (default: the packaged config/sources.yaml)."""
    path = Path(path) if path else DEFAULT_SOURCES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(f"{path}: sources file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot read sources file: {exc}") from None
    return parse_sources(text, path)


def select_sources(
    sources: Sequence[Source], names: Iterable[str] = (), groups: Iterable[str] = ()
) -> list[Source]:
    """The named sources (enabled or not) or, with no names, every enabled source (optionally by group)."""
    names, groups = list(names), set(groups)
    if names:
        by_name = {s.name: s for s in sources}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            known = ", ".join(sorted(by_name)) or "none"
            raise SourcesError(f"unknown source(s): {', '.join(unknown)} (known: {known})")
        return [by_name[n] for n in names]
    chosen = [s for s in sources if s.enabled and (not groups or s.group in groups)]
    if groups and not chosen:
        raise SourcesError(f"no enabled source in group(s) {', '.join(sorted(groups))}")
    return chosen
