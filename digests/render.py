"""Digest documents rendered as HTML, Markdown, plain text, JSON and Atom, and written atomically.

Templates live in ``digests/templates`` (Jinja2). HTML and Atom templates autoescape; the Markdown
and text environments pass every ``{{ … }}`` through a ``finalize`` hook (Markdown escaping, control
character removal), so no template can forget to escape a crawled field. Snippets are built as
segments (plain / matched, ``digests/snippets.py``) and escaped segment by segment before the
``<mark>`` goes around them: escape first, then mark. The explanation beside them (terms and where
they are, the score against its threshold, the fired rules in Arabic) comes from ``classifiers.evidence``,
the same code ``raqib classify`` explains with.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from classifiers.evidence import TermEntry, describe_rules, group_terms, merge_entries
from classifiers.loader import Pack, RuleError, load_ruleset
from classifiers.policy import score_meaning
from digests.group import Story
from digests.health import HealthReport, SourceHealth
from digests.select import DueArticle
from digests.snippets import Segment, build_snippets, located_snippets
from digests.text import MarkdownSafe, clean, markdown_escape, one_line, safe_url

__all__ = ["Segment", "build_snippets"]  # where callers and tests have always found them

LABELS_AR = {"core": "أساسي", "related": "ذو صلة"}
HEALTH_AR = {"failed": "فشل", "not_crawled": "لم يُزحف", "empty": "لا جديد", "stale": "متوقف", "ok": "سليم"}
EXTENSIONS = {"html": "html", "md": "md", "json": "json", "atom": "atom"}


@dataclass(frozen=True)
class Copy:
    outlet: str
    url: str | None  # None when the stored URL is not http(s): shown as text, never as a link
    raw_url: str
    published: str  # local time, for people
    published_iso: str | None


@dataclass(frozen=True)
class StoryView:
    entry_id: str
    label: str
    label_ar: str
    score: float
    title: str
    copies: tuple[Copy, ...]
    outlets: tuple[str, ...]
    terms: tuple[TermEntry, ...]  # deduplicated, forms grouped, with where each was found in the lead copy
    snippets: tuple[tuple[Segment, ...], ...]
    snippet_places: tuple[str, ...]  # «المقدمة», «الفقرة 3», or "" for each snippet
    score_line: str  # the score against the thresholds, in Arabic
    rules: tuple[str, ...]  # the fired rules, described in Arabic
    updated_iso: str
    published_iso: str | None
    matches: tuple[dict[str, Any], ...]
    article_ids: tuple[int, ...]

    def snippet_texts(self) -> list[str]:
        return ["".join(s.text for s in snippet) for snippet in self.snippets]

    def term_labels(self) -> list[str]:
        return [one_line(t.label("ar"), 200) for t in self.terms]


@dataclass(frozen=True)
class DigestDocument:
    title: str
    feed_id: str
    timezone: str
    generated_at: datetime
    period_start: datetime | None
    period_end: datetime
    stories: tuple[StoryView, ...]
    health: HealthReport
    run_label: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.stories

    @property
    def article_count(self) -> int:
        return sum(len(s.article_ids) for s in self.stories)


# --- building the view -------------------------------------------------------------------------------


def _local(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


_MATCH_KEYS = frozenset({"concept", "term", "start", "end", "text", "field", "part", "paragraph"})


@cache
def _ruleset() -> dict[str, Pack]:
    """The bundled packs, for thresholds and rule descriptions; a digest still goes out without them."""
    try:
        return dict(load_ruleset().packs)
    except (RuleError, OSError):
        return {}


def _pack(language: str) -> tuple[Pack | None, Pack | None]:
    """The pack that judged an article of ``language`` (by its code, else Arabic) and the Arabic one."""
    packs = _ruleset()
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return packs.get(code) or packs.get("ar"), packs.get("ar")


def story_view(story: Story, tz: ZoneInfo) -> StoryView:
    lead: DueArticle = story.lead
    copies = tuple(
        Copy(
            outlet=one_line(a.outlet or a.source or "?", 120),
            url=safe_url(a.url),
            raw_url=one_line(a.url, 500),
            published=_local(a.published_at or a.fetched_at, tz),
            published_iso=a.published_at.isoformat() if a.published_at else None,
        )
        for a in story.articles
    )
    # Nested matches and offsets only make sense within one copy; places are shown for the lead's text.
    terms = merge_entries(
        group_terms(lead.matches, lead.text),
        *(
            [TermEntry(t.term, t.concept, t.forms, ()) for t in group_terms(a.matches)]
            for a in story.articles[1:]
        ),
    )
    located = located_snippets(lead.text, lead.matches, lead.snippets)
    pack, fallback = _pack(lead.language)
    updated = lead.published_at or lead.fetched_at
    earliest = min((a.published_at for a in story.articles if a.published_at), default=None)
    return StoryView(
        entry_id=f"urn:raqib:article:{lead.article_id}",
        label=story.label,
        label_ar=LABELS_AR.get(story.label, story.label),
        score=round(story.score, 3),
        title=one_line(story.title, 300) or one_line(lead.text, 120) or "—",
        copies=copies,
        outlets=tuple(dict.fromkeys(c.outlet for c in copies)),
        terms=tuple(terms),
        snippets=tuple(snippet for snippet, _ in located),
        snippet_places=tuple(where for _, where in located),
        score_line=score_meaning(story.label, round(story.score, 3), pack.thresholds if pack else {}, "ar"),
        rules=tuple(one_line(text, 300) for _, text in describe_rules(lead.rules, pack, "ar", fallback)),
        updated_iso=updated.isoformat(),
        published_iso=earliest.isoformat() if earliest else None,
        matches=tuple(
            {k: (one_line(v, 200) if isinstance(v, str) else v) for k, v in m.items() if k in _MATCH_KEYS}
            for m in story.matches
        ),
        article_ids=story.article_ids,
    )


def build_document(
    stories: Sequence[Story],
    health: HealthReport,
    *,
    title: str,
    feed_id: str,
    timezone: str,
    generated_at: datetime,
    period_start: datetime | None,
    period_end: datetime,
    run_label: str = "",
    meta: dict[str, Any] | None = None,
) -> DigestDocument:
    tz = ZoneInfo(timezone)
    return DigestDocument(
        title=one_line(title, 200),
        feed_id=feed_id,
        timezone=timezone,
        generated_at=generated_at,
        period_start=period_start,
        period_end=period_end,
        stories=tuple(story_view(s, tz) for s in stories),
        health=health,
        run_label=run_label,
        meta=dict(meta or {}),
    )


# --- templates -------------------------------------------------------------------------------------


def _finalize_markdown(value: Any) -> str:
    if value is None:
        return ""
    return markdown_escape(value)


def _finalize_text(value: Any) -> str:
    return "" if value is None else clean(value)


@cache
def _environment(kind: str) -> Environment:
    loader = PackageLoader("digests", "templates")
    if kind == "markup":
        env = Environment(
            loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
        )
    elif kind == "markdown":
        env = Environment(
            loader=loader,
            autoescape=False,
            finalize=_finalize_markdown,
            undefined=StrictUndefined,
            trim_blocks=True,
        )
        env.filters["md_link"] = _md_link
    else:
        env = Environment(
            loader=loader,
            autoescape=False,
            finalize=_finalize_text,
            undefined=StrictUndefined,
            trim_blocks=True,
        )
    env.globals.update(labels_ar=LABELS_AR, health_ar=HEALTH_AR)
    env.filters["local"] = _local_filter
    return env


def _local_filter(value: datetime | None, timezone: str) -> str:
    return _local(value, ZoneInfo(timezone))


def _md_link(text: str, url: str | None) -> MarkdownSafe:
    label = markdown_escape(one_line(text))
    if not url:
        return label
    return MarkdownSafe(f"[{label}](<{url}>)")


def _context(doc: DigestDocument) -> dict[str, Any]:
    problems: tuple[SourceHealth, ...] = doc.health.problems
    return {"doc": doc, "problems": problems, "healthy": doc.health.healthy, "tz": doc.timezone}


def render_html(doc: DigestDocument) -> str:
    return _environment("markup").get_template("digest.html.j2").render(_context(doc))


def render_atom(doc: DigestDocument) -> str:
    env = _environment("markup")
    fragments = [
        env.get_template("story_fragment.html.j2").render(story=s, tz=doc.timezone) for s in doc.stories
    ]
    # The fragments are HTML (already escaped once); the Atom template escapes them again as XML
    # text, which is exactly what <content type="html"> means.
    return env.get_template("digest.atom.j2").render(
        _context(doc) | {"fragments": [str(f) for f in fragments]}
    )


def render_markdown(doc: DigestDocument) -> str:
    return _environment("markdown").get_template("digest.md.j2").render(_context(doc))


def render_text(doc: DigestDocument) -> str:
    return _environment("text").get_template("digest.txt.j2").render(_context(doc))


def render_json(doc: DigestDocument) -> str:
    return json.dumps(document_json(doc), ensure_ascii=False, indent=2) + "\n"


def document_json(doc: DigestDocument) -> dict[str, Any]:
    """The DESIGN.md contract, plus ``copies``/``article_ids`` and the health details."""
    return {
        "items": [
            {
                "label": s.label,
                "score": s.score,
                "title": s.title,
                "outlets": list(s.outlets),
                "urls": [c.raw_url for c in s.copies],
                "published_at": s.published_iso,
                "matches": [dict(m) for m in s.matches],
                "snippets": s.snippet_texts(),
                "copies": [
                    {"outlet": c.outlet, "url": c.raw_url, "published_at": c.published_iso} for c in s.copies
                ],
                "article_ids": list(s.article_ids),
            }
            for s in doc.stories
        ],
        "health": [h.as_json() for h in doc.health.sources],
        "period": {
            "since": doc.period_start.isoformat() if doc.period_start else None,
            "until": doc.period_end.isoformat(),
            "health_since": doc.health.since.isoformat(),
            "timezone": doc.timezone,
            "generated_at": doc.generated_at.isoformat(),
        },
        **({"run": doc.run_label} if doc.run_label else {}),
    }


RENDERERS = {"html": render_html, "md": render_markdown, "json": render_json, "atom": render_atom}


# --- files -----------------------------------------------------------------------------------------


def write_atomic(path: Path, content: str) -> None:
    """Write via a temporary file in the same folder and rename: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def digest_paths(
    out_dir: Path, formats: Sequence[str], *, created_at: datetime, timezone: str, stem: str
) -> list[Path]:
    """``OUT/YYYY-MM-DD/<stem>.<ext>``, dated in the digest's time zone."""
    folder = Path(out_dir) / created_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")
    return [folder / f"{stem}.{EXTENSIONS[fmt]}" for fmt in formats]


def write_files(doc: DigestDocument, formats: Sequence[str], paths: Sequence[Path]) -> list[Path]:
    for fmt, path in zip(formats, paths, strict=True):
        write_atomic(path, RENDERERS[fmt](doc))
    return list(paths)
