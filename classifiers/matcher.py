"""Find concept terms in normalised text: whole tokens, clitics and suffixes, one automaton.

Every word of every term becomes a *slot*; each slot puts one or two keys into a single Aho-Corasick
automaton (the word, and for a feminine word its stem without the final ه so that plurals and
pronoun forms are found). One pass of the automaton over the text reports every key occurrence;
an occurrence counts only if it fills a whole token once the allowed proclitics (و ف ب ل ك ال …)
before it and the allowed suffix after it are accounted for. Multi-word terms are then assembled
from adjacent accepted tokens, so clitics and suffixes are handled on every word of a phrase
(«وللعملات المشفّرة» fills «عملة مشفرة»). Cost depends on the text and on the hits, not on the number
of terms. Words shorter than three letters inside a phrase («في», «of») are compared literally
instead of being keys, because as keys they would hit inside almost every word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from .loader import Pack, Term
from .normalize import SENTENCE_END, NormalizedText, Normalizer

_ARTICLE = "ال"
_MAX_PREFIX = 4  # longest proclitic chain we accept (وبال, وللـ → ولل)
_MAX_SUFFIX = 5
_MIN_KEY = 3
_BOUNDARY = " " + SENTENCE_END

# A slot mode is (prefix rule, suffix rule).
_NONE, _ANY, _DEFINITE = "none", "any", "definite"
_PLAIN, _FEM, _LATIN = "plain", "fem", "latin"


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"


@dataclass(slots=True)
class RawMatch:
    """A term found in the flat text (offsets into ``NormalizedText.flat``)."""

    term: Term
    start: int
    end: int
    token: int = 0  # approximate token index (for proximity)
    sentence: int = 0

    concept: str = ""

    def __post_init__(self) -> None:
        self.concept = self.term.concept


@dataclass(frozen=True)
class _Phrase:
    term: Term
    slots: tuple[int | str, ...]  # slot id for a keyed word, the literal word otherwise


class LexiconMatcher:
    """The compiled lexicon of one rule pack."""

    def __init__(self, pack: Pack, normalizer: Normalizer) -> None:
        self.morphology = pack.morphology
        m = pack.morphology
        self._proclitics = frozenset(normalizer.text(p).strip() for p in m.proclitics)
        self._definite = frozenset(p for p in self._proclitics if p.endswith((_ARTICLE, "لل")))
        self._suffixes = frozenset(normalizer.text(s).strip() for s in m.suffixes) | {""}
        self._fem_suffixes = frozenset(normalizer.text(s).strip() for s in m.feminine_suffixes)
        self._latin_suffixes = frozenset(normalizer.text(s).strip() for s in m.latin_suffixes) | {""}
        self._protected = frozenset(normalizer.text(p).strip() for p in m.protected)
        self._slot_ids: dict[tuple[str, str, str], int] = {}
        self._slot_modes: list[tuple[str, str, str]] = []  # (prefix rule, suffix rule, word)
        keys: dict[str, list[tuple[int, str, str]]] = {}
        self._phrases: list[_Phrase] = []
        self._by_first: dict[int, list[int]] = {}
        self._regexes: list[tuple[re.Pattern[str], Term]] = []
        for concept in pack.concepts.values():
            for term in concept.terms:
                if term.regex is not None:
                    self._regexes.append((re.compile(term.regex), term))
                    continue
                words = normalizer.text(term.text).replace(SENTENCE_END, " ").split()
                if not words:
                    raise ValueError(f"{term.where}: term {term.text!r} has no letters")
                slots: list[int | str] = []
                for i, word in enumerate(words):
                    if len(word) < _MIN_KEY and i > 0:
                        slots.append(word)
                        continue
                    slots.append(self._slot(word, term.affixes, keys))
                phrase_id = len(self._phrases)
                self._phrases.append(_Phrase(term, tuple(slots)))
                self._by_first.setdefault(slots[0], []).append(phrase_id)
        self._automaton = ahocorasick.Automaton()
        for key, entries in keys.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        if keys:
            self._automaton.make_automaton()
        self._has_keys = bool(keys)

    @property
    def n_keys(self) -> int:
        return len(self._automaton)

    def _slot(self, word: str, affixes: str, keys: dict[str, list[tuple[int, str, str]]]) -> int:
        protected = word in self._protected
        latin = not _is_arabic(word[-1])
        if affixes == "none":
            modes = [(word, _NONE, _NONE)]
        elif latin:
            modes = [(word, _DEFINITE if affixes == "definite" else _ANY, _LATIN)]
        else:
            prefix = _DEFINITE if affixes == "definite" else _ANY
            stem = word
            if not protected and word.startswith(_ARTICLE) and len(word) > len(_ARTICLE) + 2:
                stem = word[len(_ARTICLE) :]
            if protected:
                modes = [(stem, prefix, _NONE)]
            else:
                modes = [(stem, prefix, _PLAIN)]
                if stem.endswith("ه") and len(stem) >= 4:
                    modes.append((stem[:-1], prefix, _FEM))
        sig = (word, affixes, "")
        slot = self._slot_ids.get(sig)
        if slot is None:
            slot = len(self._slot_modes)
            self._slot_ids[sig] = slot
            self._slot_modes.append(sig)
            for key, prefix_rule, suffix_rule in modes:
                keys.setdefault(key, []).append((slot, prefix_rule, suffix_rule))
        return slot

    # --- matching -----------------------------------------------------------------------------

    def find(self, text: NormalizedText) -> list[RawMatch]:
        flat = text.flat
        n = len(flat)
        tokens: dict[int, list[tuple[int, int]]] = {}  # token start -> [(token end, slot)]
        firsts: list[tuple[int, int, int]] = []
        if self._has_keys:
            for last, (klen, entries) in self._automaton.iter(flat):
                start, end = last - klen + 1, last + 1
                span = self._token_span(flat, start, end, n)
                if span is None:
                    continue
                t_start, t_end = span
                prefix, suffix = flat[t_start:start], flat[end:t_end]
                if (prefix or suffix) and flat[t_start:t_end] in self._protected:
                    continue  # a loanword that only looks like clitic + word («بتكوين» ≠ ب + تكوين)
                for slot, prefix_rule, suffix_rule in entries:
                    if self._accept(prefix, suffix, prefix_rule, suffix_rule):
                        tokens.setdefault(t_start, []).append((t_end, slot))
                        if slot in self._by_first:
                            firsts.append((t_start, t_end, slot))
        matches: list[RawMatch] = []
        for t_start, t_end, slot in firsts:
            nxt = t_end
            while nxt < n and flat[nxt] == " ":
                nxt += 1
            following = {s for _, s in tokens.get(nxt, ())}
            for phrase_id in self._by_first[slot]:
                phrase = self._phrases[phrase_id]
                if len(phrase.slots) == 1:
                    matches.append(RawMatch(phrase.term, t_start, t_end))
                    continue
                second = phrase.slots[1]
                if not isinstance(second, str) and second not in following:
                    continue
                end = self._extend(flat, n, t_end, phrase.slots, tokens)
                if end is not None:
                    matches.append(RawMatch(phrase.term, t_start, end))
        for pattern, term in self._regexes:
            matches.extend(
                RawMatch(term, m.start(), m.end()) for m in pattern.finditer(flat) if m.end() > m.start()
            )
        return _finish(flat, matches)

    @staticmethod
    def _token_span(flat: str, start: int, end: int, n: int) -> tuple[int, int] | None:
        t_start = start
        while t_start > 0 and flat[t_start - 1] not in _BOUNDARY:
            t_start -= 1
            if start - t_start > _MAX_PREFIX:
                return None
        t_end = end
        while t_end < n and flat[t_end] not in _BOUNDARY:
            t_end += 1
            if t_end - end > _MAX_SUFFIX:
                return None
        return t_start, t_end

    def _accept(self, prefix: str, suffix: str, prefix_rule: str, suffix_rule: str) -> bool:
        if prefix:
            if prefix_rule == _NONE:
                return False
            if prefix_rule == _DEFINITE:
                if prefix not in self._definite:
                    return False
            elif prefix not in self._proclitics:
                return False
        elif prefix_rule == _DEFINITE:
            return False
        if suffix_rule == _FEM:
            return suffix in self._fem_suffixes
        if not suffix:
            return True
        if suffix_rule == _PLAIN:
            return suffix in self._suffixes
        if suffix_rule == _LATIN:
            return suffix in self._latin_suffixes
        return False

    @staticmethod
    def _extend(
        flat: str, n: int, pos: int, slots: tuple[int | str, ...], tokens: dict[int, list[tuple[int, int]]]
    ) -> int | None:
        for slot in slots[1:]:
            while pos < n and flat[pos] == " ":
                pos += 1
            if isinstance(slot, str):
                end = pos + len(slot)
                if not flat.startswith(slot, pos) or (end < n and flat[end] not in _BOUNDARY):
                    return None
                pos = end
                continue
            for t_end, s in tokens.get(pos, ()):
                if s == slot:
                    pos = t_end
                    break
            else:
                return None
        return pos


def _finish(flat: str, matches: list[RawMatch]) -> list[RawMatch]:
    """Order matches, drop those inside a longer match of the same concept, add token/sentence index."""
    matches.sort(key=lambda m: (m.start, -m.end))
    kept: list[RawMatch] = []
    reach: dict[str, int] = {}  # per concept, the furthest end seen so far
    for m in matches:
        if reach.get(m.concept, -1) >= m.end:
            continue
        reach[m.concept] = max(reach.get(m.concept, -1), m.end)
        kept.append(m)
    pos = token = sentence = 0
    for m in kept:
        token += flat.count(" ", pos, m.start)
        sentence += flat.count(SENTENCE_END, pos, m.start)
        pos = m.start
        m.token, m.sentence = token, sentence
    return kept


def apply_context(matches: list[RawMatch]) -> list[RawMatch]:
    """Keep an ambiguous term only when one of its context concepts occurs within its window.

    Only unambiguous matches give context, so two ambiguous words cannot vouch for each other.
    """
    if not any(m.term.context for m in matches):
        return matches
    anchors: dict[str, list[int]] = {}
    for m in matches:
        if not m.term.context:
            anchors.setdefault(m.concept, []).append(m.token)
    out = []
    for m in matches:
        if not m.term.context:
            out.append(m)
            continue
        window = m.term.window
        if any(abs(t - m.token) <= window for c in m.term.context for t in anchors.get(c, ())):
            out.append(m)
    return out
