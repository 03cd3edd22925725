"""Digest documents rendered as HTML, Markdown, plain text, JSON and Atom, and written atomically.

Templates live in ``digests/templates`` (Jinja2). HTML and Atom templates autoescape; the Markdown
and text environments pass every ``{{ … }}`` through a ``finalize`` hook (Markdown escaping, control
character removal), so no template can forget to escape a crawled field. Snippets are built as
segments (plain / matched) and escaped segment by segment before the ``<mark>`` goes around them:
escape first, then mark.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from digests.group import Story
from digests.health import HealthReport, SourceHealth
from digests.select import DueArticle
from digests.text import MarkdownSafe, clean, markdown_escape, one_line, safe_url

LABELS_AR = {"core": "أساسي", "related": "ذو صلة"}
HEALTH_AR = {"failed": "فشل", "not_crawled": "لم يُزحف", "empty": "لا جديد", "stale": "متوقف", "ok": "سليم"}
EXTENSIONS = {"html": "html", "md": "md", "json": "json", "atom": "atom"}
SNIPPET_CONTEXT = 90  # characters of context on each side of a matched term
MAX_SNIPPETS = 3


@dataclass(frozen=True)
class Segment:
    text: str
    mark: bool = False


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
    terms: tuple[str, ...]
    snippets: tuple[tuple[Segment, ...], ...]
    updated_iso: str
    published_iso: str | None
    matches: tuple[dict[str, Any], ...]
    article_ids: tuple[int, ...]

    def snippet_texts(self) -> list[str]:
        return ["".join(s.text for s in snippet) for snippet in self.snippets]


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


def _spans(text: str, matches: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    """Match spans that really point at the matched text (offsets are trusted only when they agree)."""
    spans = []
    for match in matches:
        start, end, shown = match.get("start"), match.get("end"), str(match.get("text") or "")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            if not shown or text[start:end] == shown:
                spans.append((start, end))
                continue
        if shown:
            found = text.find(shown)
            if found >= 0:
                spans.append((found, found + len(shown)))
    return sorted(set(spans))


def _segments(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    pos = start
    for s, e in spans:
        if e <= pos or s >= end:
            continue
        s, e = max(s, pos), min(e, end)
        if s > pos:
            out.append(Segment(_inline(text[pos:s])))
        out.append(Segment(_inline(text[s:e]), mark=True))
        pos = e
    if pos < end:
        out.append(Segment(_inline(text[pos:end])))
    if out:  # spaces inside the window stay (around marks); its two ends are trimmed
        out[0] = Segment(out[0].text.lstrip(), out[0].mark)
        out[-1] = Segment(out[-1].text.rstrip(), out[-1].mark)
    return tuple(seg for seg in out if seg.text)


def _inline(text: str) -> str:
    # Keeps the spaces around a mark (one_line would strip them) but folds line breaks.
    collapsed = one_line(f"x{text}x")
    return collapsed[1:-1]


def build_snippets(text: str, matches: Sequence[dict[str, Any]], fallback: Sequence[str] = ()) -> tuple:
    """Up to three windows of the text around matched terms, as segments with the terms marked."""
    text = clean(text)
    spans = _spans(text, matches)
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    for s, e in spans:
        if windows and s <= windows[-1][1]:
            ws, we, members = windows[-1]
            windows[-1] = (ws, max(we, min(len(text), e + SNIPPET_CONTEXT)), [*members, (s, e)])
            continue
        windows.append((max(0, s - SNIPPET_CONTEXT), min(len(text), e + SNIPPET_CONTEXT), [(s, e)]))
    # The windows with the most evidence, shown in reading order.
    best = sorted(sorted(windows, key=lambda w: -len(w[2]))[:MAX_SNIPPETS])
    out = []
    for ws, we, members in best:
        ws = _word_start(text, ws)
        we = _word_end(text, we)
        segs = list(_segments(text, ws, we, members))
        if ws > 0:
            segs.insert(0, Segment("… "))
        if we < len(text):
            segs.append(Segment(" …"))
        out.append(tuple(segs))
    if out:
        return tuple(out)
    # No usable offsets: the classifier's own snippets, with the matched words marked where found.
    terms = [str(m.get("text") or "") for m in matches if m.get("text")]
    for snippet in list(fallback)[:MAX_SNIPPETS]:
        plain = one_line(snippet)
        # The classifier marks terms as «term»; those marks (not real quotation marks) are ours to redo.
        for term in terms:
            plain = plain.replace(f"«{term}»", term)
        fake = [{"text": t} for t in terms]
        out.append(_segments(plain, 0, len(plain), _spans(plain, fake)) or (Segment(plain),))
    if not out and text.strip():
        head = one_line(text, 240)
        out.append((Segment(head),))
    return tuple(out)


def _word_start(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    space = text.rfind(" ", max(0, pos - 20), pos)
    return space + 1 if space >= 0 else pos


def _word_end(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.find(" ", pos, pos + 20)
    return space if space >= 0 else pos


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
    terms = tuple(
        t
        for t in dict.fromkeys(one_line(m.get("text") or m.get("term") or "", 60) for m in story.matches)
        if t
    )
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
        terms=terms,
        snippets=build_snippets(lead.text, lead.matches, lead.snippets),
        updated_iso=updated.isoformat(),
        published_iso=earliest.isoformat() if earliest else None,
        matches=tuple(
            {
                k: (one_line(v, 200) if isinstance(v, str) else v)
                for k, v in m.items()
                if k in {"concept", "term", "start", "end", "text"}
            }
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
