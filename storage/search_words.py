"""The words of Arabic-aware search: how a text is folded and cut into words, each word's variants
(with and without its proclitics), what the index keeps for an article, and how matches are marked in
a text shown back to the analyst. Pure functions on strings; the queries are ``storage.search``'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

# classifiers/rules/ar/lexicon.yaml morphology.proclitics (a test keeps them equal), longest first.
PROCLITICS_RAW = ("و ف ب ل ك ال وال فال بال كال لل ولل فلل وب فب ول فل وك وبال فبال وكال").split()
PROTECTED_RAW = (
    "بيتكوين بتكوين تيثر بينانس باينانس إيثريوم ايثيريوم إيثيريوم بلوكتشين الكتروني إلكترونية "
    "إلكترونيا مونيرو تلغرام تليغرام كوين"
).split()
MIN_STEM = 3
SNIPPET_CHARS = 220
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def normalizer() -> Any:
    from classifiers.normalize import Normalizer

    return Normalizer()


@lru_cache(maxsize=1)
def _affixes() -> tuple[tuple[str, ...], frozenset[str]]:
    fold = normalizer().text
    proclitics = sorted({fold(p).strip() for p in PROCLITICS_RAW}, key=len, reverse=True)
    return tuple(proclitics), frozenset(fold(p).strip() for p in PROTECTED_RAW)


def words(normalised: str) -> list[str]:
    """The words of an already normalised text."""
    return _WORD.findall(normalised)


def variants(word: str) -> list[str]:
    """The word and the word without each proclitic chain it may carry (three letters at least left)."""
    proclitics, protected = _affixes()
    out = [word]
    if word in protected:
        return out
    for p in proclitics:
        if word.startswith(p) and len(word) - len(p) >= MIN_STEM:
            out.append(word[len(p) :])
    return out


def index_terms(title: str, body: str) -> str:
    """What the index keeps for an article: its distinct word variants (one normalisation)."""
    folded = normalizer().text(f"{title or ''}\n{body or ''}")
    return " ".join(dict.fromkeys(v for w in words(folded) for v in variants(w)))


def marks(original: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of ``original`` whose words match one of ``terms`` (a variant in common)."""
    if not terms or not original:
        return []
    nt = normalizer()(original)
    out = []
    for m in _WORD.finditer(nt.flat):
        if terms.intersection(variants(m.group())):
            out.append(nt.to_original(m.start(), m.end()))
    return out


def pieces(original: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
    """``original[start:end]`` as plain and marked pieces."""
    out, pos = [], start
    for s, e in spans:
        s, e = max(s, start, pos), min(e, end)
        if e <= s:
            continue
        if s > pos:
            out.append({"text": original[pos:s], "mark": False})
        out.append({"text": original[s:e], "mark": True})
        pos = e
    if pos < end:
        out.append({"text": original[pos:end], "mark": False})
    return out


def snippet(original: str, terms: frozenset[str], width: int = SNIPPET_CHARS) -> list[dict[str, Any]]:
    """A window of the text around its first matched word, cut at spaces, with the matches marked."""
    spans = marks(original, terms)
    if spans:
        first = spans[0][0]
        start = max(0, first - width // 3)
        if start:
            space = original.find(" ", start, first)
            start = space + 1 if space >= 0 else start
    else:
        start = 0
    end = min(len(original), start + width)
    if end < len(original):
        space = original.rfind(" ", start, end)
        end = space if space > start else end
    out = pieces(original, start, end, spans)
    if start > 0:
        out.insert(0, {"text": "… ", "mark": False})
    if end < len(original):
        out.append({"text": " …", "mark": False})
    return out
