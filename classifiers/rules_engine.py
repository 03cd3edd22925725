"""Evaluate a pack's rules over the matches of one document (title + text).

A rule is an AND of groups, each group an OR of concepts with a minimum (weighted) count; an
optional NOT list of concepts; and a scope in which all groups must meet: the whole document, one
sentence, or a window of N tokens. Title matches count ``title_weight`` times, and a rule whose
groups all meet inside the title alone contributes ``weight × title_weight``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .loader import Pack, Rule
from .matcher import RawMatch


@dataclass(frozen=True)
class FieldMatch:
    field: str  # "title" or "text"
    raw: RawMatch


@dataclass(frozen=True)
class FiredRule:
    rule: Rule
    contribution: float
    witnesses: tuple[FieldMatch, ...]  # the matches that satisfied the groups (for snippets)


def evaluate_rules(pack: Pack, title: list[RawMatch], text: list[RawMatch]) -> list[FiredRule]:
    present = {m.concept for m in title} | {m.concept for m in text}
    title_by = _by_concept(title)
    text_by = _by_concept(text)
    fired: list[FiredRule] = []
    for rule in pack.rules:
        if any(c in present for c in rule.exclude):
            continue
        if not all(any(c in present for c in g.concepts) for g in rule.groups):
            continue
        if not all(_count(g.concepts, title_by, text_by, rule.title_weight) >= g.min for g in rule.groups):
            continue
        title_hit = _witness_in(rule, title_by)
        text_hit = _witness_in(rule, text_by)
        if title_hit is not None:
            witnesses = tuple(FieldMatch("title", m) for m in title_hit)
            if text_hit is not None:
                witnesses += tuple(FieldMatch("text", m) for m in text_hit)
            fired.append(FiredRule(rule, rule.weight * max(1.0, rule.title_weight), witnesses))
        elif text_hit is not None:
            fired.append(FiredRule(rule, rule.weight, tuple(FieldMatch("text", m) for m in text_hit)))
        elif rule.within == "document":
            witnesses = tuple(_first_of_each_group(rule, title, text))
            fired.append(FiredRule(rule, rule.weight, witnesses))
    return fired


def _by_concept(matches: list[RawMatch]) -> dict[str, list[RawMatch]]:
    out: dict[str, list[RawMatch]] = {}
    for m in matches:
        out.setdefault(m.concept, []).append(m)
    return out


def _group(by: dict[str, list[RawMatch]], concepts: tuple[str, ...]) -> list[RawMatch]:
    if len(concepts) == 1:
        return by.get(concepts[0], [])
    return sorted((m for c in concepts for m in by.get(c, ())), key=lambda m: m.start)


def _count(
    concepts: tuple[str, ...],
    title: dict[str, list[RawMatch]],
    text: dict[str, list[RawMatch]],
    title_weight: float,
) -> float:
    total = sum(m.term.weight for c in concepts for m in text.get(c, ()))
    return total + title_weight * sum(m.term.weight for c in concepts for m in title.get(c, ()))


def _witness_in(rule: Rule, by: dict[str, list[RawMatch]]) -> list[RawMatch] | None:
    """Matches of one field that satisfy every group within the rule's scope, or None."""
    per_group = [_group(by, g.concepts) for g in rule.groups]
    if not all(per_group):
        return None
    if rule.within == "document":
        return [group[0] for group in per_group]
    if rule.within == "sentence":
        sentences = set.intersection(*({m.sentence for m in group} for group in per_group))
        if not sentences:
            return None
        s = min(sentences)
        return [m for group in per_group for m in group if m.sentence == s]
    window = int(rule.within)
    for anchor in per_group[0]:
        near = [
            next((m for m in group if abs(m.token - anchor.token) <= window), None) for group in per_group[1:]
        ]
        if all(near):
            return [anchor, *near]
    return None


def _first_of_each_group(rule: Rule, title: list[RawMatch], text: list[RawMatch]) -> list[FieldMatch]:
    out = []
    for g in rule.groups:
        m = next((m for m in text if m.concept in g.concepts), None)
        if m is not None:
            out.append(FieldMatch("text", m))
        else:
            t = next((m for m in title if m.concept in g.concepts), None)
            if t is not None:
                out.append(FieldMatch("title", t))
    return out
