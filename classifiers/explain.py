"""Snippets: the sentences that carry the strongest evidence, with the matched terms marked."""

from __future__ import annotations

from .evidence import DIACRITICS, merge_spans
from .normalize import SENTENCE_END, NormalizedText
from .rules_engine import FiredRule

MARK_OPEN, MARK_CLOSE = "«", "»"
MAX_SNIPPETS = 3
MAX_CHARS = 300


def snippets(
    fired: list[FiredRule],
    texts: dict[str, NormalizedText],
    spans: dict[str, list[tuple[int, int]]],
) -> list[str]:
    """Up to three distinct snippets, strongest rules first.

    ``texts`` maps field ("title"/"text") to its normalised text, ``spans`` to the original-text
    spans of every match in that field (all of them get marked inside a chosen sentence).
    """
    out: list[str] = []
    seen: set[tuple[str, int, int]] = set()
    bounds: dict[tuple[str, int, int], tuple[int, int]] = {}  # the sentence's flat bounds -> original span
    for f in sorted(fired, key=lambda f: -f.contribution):
        for w in f.witnesses:
            nt = texts[w.field]
            flat = nt.flat
            key = (w.field, flat.rfind(SENTENCE_END, 0, w.raw.start), flat.find(SENTENCE_END, w.raw.end))
            span = bounds.get(key)
            if span is None:
                span = bounds[key] = _sentence(nt, w.raw.start, w.raw.end)
            s, e = span
            if (w.field, s, e) in seen:
                continue
            seen.add((w.field, s, e))
            out.append(_render(nt.original, s, e, spans[w.field], nt.to_original(w.raw.start, w.raw.end)))
            if len(out) >= MAX_SNIPPETS:
                return out
    return out


def first_match_snippet(nt: NormalizedText, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    s, e = _sentence(nt, start, end)
    return _render(nt.original, s, e, spans, nt.to_original(start, end))


def _sentence(nt: NormalizedText, start: int, end: int) -> tuple[int, int]:
    flat = nt.flat
    s = flat.rfind(SENTENCE_END, 0, start) + 1
    e = flat.find(SENTENCE_END, end)
    e = len(flat) if e < 0 else e + 1
    o_s, _ = nt.to_original(s, s + 1) if s < len(flat) else (len(nt.original), 0)
    _, o_e = nt.to_original(e - 1, e) if e > 0 else (0, 0)
    return o_s, max(o_e, o_s)


def _render(original: str, s: int, e: int, spans: list[tuple[int, int]], focus: tuple[int, int]) -> str:
    # Trim long sentences to a window around the witness.
    if e - s > MAX_CHARS:
        centre = (focus[0] + focus[1]) // 2
        s2 = max(s, centre - MAX_CHARS // 2)
        e2 = min(e, s2 + MAX_CHARS)
        s, e, cut_left, cut_right = s2, e2, s2 > s, e2 < e
    else:
        cut_left = cut_right = False
    # A window never splits a letter from its diacritics.
    while 0 < s < len(original) and original[s] in DIACRITICS:
        s -= 1
    while e < len(original) and original[e] in DIACRITICS:
        e += 1
    merged = merge_spans(original, ((a, b) for a, b in spans if a < e and b > s))
    parts, pos = [], s
    for a, b in merged:
        a, b = max(a, s), min(b, e)
        if b <= a:
            continue
        # Spaces at a mark's edges go outside it: «تمويل» rather than « تمويل».
        inner = original[a:b]
        core = inner.strip()
        if not core:
            continue
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        parts += [original[pos:a], lead, MARK_OPEN, " ".join(core.split()), MARK_CLOSE, trail]
        pos = b
    parts.append(original[pos:e])
    text = " ".join("".join(parts).split())
    return ("…" if cut_left else "") + text + ("…" if cut_right else "")
