"""Load and validate rule packs (``rules/<language>/lexicon.yaml`` and ``rules.yaml``).

A pack is data: concepts (weighted surface forms mapped to one id), the language's affixes, rules
that combine concepts, and a threshold per label. Everything is checked here, once, so a bad file
fails at load with the file, the line and the concept or rule named, never later inside matching.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

LABELS = ("core", "related")
AFFIX_MODES = ("all", "definite", "none")
DEFAULT_RULES_DIR = Path(__file__).resolve().parent / "rules"


class RuleError(ValueError):
    """A rules file is invalid; the message names file, line and the offending concept or rule."""


@dataclass(frozen=True)
class Morphology:
    proclitics: frozenset[str]
    suffixes: frozenset[str]
    feminine_suffixes: frozenset[str]
    latin_suffixes: frozenset[str]
    protected: frozenset[str]


@dataclass(frozen=True)
class Term:
    concept: str
    text: str  # as written in the rules file (shown in explanations)
    weight: float
    affixes: str
    context: tuple[str, ...]  # concepts that must occur nearby for this (ambiguous) term to count
    window: int  # tokens, for context
    regex: str | None
    where: str  # "file:line", for messages


@dataclass(frozen=True)
class Concept:
    id: str
    description: str
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Group:
    concepts: tuple[str, ...]  # OR
    min: float


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    weight: float
    groups: tuple[Group, ...]  # AND
    exclude: tuple[str, ...]  # NOT: the rule does not fire when any of these concepts matched
    within: str | int  # "document", "sentence" or a number of tokens
    title_weight: float
    where: str
    description: str = ""  # what the rule means, in English (rules.yaml)
    description_ar: str = ""  # the same for the Arabic digests (descriptions.yaml)


@dataclass(frozen=True)
class Pack:
    language: str
    morphology: Morphology
    concepts: dict[str, Concept]
    rules: tuple[Rule, ...]
    thresholds: dict[str, float]


@dataclass(frozen=True)
class RuleSet:
    packs: dict[str, Pack]
    version: str
    source: str


# --- YAML with line numbers -------------------------------------------------------------------


class _LineDict(dict):
    line = 0
    key_lines: dict


class _LineList(list):
    line = 0
    item_lines: list


# libyaml's parser when PyYAML was built with it (it keeps the line marks the errors need): the rule
# packs are read by every worker process of a crawl, and the pure-Python parser is ~10x slower.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _LineList:
    out = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _read_yaml(path: Path) -> _LineDict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise RuleError(f"{path}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, _LineDict):
        raise RuleError(f"{path}:1: expected a mapping at the top level")
    return data


# --- validation helpers -----------------------------------------------------------------------


class _Ctx:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, line: int, what: str, message: str) -> RuleError:
        return RuleError(f"{self.path}:{line}: {what}: {message}")

    def keys(
        self, mapping: _LineDict, allowed: set[str], what: str, required: set[str] = frozenset()
    ) -> None:
        for key in mapping:
            if key not in allowed:
                line = mapping.key_lines.get(key, mapping.line)
                raise self.fail(line, what, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in mapping:
                raise self.fail(mapping.line, what, f"missing key {key!r}")

    def str_list(self, value: Any, line: int, what: str, allow_empty: bool = False) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(line, what, "expected a list of non-empty strings")
        if not value and not allow_empty:
            raise self.fail(line, what, "empty list")
        return list(value)

    def number(self, value: Any, line: int, what: str, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(line, what, f"expected a number >= {minimum}, got {value!r}")
        return float(value)


# --- lexicon ----------------------------------------------------------------------------------


def _load_morphology(ctx: _Ctx, data: Any, line: int) -> Morphology:
    what = "morphology"
    if not isinstance(data, _LineDict):
        raise ctx.fail(line, what, "expected a mapping")
    fields = ("proclitics", "suffixes", "feminine_suffixes", "latin_suffixes", "protected")
    ctx.keys(data, set(fields), what)
    values = {}
    for name in fields:
        items = ctx.str_list(data.get(name, []), data.key_lines.get(name, data.line), f"{what}.{name}", True)
        values[name] = frozenset(items)
    return Morphology(**values)


def _load_term(ctx: _Ctx, concept: str, item: Any, line: int) -> Term:
    what = f"concept {concept!r}"
    if isinstance(item, str):
        item = _LineDict(term=item)
        item.line, item.key_lines = line, {}
    if not isinstance(item, _LineDict):
        raise ctx.fail(line, what, f"a term must be a string or a mapping, got {item!r}")
    ctx.keys(item, {"term", "regex", "weight", "affixes", "context", "window"}, what)
    if ("term" in item) == ("regex" in item):
        raise ctx.fail(item.line, what, "a term needs exactly one of 'term' or 'regex'")
    text = item.get("term", item.get("regex"))
    if not isinstance(text, str) or not text.strip():
        raise ctx.fail(item.line, what, "empty term")
    regex = None
    if "regex" in item:
        try:
            compiled = re.compile(text)
        except re.error as exc:
            raise ctx.fail(item.line, what, f"bad regex {text!r}: {exc}") from None
        if compiled.match(""):
            raise ctx.fail(item.line, what, f"regex {text!r} matches the empty string")
        regex = text
    affixes = item.get("affixes", "all")
    if affixes not in AFFIX_MODES:
        raise ctx.fail(item.line, what, f"affixes must be one of {AFFIX_MODES}, got {affixes!r}")
    context = tuple(ctx.str_list(item["context"], item.line, what)) if "context" in item else ()
    window = int(ctx.number(item.get("window", 12), item.line, what, 1))
    weight = ctx.number(item.get("weight", 1.0), item.line, what)
    return Term(concept, text.strip(), weight, affixes, context, window, regex, f"{ctx.path}:{item.line}")


def _load_lexicon(path: Path) -> tuple[str, Morphology, dict[str, Concept]]:
    ctx = _Ctx(path)
    data = _read_yaml(path)
    ctx.keys(data, {"language", "morphology", "concepts"}, "lexicon", {"language", "concepts"})
    language = data["language"]
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}", language):
        raise ctx.fail(
            data.key_lines["language"], "lexicon", f"language must be an ISO code, got {language!r}"
        )
    morphology = _load_morphology(
        ctx, data.get("morphology", _empty_map()), data.key_lines.get("morphology", 1)
    )
    raw = data["concepts"]
    if not isinstance(raw, _LineDict) or not raw:
        raise ctx.fail(data.key_lines["concepts"], "lexicon", "concepts must be a non-empty mapping")
    concepts: dict[str, Concept] = {}
    for cid, body in raw.items():
        line = raw.key_lines[cid]
        what = f"concept {cid!r}"
        if not isinstance(cid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", cid):
            raise ctx.fail(line, what, "concept ids are lower_snake_case")
        if not isinstance(body, _LineDict):
            raise ctx.fail(line, what, "expected a mapping with 'terms'")
        ctx.keys(body, {"description", "terms"}, what, {"terms"})
        items = body["terms"]
        if not isinstance(items, _LineList) or not items:
            raise ctx.fail(body.key_lines["terms"], what, "empty term list")
        terms = tuple(_load_term(ctx, cid, it, ln) for it, ln in zip(items, items.item_lines, strict=True))
        concepts[cid] = Concept(cid, str(body.get("description", "")), terms)
    for concept in concepts.values():
        for term in concept.terms:
            for other in term.context:
                if other not in concepts:
                    raise RuleError(
                        f"{term.where}: concept {concept.id!r}: unknown context concept {other!r}"
                    )
    return language, morphology, concepts


def _empty_map() -> _LineDict:
    out = _LineDict()
    out.line, out.key_lines = 1, {}
    return out


# --- rules ------------------------------------------------------------------------------------


def _load_group(ctx: _Ctx, item: Any, line: int, what: str, concepts: dict[str, Concept]) -> Group:
    minimum = 1.0
    if isinstance(item, _LineDict):
        ctx.keys(item, {"any", "min"}, what, {"any"})
        minimum = ctx.number(item.get("min", 1), item.line, what)
        item = item["any"]
    names = ctx.str_list(item, line, what)
    for name in names:
        if name not in concepts:
            raise ctx.fail(line, what, f"unknown concept {name!r}")
    return Group(tuple(names), minimum)


def _load_rules(path: Path, concepts: dict[str, Concept]) -> tuple[tuple[Rule, ...], dict[str, float]]:
    ctx = _Ctx(path)
    data = _read_yaml(path)
    ctx.keys(data, {"labels", "rules"}, "rules file", {"labels", "rules"})
    labels = data["labels"]
    if not isinstance(labels, _LineDict):
        raise ctx.fail(data.key_lines["labels"], "labels", "expected a mapping")
    thresholds: dict[str, float] = {}
    for label in LABELS:
        body = labels.get(label)
        if not isinstance(body, _LineDict):
            raise ctx.fail(labels.line, "labels", f"label {label!r} needs a mapping with 'threshold'")
        ctx.keys(body, {"threshold", "description"}, f"label {label!r}", {"threshold"})
        thresholds[label] = ctx.number(body["threshold"], body.line, f"label {label!r}", 0.0001)
    ctx.keys(labels, set(LABELS), "labels")
    raw = data["rules"]
    if not isinstance(raw, _LineList) or not raw:
        raise ctx.fail(data.key_lines["rules"], "rules", "empty rule list")
    rules: list[Rule] = []
    seen: set[str] = set()
    for item, line in zip(raw, raw.item_lines, strict=True):
        name = item.get("name") if isinstance(item, _LineDict) else None
        what = f"rule {name!r}" if name else "rule"
        if not isinstance(item, _LineDict):
            raise ctx.fail(line, what, "expected a mapping")
        allowed = {"name", "label", "weight", "all", "exclude", "within", "title_weight", "description"}
        ctx.keys(item, allowed, what, {"name", "label", "all"})
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ctx.fail(line, what, "rule names are lower_snake_case")
        if name in seen:
            raise ctx.fail(line, what, "duplicate rule name")
        seen.add(name)
        if item["label"] not in LABELS:
            raise ctx.fail(
                item.key_lines["label"], what, f"label must be one of {LABELS}, got {item['label']!r}"
            )
        groups_raw = item["all"]
        if not isinstance(groups_raw, _LineList) or not groups_raw:
            raise ctx.fail(item.key_lines["all"], what, "'all' must be a non-empty list of concept groups")
        groups = tuple(
            _load_group(ctx, g, ln, what, concepts)
            for g, ln in zip(groups_raw, groups_raw.item_lines, strict=True)
        )
        exclude = ()
        if "exclude" in item:
            exclude = tuple(ctx.str_list(item["exclude"], item.key_lines["exclude"], what))
            for c in exclude:
                if c not in concepts:
                    raise ctx.fail(item.key_lines["exclude"], what, f"unknown concept {c!r}")
        within = item.get("within", "document")
        if within not in ("document", "sentence") and not (
            isinstance(within, int) and not isinstance(within, bool) and within > 0
        ):
            raise ctx.fail(
                item.key_lines.get("within", line), what, "within must be document, sentence or a token count"
            )
        weight = ctx.number(item.get("weight", 1.0), line, what)
        title_weight = ctx.number(item.get("title_weight", 1.0), line, what)
        description = item.get("description", "")
        if not isinstance(description, str):
            raise ctx.fail(item.key_lines["description"], what, "description must be a string")
        rules.append(
            Rule(
                name,
                item["label"],
                weight,
                groups,
                exclude,
                within,
                title_weight,
                f"{path}:{line}",
                " ".join(description.split()),
            )
        )
    return tuple(rules), thresholds


def _load_descriptions(path: Path, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Arabic descriptions of the rules, kept apart from rules.yaml so that wording never changes the
    rules' version (which would send every stored article back through the classifier)."""
    ctx = _Ctx(path)
    data = _read_yaml(path)
    ctx.keys(data, {"rules"}, "descriptions", {"rules"})
    raw = data["rules"]
    if not isinstance(raw, _LineDict):
        raise ctx.fail(data.key_lines["rules"], "descriptions", "rules must map rule names to descriptions")
    known = {rule.name for rule in rules}
    described: dict[str, str] = {}
    for name, text in raw.items():
        line = raw.key_lines[name]
        if name not in known:
            raise ctx.fail(line, f"rule {name!r}", "no such rule in rules.yaml")
        if not isinstance(text, str) or not text.strip():
            raise ctx.fail(line, f"rule {name!r}", "expected a non-empty description")
        described[name] = " ".join(text.split())
    return tuple(
        replace(rule, description_ar=described[rule.name]) if rule.name in described else rule
        for rule in rules
    )


# --- entry point ------------------------------------------------------------------------------


def load_ruleset(rules_dir: Path | None = None) -> RuleSet:
    """Read every ``<lang>/lexicon.yaml`` + ``<lang>/rules.yaml`` pair under ``rules_dir``, and the
    optional ``<lang>/descriptions.yaml`` (rule name -> Arabic description, not part of the version)."""
    root = Path(rules_dir) if rules_dir is not None else DEFAULT_RULES_DIR
    if not root.is_dir():
        raise RuleError(f"{root}: rules folder not found")
    digest = hashlib.sha256()
    packs: dict[str, Pack] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        lexicon_path, rules_path = folder / "lexicon.yaml", folder / "rules.yaml"
        if not lexicon_path.is_file() or not rules_path.is_file():
            raise RuleError(f"{folder}: a rule pack needs lexicon.yaml and rules.yaml")
        for p in (lexicon_path, rules_path):
            digest.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
        language, morphology, concepts = _load_lexicon(lexicon_path)
        if language != folder.name:
            raise RuleError(
                f"{lexicon_path}:1: lexicon: language {language!r} does not match folder {folder.name!r}"
            )
        rules, thresholds = _load_rules(rules_path, concepts)
        if (folder / "descriptions.yaml").is_file():
            rules = _load_descriptions(folder / "descriptions.yaml", rules)
        packs[language] = Pack(language, morphology, concepts, rules, thresholds)
    if not packs:
        raise RuleError(f"{root}: no rule packs (expected <language>/lexicon.yaml and rules.yaml)")
    return RuleSet(packs, digest.hexdigest()[:16], str(root))
