"""Where the evidence is and how an analyst reads it: paragraph locations, marked spans, term lists.

Shared by ``raqib classify`` and the digests, so both say the same thing. Everything here reads
plain match dicts (``Match.to_dict()`` or a stored row); rows stored before matches carried
``part``/``paragraph`` are located again from their offsets when those still fit the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import Pack, Rule

# Harakat, tanwin, shadda, sukun, Quranic marks and the dagger alef: they belong to the letter before them.
DIACRITICS = frozenset(chr(c) for c in (*range(0x064B, 0x0660), 0x0670))
# A line with something on it: the extractor's paragraphs.
_PARAGRAPH = re.compile(r"^[^\S\n]*\S", re.MULTILINE)
_REGEX_CHARS = frozenset("\\[](){}?*+|^$")


def bare(text: str) -> str:
    """``text`` without its diacritics (to tell forms apart as a reader would)."""
    return "".join(ch for ch in text if ch not in DIACRITICS)


def paragraph_starts(text: str) -> list[int]:
    """Offsets where each non-empty line of ``text`` starts (one regex pass, for bisecting)."""
    return [m.start() for m in _PARAGRAPH.finditer(text)]


def locate(starts: Sequence[int], offset: int) -> tuple[str, int]:
    """(part, paragraph) of a text offset; text before the first paragraph counts as the lead."""
    n = bisect_right(starts, offset) or 1
    return ("lead" if n == 1 else "body"), n


def place(part: str, paragraph: int, language: str = "ar") -> str:
    """«العنوان», «المقدمة», «الفقرة 3» (or title, lead, paragraph 3)."""
    if language == "ar":
        if part == "title":
            return "العنوان"
        return "المقدمة" if part == "lead" else f"الفقرة {paragraph}"
    if part == "title":
        return "title"
    return "lead" if part == "lead" else f"paragraph {paragraph}"


def merge_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans ready to mark: widened to whole letters with their diacritics, then merged when they
    overlap, nest or touch, so that no two marks are back to back and none is empty."""
    out: list[tuple[int, int]] = []
    size = len(text)
    for s, e in sorted(spans):
        s, e = max(0, s), min(size, e)
        while 0 < s < size and text[s] in DIACRITICS:  # never start a mark on a letter's diacritic
            s -= 1
        while e < size and text[e] in DIACRITICS:
            e += 1
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


@dataclass(frozen=True)
class TermEntry:
    """One term of the explanation: the lexicon's term, the forms found and where they were found."""

    term: str
    concept: str
    forms: tuple[str, ...]
    places: tuple[tuple[str, int], ...]  # (part, paragraph), in reading order

    def shown_forms(self) -> tuple[str, ...]:
        """The forms worth printing next to the term (none when they only differ from it by diacritics)."""
        return () if {bare(f) for f in self.forms} == {bare(self.term)} else self.forms

    def places_label(self, language: str = "ar") -> str:
        """«المقدمة، الفقرة 3» (or "lead, paragraph 3")."""
        return ("، " if language == "ar" else ", ").join(place(p, n, language) for p, n in self.places)

    def label(self, language: str = "ar") -> str:
        """«term (form، form) — where، where» in one line."""
        out = self.term
        if self.shown_forms():
            out += f" ({('، ' if language == 'ar' else ', ').join(self.shown_forms())})"
        if self.places:
            out += " — " + self.places_label(language)
        return out


def outermost(matches: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The matches not lying inside another match's span of the same field (the first of equal spans wins)."""
    spans = []
    for i, m in enumerate(matches):
        s, e = m.get("start"), m.get("end")
        if isinstance(s, int) and isinstance(e, int) and s < e:
            spans.append((m.get("field") or "text", s, -e, i))
    spans.sort()
    inner: set[int] = set()
    reach: dict[str, int] = {}
    for f, _start, neg_e, i in spans:
        if -neg_e <= reach.get(f, -1):
            inner.add(i)
        else:
            reach[f] = -neg_e
    return [m for i, m in enumerate(matches) if i not in inner]


def where(
    match: Mapping[str, Any], text: str | None = None, starts: Sequence[int] | None = None
) -> tuple[str, int] | None:
    """A match's (part, paragraph): stored with it, or found again from offsets that still fit ``text``."""
    part, paragraph = match.get("part"), match.get("paragraph")
    if part in ("title", "lead", "body") and isinstance(paragraph, int):
        return part, paragraph
    if match.get("field") == "title":
        return "title", 0
    s, e = match.get("start"), match.get("end")
    if text is None or not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)):
        return None
    if text[s:e] != (match.get("text") or text[s:e]):
        return None
    return locate(starts if starts is not None else paragraph_starts(text), s)


def group_terms(matches: Sequence[Mapping[str, Any]], text: str | None = None) -> list[TermEntry]:
    """The term list of one document: nested matches dropped, surface forms grouped under their term."""
    starts = paragraph_starts(text) if text else None
    entries: dict[str, dict[str, Any]] = {}
    for m in outermost(matches):
        form = " ".join(str(m.get("text") or "").split())
        term = " ".join(str(m.get("term") or "").split())
        if _REGEX_CHARS.intersection(term) or not term:
            term = form  # a regex says nothing to a reader; its match does
        if not term:
            continue
        entry = entries.setdefault(term, {"concept": str(m.get("concept") or ""), "forms": {}, "places": {}})
        if form:
            entry["forms"].setdefault(bare(form), form)  # «تمويلِ» and «تمويل» are one form
        loc = where(m, text, starts)
        if loc is not None:
            entry["places"][loc] = None
    return [
        TermEntry(
            term,
            e["concept"],
            tuple(e["forms"].values()) or (term,),
            tuple(sorted(e["places"], key=_reading_order)),
        )
        for term, e in entries.items()
    ]


def merge_entries(*lists: Iterable[TermEntry]) -> list[TermEntry]:
    """Term lists of several documents as one (first seen first; forms and places joined)."""
    out: dict[str, TermEntry] = {}
    for entries in lists:
        for entry in entries:
            old = out.get(entry.term)
            if old is None:
                out[entry.term] = entry
                continue
            forms = tuple({bare(f): f for f in reversed(old.forms + entry.forms)}.values())[::-1]
            places = tuple(sorted(dict.fromkeys(old.places + entry.places), key=_reading_order))
            out[entry.term] = TermEntry(old.term, old.concept, forms, places)
    return list(out.values())


def _reading_order(loc: tuple[str, int]) -> int:
    return loc[1]


def describe_rules(
    names: Iterable[str], pack: Pack | None, language: str = "ar", fallback: Pack | None = None
) -> list[tuple[str, str]]:
    """(name, description) of each fired rule, in ``language``; a rule nobody described keeps its name.

    ``fallback`` is another pack whose rules of the same name say the same thing (the Arabic pack's
    descriptions serve a story the English pack decided, in an Arabic digest)."""
    by_name: dict[str, Rule] = {}
    for source in (fallback, pack):  # the deciding pack's own words win
        if source is not None:
            by_name.update({r.name: r for r in source.rules})
    out = []
    for name in names:
        rule = by_name.get(name)
        if rule is None:
            out.append((name, name))
            continue
        own = rule.description_ar if language == "ar" else rule.description
        if not own and language == "ar" and fallback is not None:
            other = next((r for r in fallback.rules if r.name == name), None)
            own = other.description_ar if other else ""
        out.append((name, own or name))
    return out
