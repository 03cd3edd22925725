"""Digest snippets: windows of a story's text around its matched terms, as plain/marked segments.

A window stays inside one paragraph, so it can say where it comes from («المقدمة», «الفقرة 3»).
Marks are built from merged spans (``classifiers.evidence.merge_spans``) and tidied once more as
segments, so every renderer gets marks that are never empty, never back to back, never begin or end
with a space (Markdown emphasis would not close) and never cut a letter from its diacritics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from classifiers.evidence import locate, merge_spans, paragraph_starts, place
from digests.text import clean, one_line

SNIPPET_CONTEXT = 90  # characters of context on each side of a matched term
MAX_SNIPPETS = 3
_CLASSIFIER_MARK = re.compile(r"«([^«»]*)»")  # how classifiers.explain marks terms in its own snippets


@dataclass(frozen=True)
class Segment:
    text: str
    mark: bool = False


Snippet = tuple[Segment, ...]


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


def tidy(segments: Iterable[Segment]) -> Snippet:
    """Segments without empty marks, with spaces moved out of marks and neighbours of a kind joined."""
    out: list[Segment] = []
    for seg in segments:
        parts = [seg]
        if seg.mark:
            core = seg.text.strip()
            lead = seg.text[: len(seg.text) - len(seg.text.lstrip())]
            trail = seg.text[len(seg.text.rstrip()) :] if core else ""
            parts = [Segment(lead), Segment(core, mark=True), Segment(trail)]
        for part in parts:
            if not part.text:
                continue
            if out and out[-1].mark == part.mark:
                out[-1] = Segment(out[-1].text + part.text, part.mark)
            else:
                out.append(part)
    return tuple(out)


def _segments(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> Snippet:
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
    return tidy(out)


def _inline(text: str) -> str:
    # Keeps the spaces around a mark (one_line would strip them) but folds line breaks.
    collapsed = one_line(f"x{text}x")
    return collapsed[1:-1]


def located_snippets(
    text: str, matches: Sequence[dict[str, Any]], fallback: Sequence[str] = ()
) -> tuple[tuple[Snippet, str], ...]:
    """Up to three (snippet, place) pairs; the place is "" when the snippet cannot be located."""
    text = clean(text)
    in_text = [m for m in matches if m.get("field") != "title"]  # title offsets do not point into the text
    spans = merge_spans(text, _spans(text, in_text))
    starts = paragraph_starts(text)
    windows: list[list[Any]] = []  # [paragraph start, window start, window end, members]
    for s, e in spans:
        p_start = text.rfind("\n", 0, s) + 1
        p_end = text.find("\n", e)
        p_end = len(text) if p_end < 0 else p_end
        if windows and windows[-1][0] == p_start and s <= windows[-1][2]:
            windows[-1][2] = max(windows[-1][2], min(p_end, e + SNIPPET_CONTEXT))
            windows[-1][3].append((s, e))
            continue
        windows.append(
            [p_start, max(p_start, s - SNIPPET_CONTEXT), min(p_end, e + SNIPPET_CONTEXT), [(s, e)]]
        )
    # The windows with the most evidence, shown in reading order.
    best = sorted(sorted(windows, key=lambda w: -len(w[3]))[:MAX_SNIPPETS], key=lambda w: w[1])
    out = []
    for p_start, ws, we, members in best:
        p_end = text.find("\n", we)
        p_end = len(text) if p_end < 0 else p_end
        ws = max(p_start, _word_start(text, ws))
        we = min(p_end, _word_end(text, we))
        segs = list(_segments(text, ws, we, members))
        if ws > p_start:
            segs.insert(0, Segment("… "))
        if we < p_end:
            segs.append(Segment(" …"))
        out.append((tuple(segs), place(*locate(starts, members[0][0]))))
    if out:
        return tuple(out)
    terms = [one_line(m.get("text")) for m in matches if m.get("text")]
    out = [(_classifier_snippet(snippet, terms), "") for snippet in list(fallback)[:MAX_SNIPPETS]]
    if not out and text.strip():
        out.append(((Segment(one_line(text, 240)),), ""))
    return tuple(out)


def build_snippets(text: str, matches: Sequence[dict[str, Any]], fallback: Sequence[str] = ()) -> tuple:
    """Up to three windows of the text around matched terms, as segments with the terms marked."""
    return tuple(snippet for snippet, _ in located_snippets(text, matches, fallback))


def _classifier_snippet(snippet: str, terms: Sequence[str]) -> Snippet:
    """The classifier's own snippet, its «marks» turned into marked segments.

    Only a «…» holding a matched term is a mark; other guillemets are the story's own quotation marks.
    """
    plain = one_line(snippet)
    segs: list[Segment] = []
    pos = 0
    for found in _CLASSIFIER_MARK.finditer(plain):
        inner = found.group(1)
        if not any(term and term in inner for term in terms):
            continue
        segs += [Segment(plain[pos : found.start()]), Segment(inner, mark=True)]
        pos = found.end()
    segs.append(Segment(plain[pos:]))
    if any(seg.mark for seg in segs):
        return tidy(segs)
    spans = merge_spans(plain, _spans(plain, [{"text": t} for t in terms]))
    return _segments(plain, 0, len(plain), spans) or (Segment(plain),)


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
