"""The classifier: text (and title) in, a decision with its explanation out.

Load once with ``load_classifier()`` and pass the object around; it holds no global state, and it
pickles (a process pool can ship it to workers) because every part is plain data, compiled
regexes, a translation table and a picklable automaton.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .explain import first_match_snippet, snippets
from .loader import Pack, RuleSet, load_ruleset
from .matcher import LexiconMatcher, RawMatch, apply_context
from .normalize import NormalizedText, Normalizer
from .policy import LABEL_RANK, decide
from .rules_engine import evaluate_rules

MAX_REPORTED_MATCHES = 500  # every match is scored; only this many are listed in a decision
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3\ufb50-\ufdff\ufe70-\ufefc]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_SCRIPT_SAMPLE = 600  # enough letters to tell the script; findall on more is wasted time


@dataclass(frozen=True)
class Match:
    concept: str
    term: str
    start: int  # offsets into the original (un-normalised) title or text
    end: int
    text: str
    field: str = "text"  # "text" or "title"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        arabic = len(_ARABIC_LETTER.findall(sample))
        latin = len(_LATIN_LETTER.findall(sample))
        if arabic >= latin and "ar" in self._packs:
            return [self._packs["ar"]]
        others = [p for code, p in sorted(self._packs.items()) if code != "ar"]
        return others or list(self._packs.values())

    def _classify_with(self, cp: _CompiledPack, text: str, title: str) -> Decision:
        norm = {"text": self._normalizer(text), "title": self._normalizer(title)}
        raw = {f: apply_context(cp.matcher.find(nt)) for f, nt in norm.items()}
        fired = evaluate_rules(cp.pack, raw["title"], raw["text"])
        label, score = decide(fired, cp.pack.thresholds)
        matches = _public_matches(norm, raw)
        spans = {f: [(m.start, m.end) for m in matches if m.field == f] for f in norm}
        snips = snippets(fired, norm, spans)
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


def _public_matches(norm: dict[str, NormalizedText], raw: dict[str, list[RawMatch]]) -> list[Match]:
    out = []
    for f in ("title", "text"):
        nt = norm[f]
        for m in raw[f]:
            s, e = nt.to_original(m.start, m.end)
            out.append(Match(m.concept, m.term.text, s, e, nt.original[s:e], f))
    return out


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
