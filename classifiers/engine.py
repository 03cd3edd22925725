"""The classifier: text (and title) in, a decision with its explanation out.

Load once with ``load_classifier()`` and pass the object around; it holds no global state, and it
pickles (a process pool can ship it to workers) because every part is plain data, compiled
regexes, a translation table and a picklable automaton.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .evidence import paragraph_starts
from .explain import first_match_snippet, snippets
from .loader import Pack, RuleSet, load_ruleset
from .matcher import LexiconMatcher, RawMatch, apply_context
from .normalize import NormalizedText, Normalizer
from .policy import LABEL_RANK, decide
from .rules_engine import evaluate_rules

MAX_REPORTED_MATCHES = 500  # every match is scored; only this many are listed in a decision
# Runs rather than single letters: the regex engine stays in its loop and few strings are built.
_ARABIC_LETTERS = re.compile(r"[\u0621-\u064a\u0671-\u06d3\ufb50-\ufdff\ufe70-\ufefc]+")
_LATIN_LETTERS = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_SCRIPT_SAMPLE = 600  # enough letters to tell the script; findall on more is wasted time


@dataclass(frozen=True)
class Match:
    concept: str
    term: str
    start: int  # offsets into the original (un-normalised) title or text
    end: int
    text: str
    field: str = "text"  # "text" or "title"
    part: str = "body"  # where an analyst finds it: "title", "lead" (first paragraph) or "body"
    paragraph: int = 0  # 0 the title, 1 the lead, 2.. the body's paragraphs (non-empty lines of the text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "term": self.term,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "field": self.field,
            "part": self.part,
            "paragraph": self.paragraph,
        }


@dataclass(frozen=True)
class Decision:
    label: str  # "core" | "related" | "none"
    score: float
    rules: list[str]
    matches: list[Match]
    snippets: list[str]
    rules_version: str
    language: str = ""  # the rule pack that decided
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def flagged(self) -> bool:
        return self.label != "none"

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``raqib classify --json`` (DESIGN.md)."""
        return {
            "label": self.label,
            "score": self.score,
            "rules": list(self.rules),
            "matches": [m.to_dict() for m in self.matches],
            "snippets": list(self.snippets),
            "rules_version": self.rules_version,
            "language": self.language,
        }


_EMPTY = NormalizedText("", "", (0,), (0,), (False,))  # what the normaliser makes of ""


class _CompiledPack:
    def __init__(self, pack: Pack, normalizer: Normalizer) -> None:
        self.pack = pack
        self.matcher = LexiconMatcher(pack, normalizer)


class Classifier:
    """Rule packs compiled once. ``classify`` is pure: same input, same decision."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._normalizer = Normalizer()
        self._packs = {lang: _CompiledPack(pack, self._normalizer) for lang, pack in ruleset.packs.items()}

    @property
    def rules_version(self) -> str:
        return self.ruleset.version

    @property
    def languages(self) -> list[str]:
        return sorted(self._packs)

    def classify(self, text: str | None, title: str | None = "", language: str | None = None) -> Decision:
        text = _as_text(text, "text")
        title = _as_text(title, "title")
        best: Decision | None = None
        for pack in self._choose_packs(text, title, language):
            decision = self._classify_with(pack, text, title)
            if best is None or (LABEL_RANK[decision.label], decision.score) > (
                LABEL_RANK[best.label],
                best.score,
            ):
                best = decision
        assert best is not None
        return best

    def _choose_packs(self, text: str, title: str, language: str | None) -> list[_CompiledPack]:
        if language:
            code = language.strip().lower().replace("_", "-").split("-")[0]
            if code in self._packs:
                return [self._packs[code]]
        sample = title[:_SCRIPT_SAMPLE] + " " + text[:_SCRIPT_SAMPLE]
        if "ar" in self._packs and _mostly_arabic(sample):
            return [self._packs["ar"]]
        others = [p for code, p in sorted(self._packs.items()) if code != "ar"]
        return others or list(self._packs.values())

    def _classify_with(self, cp: _CompiledPack, text: str, title: str) -> Decision:
        norm = {
            "text": self._normalizer(text) if text else _EMPTY,
            "title": self._normalizer(title) if title else _EMPTY,
        }
        raw = {f: apply_context(cp.matcher.find(nt)) if nt.flat else [] for f, nt in norm.items()}
        fired = evaluate_rules(cp.pack, raw["title"], raw["text"])
        label, score = decide(fired, cp.pack.thresholds)
        matches, spans = _public_matches(norm, raw)
        snips = snippets(fired, norm, spans) if fired else []
        if not snips and matches:
            first = raw["text"][0] if raw["text"] else raw["title"][0]
            f = "text" if raw["text"] else "title"
            snips = [first_match_snippet(norm[f], first.start, first.end, spans[f])]
        return Decision(
            label=label,
            score=score,
            rules=[f.rule.name for f in fired],
            matches=matches[:MAX_REPORTED_MATCHES],
            snippets=snips,
            rules_version=self.rules_version,
            language=cp.pack.language,
        )


def _public_matches(
    norm: dict[str, NormalizedText], raw: dict[str, list[RawMatch]]
) -> tuple[list[Match], dict[str, list[tuple[int, int]]]]:
    """Every match in original offsets (title first), and the original spans of each field."""
    out: list[Match] = []
    spans: dict[str, list[tuple[int, int]]] = {"text": [], "title": []}
    for f in ("title", "text"):
        found = raw[f]
        if not found:
            continue
        nt = norm[f]
        original, to_original = nt.original, nt.to_original
        field_spans = spans[f]
        if f == "title":
            for m in found:
                s, e = to_original(m.start, m.end)
                field_spans.append((s, e))
                out.append(_match(m.concept, m.term.text, s, e, original[s:e], f, "title", 0))
            continue
        starts = paragraph_starts(original)
        for m in found:
            s, e = to_original(m.start, m.end)
            field_spans.append((s, e))
            # Text before the first paragraph (blank lines) counts as the lead.
            n = bisect_right(starts, s) or 1
            out.append(
                _match(m.concept, m.term.text, s, e, original[s:e], f, "lead" if n == 1 else "body", n)
            )

    return out, spans


_new = object.__new__


def _match(
    concept: str, term: str, start: int, end: int, text: str, field: str, part: str, paragraph: int
) -> Match:
    """``Match(...)`` without the frozen dataclass's per-field ``object.__setattr__`` calls."""
    m = _new(Match)
    m.__dict__.update(
        concept=concept,
        term=term,
        start=start,
        end=end,
        text=text,
        field=field,
        part=part,
        paragraph=paragraph,
    )
    return m


def _mostly_arabic(sample: str) -> bool:
    """At least as many Arabic letters as Latin ones (counting stops once that is certain)."""
    latin = sum(map(len, _LATIN_LETTERS.findall(sample)))
    if not latin:
        return True
    arabic = 0
    for m in _ARABIC_LETTERS.finditer(sample):
        arabic += m.end() - m.start()
        if arabic >= latin:
            return True
    return False


def _as_text(value: object, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        raise TypeError(f"{name} must be str, not bytes (decode it first)")
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    return value


def load_classifier(rules_dir: Path | str | None = None) -> Classifier:
    """Load and compile the rule packs (the bundled ar/en/fr packs by default).

    Compiling takes a fraction of a second: call it once and pass the classifier around.
    Raises ``loader.RuleError`` naming file, line and rule when a rules file is invalid.
    """
    return Classifier(load_ruleset(Path(rules_dir) if rules_dir is not None else None))
