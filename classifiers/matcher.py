"""Find concept terms in normalised text: whole tokens, clitics and suffixes, one automaton.

Every word of every term becomes a *slot*; each slot has one or two keys (the word, and for a
feminine word its stem without the final ه so that plurals and pronoun forms are found). The
automaton holds each key behind a space and every proclitic chain the slot accepts (« وال» + key …),
spelled out once when the rules are compiled, and is run once over the text with a space in front.
So it reports only keys that begin a token after an accepted proclitic chain — never a key buried
inside another word — and per occurrence only the suffix (the rest of the token, at most
``_MAX_SUFFIX`` letters) is left to check. One-word terms are recorded during that pass; multi-word
terms are assembled from adjacent accepted tokens, so clitics and suffixes are handled on every word
of a phrase («وللعملات المشفّرة» fills «عملة مشفرة»). Cost depends on the text and on the tokens that
begin like a term, not on the number of terms. Words shorter than three letters inside a phrase
(«في», «of») are compared literally instead of being keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter

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


class RawMatch:
    """A term found in the flat text (offsets into ``NormalizedText.flat``)."""

    __slots__ = ("term", "start", "end", "token", "sentence", "concept")

    def __init__(self, term: Term, start: int, end: int, token: int = 0, sentence: int = 0) -> None:
        self.term = term
        self.start = start
        self.end = end
        self.token = token  # approximate token index (spaces before the match, for proximity)
        self.sentence = sentence
        self.concept = term.concept

    def __repr__(self) -> str:
        return (
            f"RawMatch(term={self.term.text!r}, concept={self.concept!r}, start={self.start}, "
            f"end={self.end}, token={self.token}, sentence={self.sentence})"
        )


@dataclass(frozen=True)
class _Phrase:
    term: Term
    slots: tuple[int | str, ...]  # slot id for a keyed word, the literal word otherwise


@dataclass(frozen=True)
class _FirstPlan:
    singles: tuple[Term, ...]  # one-word terms
    by_second: dict[int, tuple[tuple[int, Term, tuple[int | str, ...]], ...]]  # (phrase id, term, rest)
    literal: tuple[tuple[int, Term, tuple[int | str, ...]], ...]  # phrases whose second word is literal


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
        # What each prefix / suffix rule accepts, as sets (the empty string: no affix).
        self._prefix_sets = {
            _NONE: frozenset({""}),
            _ANY: self._proclitics | {""},
            _DEFINITE: self._definite,
        }
        self._suffix_sets = {
            _NONE: frozenset({""}),
            _PLAIN: self._suffixes,
            _FEM: self._fem_suffixes,
            _LATIN: self._latin_suffixes,
        }
        self._slot_ids: dict[tuple[str, str, str], int] = {}
        self._slot_modes: list[tuple[str, str, str]] = []  # (word, affixes, "")
        keys: dict[str, list[tuple[int, str, str]]] = {}
        self._phrases: list[_Phrase] = []
        by_first: dict[int | str, list[int]] = {}
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
                by_first.setdefault(slots[0], []).append(phrase_id)
        self._by_first = {slot: self._first_plan(ids) for slot, ids in by_first.items()}
        later = {slot for p in self._phrases for slot in p.slots[1:] if not isinstance(slot, str)}
        self._automaton = self._build_automaton(keys, later)
        self._has_keys = bool(keys)

    def _build_automaton(
        self, keys: dict[str, list[tuple[int, str, str]]], later: set[int]
    ) -> ahocorasick.Automaton:
        """One automaton whose keys are token starts: a space, an accepted proclitic chain, a word key.

        The clitic variants are spelled out here, once, so the automaton only reports occurrences at
        the start of a token (the text is searched with a space in front) — never a key buried inside
        an unrelated word, which would cost a Python step per hit and grow with the number of terms.
        A key carries the token length it covers and, per way of reading it as proclitic + key
        (shortest proclitic first, as a longer key is reported first), the entries
        ``(accepted suffixes, (slot, its one-word terms, starts a longer phrase, continues one))``,
        plus every suffix any entry accepts and their first letters. Only suffixes are left to check
        per occurrence, and most words that merely begin like a key fail on their next letter.
        """
        splits: dict[
            str, dict[int, list[tuple[frozenset[str], tuple[int, tuple[Term, ...], bool, bool]]]]
        ] = {}
        for key, entries in keys.items():
            for slot, prefix_rule, suffix_rule in entries:
                plan = self._by_first.get(slot)
                singles = plan.singles if plan is not None else ()
                multi = plan is not None and bool(plan.by_second or plan.literal)
                rec = (slot, singles, multi, slot in later)
                suffixes = self._suffix_sets[suffix_rule]
                for prefix in sorted(self._prefix_sets[prefix_rule]):
                    if len(prefix) <= _MAX_PREFIX:
                        splits.setdefault(" " + prefix + key, []).append((len(prefix), suffixes, rec))
        automaton = ahocorasick.Automaton()
        protected = self._protected
        interned: dict[frozenset[frozenset[str]], tuple[frozenset[str], frozenset[str]]] = {}
        shared_groups: dict[tuple, tuple] = {}  # the proclitic variants of one key share their entries
        for anchored, found in splits.items():
            by_prefix: dict[int, list[tuple[frozenset[str], tuple[int, tuple[Term, ...], bool, bool]]]] = {}
            for plen, suffixes, rec in found:
                by_prefix.setdefault(plen, []).append((suffixes, rec))
            head = anchored[1:]
            # Only a token that begins like a protected word can be one (then it is never clitic + key).
            guard = any(p.startswith(head) for p in protected)
            groups = tuple(
                self._group(plen, entries, shared_groups) for plen, entries in sorted(by_prefix.items())
            )
            suffix_sets = frozenset(suf for entries in by_prefix.values() for suf, _ in entries)
            shared = interned.get(suffix_sets)  # a handful of distinct sets, shared by every key
            if shared is None:
                any_suffix = frozenset().union(*suffix_sets)
                shared = interned[suffix_sets] = (any_suffix, frozenset(x[0] for x in any_suffix if x))
            any_suffix, initials = shared
            automaton.add_word(anchored, (len(head), groups, guard, any_suffix, initials))
        if splits:
            automaton.make_automaton()
        return automaton

    @staticmethod
    def _group(plen: int, entries: list, shared: dict[tuple, tuple]) -> tuple:
        """``(proclitic length, entries accepting no suffix, entries)``, built once per distinct content."""
        key = (plen, *(id(x) for entry in entries for x in entry))
        group = shared.get(key)
        if group is None:
            group = shared[key] = (plen, tuple(rec for suf, rec in entries if "" in suf), tuple(entries))
        return group

    def _first_plan(self, phrase_ids: list[int]) -> _FirstPlan:
        """The phrases that start with one slot: one-word terms, then the rest by their second slot."""
        singles: list[Term] = []
        by_second: dict[int, list[tuple[int, Term, tuple[int | str, ...]]]] = {}
        literal: list[tuple[int, Term, tuple[int | str, ...]]] = []
        for pid in phrase_ids:
            phrase = self._phrases[pid]
            if len(phrase.slots) == 1:
                singles.append(phrase.term)
            elif isinstance(phrase.slots[1], str):
                literal.append((pid, phrase.term, phrase.slots[1:]))
            else:
                by_second.setdefault(phrase.slots[1], []).append((pid, phrase.term, phrase.slots[2:]))
        return _FirstPlan(tuple(singles), {k: tuple(v) for k, v in by_second.items()}, tuple(literal))

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
        """Every term occurrence in ``text``, ordered, with token and sentence indexes."""
        flat = text.flat
        if not flat:
            return []
        found: list[tuple[int, int, Term]] = []  # (start, -end, term)
        if self._has_keys:
            tokens, firsts = self._tokens(flat, found)
            by_first = self._by_first
            n = len(flat)
            for t_start, t_end, slot in dict.fromkeys(firsts):  # the same token can be hit twice
                plan = by_first[slot]
                ends: dict[int, tuple[int, Term]] = {}  # phrase id -> (end, term)
                if plan.by_second:
                    nxt = t_end
                    while nxt < n and flat[nxt] == " ":
                        nxt += 1
                    for t2_end, second in tokens.get(nxt, ()):
                        for pid, term, rest in plan.by_second.get(second, ()):
                            if pid not in ends:
                                end = _extend(flat, t2_end, rest, tokens) if rest else t2_end
                                if end is not None:
                                    ends[pid] = (end, term)
                for pid, term, rest in plan.literal:
                    end = _extend(flat, t_end, rest, tokens)
                    if end is not None:
                        ends[pid] = (end, term)
                if ends:
                    for pid in sorted(ends):  # lexicon order, as ties on the same span are kept in it
                        end, term = ends[pid]
                        found.append((t_start, -end, term))
        for pattern, term in self._regexes:
            found.extend((m.start(), -m.end(), term) for m in pattern.finditer(flat) if m.end() > m.start())
        return _finish(flat, found)

    def _tokens(
        self, flat: str, found: list[tuple[int, int, Term]]
    ) -> tuple[dict[int, list[tuple[int, int]]], list[tuple[int, int, int]]]:
        """One automaton pass: one-word terms go straight to ``found``; returns the slots each token
        fills (for words after the first of a phrase) and the tokens that can start a longer phrase.

        An occurrence counts when the token is an accepted proclitic chain (at most ``_MAX_PREFIX``
        letters, spelled out in the automaton keys), the key and an accepted suffix (at most
        ``_MAX_SUFFIX``, found with a bounded ``find``), so a long run of letters costs no more than
        a short one.
        """
        n = len(flat)
        sp = flat.replace(SENTENCE_END, " ")  # both boundaries as one character
        find = sp.find
        protected = self._protected
        tokens: dict[int, list[tuple[int, int]]] = {}  # token start -> [(token end, slot)], later words
        firsts: list[tuple[int, int, int]] = []
        # With a space in front, position ``last`` of the search text is the end of the key in ``sp``.
        add = found.append
        for end, (length, groups, guard, any_suffix, initials) in self._automaton.iter(" " + sp):
            t_start = end - length
            if end == n:
                t_end, suffix = end, ""
            elif (after := sp[end]) == " ":
                t_end, suffix = end, ""
            elif after not in initials:
                continue  # the key is only the beginning of a longer word
            else:
                t_end = find(" ", end, end + _MAX_SUFFIX + 1)
                if t_end < 0:
                    if n - end > _MAX_SUFFIX:
                        continue
                    t_end = n
                suffix = sp[end:t_end]
                if suffix not in any_suffix:
                    continue
            for plen, bare, entries in groups:
                if plen or suffix:
                    if guard and sp[t_start:t_end] in protected:
                        continue  # a loanword that only looks like clitic + word («بتكوين» ≠ ب + تكوين)
                    accepted = [rec for suf, rec in entries if suffix in suf] if suffix else bare
                else:
                    accepted = bare
                for slot, singles, multi, cont in accepted:
                    for term in singles:
                        add((t_start, -t_end, term))
                    if multi:
                        firsts.append((t_start, t_end, slot))
                    if cont:
                        filled = tokens.get(t_start)
                        if filled is None:
                            tokens[t_start] = [(t_end, slot)]
                        else:
                            filled.append((t_end, slot))
        return tokens, firsts


def _extend(
    flat: str, pos: int, slots: tuple[int | str, ...], tokens: dict[int, list[tuple[int, int]]]
) -> int | None:
    """Where a phrase ends when its remaining ``slots`` follow from ``pos`` on, or None."""
    n = len(flat)
    for slot in slots:
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


def _finish(flat: str, found: list[tuple[int, int, Term]]) -> list[RawMatch]:
    """Order matches, drop those inside a longer match of the same concept, add token/sentence index.

    ``found`` holds ``(start, -end, term)``; the sort is stable, so ties keep the order they were found in.
    """
    found.sort(key=_span_key)
    kept: list[RawMatch] = []
    reach: dict[str, int] = {}  # per concept, the furthest end seen so far
    pos = token = sentence = 0
    count = flat.count
    for start, neg_end, term in found:
        end = -neg_end
        concept = term.concept
        if reach.get(concept, -1) >= end:
            continue
        reach[concept] = end
        token += count(" ", pos, start)
        sentence += count(SENTENCE_END, pos, start)
        pos = start
        kept.append(RawMatch(term, start, end, token, sentence))
    return kept


_span_key = itemgetter(0, 1)


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
