"""A bad rules file fails at load, naming file, line and the concept or rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers import RuleError, load_classifier

LEXICON = """\
language: ar
concepts:
  crypto:
    terms:
      - عملة مشفرة
  terror:
    terms: [إرهاب]
"""
RULES = """\
labels:
  core: {threshold: 3}
  related: {threshold: 2}
rules:
  - name: crypto_terror
    label: core
    weight: 3
    all: [[crypto], [terror]]
"""


def _pack(tmp_path: Path, lexicon: str = LEXICON, rules: str = RULES) -> Path:
    folder = tmp_path / "ar"
    folder.mkdir(parents=True)
    (folder / "lexicon.yaml").write_text(lexicon, encoding="utf-8")
    (folder / "rules.yaml").write_text(rules, encoding="utf-8")
    return tmp_path


def test_valid_pack_loads_and_classifies(tmp_path: Path) -> None:
    clf = load_classifier(_pack(tmp_path))
    assert clf.classify("عملة مشفرة في إرهاب").label == "core"
    assert len(clf.rules_version) == 16


def test_version_changes_with_the_rules(tmp_path: Path) -> None:
    a = load_classifier(_pack(tmp_path / "a")).rules_version
    b = load_classifier(_pack(tmp_path / "b", rules=RULES.replace("weight: 3", "weight: 4"))).rules_version
    assert a != b


BAD = [
    # (lexicon, rules, expected fragments, why)
    (
        LEXICON,
        RULES.replace("    weight: 3\n", "    weight: 3\n    wieght: 2\n"),
        ["rules.yaml:8", "rule 'crypto_terror'", "unknown key 'wieght'"],
        "unknown key in a rule",
    ),
    (
        LEXICON,
        RULES.replace("[terror]]", "[terrorism]]"),
        ["rules.yaml:8", "rule 'crypto_terror'", "unknown concept 'terrorism'"],
        "rule names a missing concept",
    ),
    (
        LEXICON.replace("    terms: [إرهاب]", "    terms: []"),
        RULES,
        ["lexicon.yaml:7", "concept 'terror'", "empty term list"],
        "empty term list",
    ),
    (
        LEXICON.replace("    terms: [إرهاب]", "    terms: [{regex: '(unclosed'}]"),
        RULES,
        ["lexicon.yaml:7", "concept 'terror'", "bad regex"],
        "bad regex",
    ),
    (
        LEXICON.replace("    terms: [إرهاب]", "    terms: [{term: حماس, context: [nothing]}]"),
        RULES,
        ["lexicon.yaml:7", "unknown context concept 'nothing'"],
        "context names a missing concept",
    ),
    (
        LEXICON.replace("      - عملة مشفرة", "      - {term: عملة, affixes: sometimes}"),
        RULES,
        ["lexicon.yaml:5", "concept 'crypto'", "affixes"],
        "unknown affix mode",
    ),
    (
        LEXICON,
        RULES.replace("label: core", "label: maybe"),
        ["rules.yaml:6", "rule 'crypto_terror'", "label"],
        "unknown label",
    ),
    (
        LEXICON,
        RULES.replace("  related: {threshold: 2}\n", ""),
        ["rules.yaml", "related"],
        "missing label threshold",
    ),
    (
        LEXICON,
        RULES + "  - name: crypto_terror\n    label: core\n    all: [[crypto]]\n",
        ["rules.yaml:9", "duplicate rule name"],
        "duplicate rule",
    ),
    (
        LEXICON.replace("concepts:", "concepts: [oops"),
        RULES,
        ["lexicon.yaml", "invalid YAML"],
        "YAML syntax error",
    ),
    (
        LEXICON,
        RULES.replace("all: [[crypto], [terror]]", "all: [[crypto], [terror]]\n    within: paragraph"),
        ["rules.yaml", "rule 'crypto_terror'", "within"],
        "unknown scope",
    ),
]


@pytest.mark.parametrize(("lexicon", "rules", "fragments", "why"), BAD, ids=[b[3] for b in BAD])
def test_bad_rules_fail_with_file_line_and_name(
    tmp_path: Path, lexicon: str, rules: str, fragments: list[str], why: str
) -> None:
    with pytest.raises(RuleError) as info:
        load_classifier(_pack(tmp_path, lexicon, rules))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{why}: {message}"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="not found"):
        load_classifier(tmp_path / "nope")


def test_language_must_match_folder(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="does not match folder"):
        load_classifier(_pack(tmp_path, LEXICON.replace("language: ar", "language: fr")))
