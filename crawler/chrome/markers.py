"""The chrome marker list (markers.yaml): loaded, validated and compiled once.

A marker is a short phrase that labels a box or a line as not being the story («الأكثر قراءة»,
«اقرأ أيضاً», «Lire aussi»). Phrases are normalised with the classifier's normaliser when loaded, and
compiled into a dict from word tuples to their group, so a page's label is looked up, not searched.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from .textnorm import words

DEFAULT_MARKERS_FILE = Path(__file__).with_name("markers.yaml")
KINDS = ("block", "line", "both")
MAX_PHRASE_WORDS = 6
# A label may carry a few words after its phrase («التعليقات (3)», «آراء القراء حول الخبر»).
LABEL_EXTRA_WORDS = 3
# «تعليقات على "عنوان الخبر"», «Comments on …», «Réactions sur …»: a label about the page's own story.
_ABOUT = frozenset({"على", "حول", "علي", "on", "sur", "to", "for"})


class MarkerError(ValueError):
    """A markers file that cannot be used; the message names the file, the group and the phrase."""


@dataclass(frozen=True)
class Marker:
    group: str
    kind: str  # "block" | "line" | "both"
    words: tuple[str, ...]


@dataclass(frozen=True)
class MarkerSet:
    by_words: dict[tuple[str, ...], Marker]
    longest: int
    first_words: frozenset[str] = frozenset()

    def may_start(self, tokens: list[str]) -> bool:
        """A cheap first look: could these words open a label («3 تعليقات» counts its number out)?"""
        if not tokens:
            return False
        if tokens[0].isdigit() and len(tokens) > 1:
            return tokens[1] in self.first_words
        return tokens[0] in self.first_words

    def label(self, tokens: list[str], *, kinds: tuple[str, ...] = ("block", "both")) -> Marker | None:
        """The marker a short label's words start with, if the label is nothing more than that marker."""
        if tokens and tokens[0].isdigit():  # «3 تعليقات», «12 comments»
            tokens = tokens[1:]
        if not tokens:
            return None
        for n in range(min(len(tokens), self.longest), 0, -1):
            marker = self.by_words.get(tuple(tokens[:n]))
            if marker is not None and marker.kind in kinds:
                if len(tokens) - n <= LABEL_EXTRA_WORDS or tokens[n] in _ABOUT:
                    return marker
        return None

    def opening(self, tokens: list[str]) -> tuple[Marker, int] | None:
        """The line marker a line opens with, and how many of its words it takes."""
        for n in range(min(len(tokens), self.longest), 0, -1):
            marker = self.by_words.get(tuple(tokens[:n]))
            if marker is not None and marker.kind in ("line", "both"):
                return marker, n
        return None


def parse_markers(text: str, path: Path | str = "<string>") -> MarkerSet:
    """Validate and compile a markers document; raises ``MarkerError`` naming file, group and phrase."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MarkerError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), dict) or not doc["groups"]:
        raise MarkerError(f"{path}: expected a mapping with a non-empty 'groups' mapping")
    extra = sorted(set(doc) - {"version", "groups"})
    if extra:
        raise MarkerError(f"{path}: unknown top-level key(s) {', '.join(extra)}")
    by_words: dict[tuple[str, ...], Marker] = {}
    for group, spec in doc["groups"].items():
        where = f"{path}: group '{group}'"
        if not isinstance(spec, dict):
            raise MarkerError(f"{where}: expected a mapping with 'kind' and phrases per language")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise MarkerError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
        languages = {k: v for k, v in spec.items() if k != "kind"}
        if not languages:
            raise MarkerError(f"{where}: no phrases")
        for language, phrases in languages.items():
            if not isinstance(language, str) or len(language) != 2:
                raise MarkerError(f"{where}: {language!r} is not a two-letter language code")
            if not isinstance(phrases, list) or not phrases:
                raise MarkerError(f"{where}: '{language}' must be a non-empty list of phrases")
            for phrase in phrases:
                tokens = tuple(words(phrase)) if isinstance(phrase, str) else ()
                if not tokens:
                    raise MarkerError(f"{where}: '{language}' phrase {phrase!r} has no words")
                if len(tokens) > MAX_PHRASE_WORDS:
                    raise MarkerError(
                        f"{where}: '{language}' phrase {phrase!r} has {len(tokens)} words; "
                        f"a label has at most {MAX_PHRASE_WORDS}"
                    )
                known = by_words.get(tokens)
                if known is not None and known.group != group:
                    raise MarkerError(
                        f"{where}: phrase {phrase!r} is already in group '{known.group}' once normalised"
                    )
                if known is None or kind == "both":
                    by_words[tokens] = Marker(group, kind, tokens)
    return MarkerSet(
        by_words=by_words, longest=max(len(k) for k in by_words), first_words=frozenset(k[0] for k in by_words)
    )


@functools.lru_cache(maxsize=4)
def load_markers(path: str | None = None) -> MarkerSet:
    """The compiled marker set of ``path`` (default: the packaged markers.yaml), once per process."""
    file = Path(path) if path else DEFAULT_MARKERS_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise MarkerError(f"{file}: cannot read markers file: {exc.strerror or exc}") from None
    return parse_markers(text, file)
