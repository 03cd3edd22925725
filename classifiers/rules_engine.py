"""Evaluate a pack's rules over the matches of one document (title + text).

A rule is an AND of groups, each group an OR of concepts with a minimum (weighted) count; an
optional NOT list of concepts; and a scope in which all groups must meet: the whole document, one
sentence, or a window of N tokens. Title matches count ``title_weight`` times, and a rule whose
groups all meet inside the title alone contributes ``weight × title_weight``.
"""

from __future__ import annotations

from typing import NamedTuple

from .loader import Pack, Rule
from .matcher import RawMatch


class FieldMatch(NamedTuple):
    field: str  # "title" or "text"
    raw: RawMatch


class FiredRule(NamedTuple):
    rule: Rule
    contribution: float
    witnesses: tuple[FieldMatch, ...]  # the matches that satisfied the groups (for snippets)


class _Field:
    """The matches of one field, grouped by concept; group lists are built once per document."""

    __slots__ = ("name", "by", "groups")

    def __init__(self, name: str, matches: list[RawMatch]) -> None:
        self.name = name
        by: dict[str, list[RawMatch]] = {}
        for m in matches:
            lst = by.get(m.concept)
            if lst is None:
                by[m.concept] = [m]
            else:
                lst.append(m)
        self.by = by
        self.groups: dict[tuple[str, ...], list[RawMatch]] = {}

    def group(self, concepts: tuple[str, ...]) -> list[RawMatch]:
        """The matches of any of ``concepts``, in text order."""
        out = self.groups.get(concepts)
        if out is None:
            by = self.by
            if len(concepts) == 1:
                out = by.get(concepts[0], [])
            else:
                out = sorted((m for c in concepts for m in by.get(c, ())), key=_start)
            self.groups[concepts] = out
        return out


def _start(m: RawMatch) -> int:
    return m.start


def evaluate_rules(pack: Pack, title: list[RawMatch], text: list[RawMatch]) -> list[FiredRule]:
    if not title and not text:
        return []
    t_field = _Field("title", title)
    x_field = _Field("text", text)
    present = t_field.by.keys() | x_field.by.keys()
    sums: dict[tuple[str, ...], tuple[float, float]] = {}  # concepts -> (text weight, title weight)
    fired: list[FiredRule] = []
    for rule in pack.rules:
        if rule.exclude and not present.isdisjoint(rule.exclude):
            continue
        groups = rule.groups
        if not all(not present.isdisjoint(g.concepts) for g in groups):
            continue
        ok = True
        for g in groups:
            pair = sums.get(g.concepts)
            if pair is None:
                xb, tb = x_field.by, t_field.by
                pair = (
                    sum(m.term.weight for c in g.concepts for m in xb.get(c, ())),
                    sum(m.term.weight for c in g.concepts for m in tb.get(c, ())),
                )
                sums[g.concepts] = pair
            if pair[0] + rule.title_weight * pair[1] < g.min:
                ok = False
                break
        if not ok:
            continue
        title_hit = _witness_in(rule, t_field) if title else None
        text_hit = _witness_in(rule, x_field) if text else None
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


def _witness_in(rule: Rule, field: _Field) -> list[RawMatch] | None:
    """Matches of one field that satisfy every group within the rule's scope, or None."""
    per_group = []
    for g in rule.groups:
        group = field.group(g.concepts)
        if not group:
            return None
        per_group.append(group)
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
