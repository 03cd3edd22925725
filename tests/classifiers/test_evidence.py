"""Where the evidence is (title, lead, body paragraph N) and how the term list reads.

Texts written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.engine import Match
from classifiers.evidence import group_terms, merge_spans, paragraph_starts, place, where
from classifiers.loader import RuleError, load_ruleset
from classifiers.policy import score_meaning

LEAD = "أعلنت النيابة العامة ضبط محافظ بيتكوين لدى متهمين."
SECOND = "وقالت إن الأموال ذهبت إلى تمويل الإرهاب في المنطقة."
THIRD = "وأضافت أن البيتكوين نقل عبر منصات غير مرخصة."


@pytest.mark.parametrize(
    ("text", "title", "expected", "why"),
    [
        (
            f"{LEAD}\n{SECOND}\n{THIRD}",
            "",
            {"بيتكوين": ("lead", 1), "تمويل الإرهاب": ("body", 2), "البيتكوين": ("body", 3)},
            "paragraphs are the lines of the text",
        ),
        (
            f"\n\n{LEAD}\n\n   \n{SECOND}",
            "",
            {"بيتكوين": ("lead", 1), "تمويل الإرهاب": ("body", 2)},
            "blank and whitespace-only lines are not paragraphs",
        ),
        (
            SECOND,
            "بيتكوين في قضية",
            {"بيتكوين": ("title", 0), "تمويل الإرهاب": ("lead", 1)},
            "a title match is in the title; a one-paragraph text is all lead",
        ),
    ],
)
def test_every_match_says_where_it_is(clf, text, title, expected, why):
    decision = clf.classify(text, title=title)
    found = {m.text: (m.part, m.paragraph) for m in decision.matches}
    for term, loc in expected.items():
        assert found.get(term) == loc, why
    for m in decision.matches:
        source = title if m.field == "title" else text
        assert source[m.start : m.end] == m.text
        if m.field == "text":  # the paragraph really is the N-th non-empty line
            lines = [line for line in text.split("\n") if line.strip()]
            assert m.text in lines[m.paragraph - 1]


def test_the_json_contract_keeps_its_keys_and_adds_the_location(clf):
    data = clf.classify(f"{LEAD}\n{SECOND}").to_dict()
    for m in data["matches"]:
        assert set(m) == {"concept", "term", "start", "end", "text", "field", "part", "paragraph"}


@pytest.mark.parametrize(
    ("part", "paragraph", "ar", "en"),
    [
        ("title", 0, "العنوان", "title"),
        ("lead", 1, "المقدمة", "lead"),
        ("body", 3, "الفقرة 3", "paragraph 3"),
    ],
)
def test_places_read_in_both_languages(part, paragraph, ar, en):
    assert place(part, paragraph, "ar") == ar
    assert place(part, paragraph, "en") == en


def _m(text: str, term: str, form: str, concept: str = "c", field: str = "text", nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(form, start + 1)
    return {
        "concept": concept,
        "term": term,
        "start": start,
        "end": start + len(form),
        "text": form,
        "field": field,
    }


DOC = "البيتكوين وتمويل الإرهاب.\nبيتكوين مرة أخرى، وتمويل عمليات."


@pytest.mark.parametrize(
    ("matches", "expected", "why"),
    [
        (
            [
                _m(DOC, "تمويل الإرهاب", "تمويل الإرهاب"),
                _m(DOC, "تمويل", "تمويل"),
                _m(DOC, "إرهاب", "الإرهاب"),
            ],
            [("تمويل الإرهاب", ("تمويل الإرهاب",), (("lead", 1),))],
            "terms inside a longer matched term are not listed again",
        ),
        (
            [_m(DOC, "بيتكوين", "البيتكوين"), _m(DOC, "بيتكوين", "بيتكوين", nth=1)],
            [("بيتكوين", ("البيتكوين", "بيتكوين"), (("lead", 1), ("body", 2)))],
            "surface forms of one term are one entry",
        ),
        (
            [
                _m(DOC, "تمويل الإرهاب", "تمويل الإرهاب"),
                _m(DOC, "تمويل", "تمويل"),
                _m(DOC, "تمويل", "تمويل", nth=1),
            ],
            [
                ("تمويل الإرهاب", ("تمويل الإرهاب",), (("lead", 1),)),
                ("تمويل", ("تمويل",), (("body", 2),)),
            ],
            "a nested term still counts where it stands alone",
        ),
        (
            [_m(DOC, "تمويل", "تمويل"), _m(DOC, "تمويل", "تمويل", concept="financing")],
            [("تمويل", ("تمويل",), (("lead", 1),))],
            "two matches of one span are one",
        ),
        (
            [_m(DOC, r"بيت?كوين", "بيتكوين", nth=1)],
            [("بيتكوين", ("بيتكوين",), (("body", 2),))],
            "a regex term is shown by what it matched",
        ),
    ],
)
def test_term_list_is_deduplicated_and_grouped(matches, expected, why):
    entries = group_terms(matches, DOC)
    assert [(e.term, e.forms, e.places) for e in entries] == expected, why


def test_old_rows_without_a_location_are_located_from_their_offsets():
    old = _m(DOC, "تمويل", "تمويل", nth=1)
    assert where(old, DOC) == ("body", 2)
    assert where({**old, "start": 900, "end": 905}, DOC) is None  # offsets that no longer fit say nothing
    assert where({"field": "title", "text": "x"}) == ("title", 0)


def test_entry_label_shows_forms_and_places():
    (entry,) = group_terms([_m(DOC, "بيتكوين", "البيتكوين"), _m(DOC, "بيتكوين", "بيتكوين", nth=1)], DOC)
    assert entry.label("ar") == "بيتكوين (البيتكوين، بيتكوين) — المقدمة، الفقرة 2"
    assert entry.label("en") == "بيتكوين (البيتكوين, بيتكوين) — lead, paragraph 2"


@pytest.mark.parametrize(
    ("text", "spans", "expected", "why"),
    [
        ("تمويل الإرهاب", [(0, 13), (0, 5), (6, 13)], [(0, 13)], "nested spans become one"),
        ("تمويل الإرهاب", [(0, 7), (5, 13)], [(0, 13)], "overlapping spans become one"),
        ("محافظبيتكوين", [(0, 5), (5, 12)], [(0, 12)], "touching spans become one"),
        ("تمويلِ الإرهابِ", [(0, 5), (7, 14)], [(0, 6), (7, 15)], "a mark takes the diacritic after it"),
        ("تمويلٌّ", [(0, 5)], [(0, 7)], "and every diacritic after it"),
        ("تمويلِ", [(5, 6)], [(4, 6)], "a span starting on a diacritic takes its letter"),
        ("نص", [(1, 1), (2, 5)], [], "empty spans disappear"),
    ],
)
def test_merge_spans(text, spans, expected, why):
    assert merge_spans(text, spans) == expected, why


def test_classifier_snippets_mark_nested_terms_once(clf):
    decision = clf.classify("قالت الشرطة إن محافظ بيتكوين استخدمت في تمويلِ الإرهابِ.")
    joined = " ".join(decision.snippets)
    assert "«تمويلِ الإرهابِ»" in joined
    assert "»«" not in joined and "«»" not in joined


def test_paragraph_starts_counts_non_empty_lines():
    assert paragraph_starts("أ\n\nب\n  \nج") == [0, 3, 8]
    assert paragraph_starts("") == []


@pytest.mark.parametrize(
    ("label", "score", "ar", "en"),
    [
        ("core", 5.0, "الدرجة 5.00 — بلغت أدلة القواعد الأساسية عتبة «أساسي» (3)", "core threshold (3)"),
        ("related", 2.0, "بلغت عتبة «ذو صلة» (2)؛ «أساسي» يحتاج 3", "related threshold (2); core needs 3"),
        ("none", 1.0, "دون عتبة «ذو صلة» (2)", "below the related threshold (2)"),
    ],
)
def test_score_meaning_names_the_threshold(label, score, ar, en):
    thresholds = {"core": 3.0, "related": 2.0}
    assert ar in score_meaning(label, score, thresholds, "ar")
    assert en in score_meaning(label, score, thresholds, "en")


def test_arabic_rule_descriptions_load_and_are_validated(tmp_path: Path):
    pack = load_ruleset().packs["ar"]
    assert all(r.description for r in pack.rules)
    assert any(r.description_ar for r in pack.rules)
    src = Path(__file__).resolve().parents[2] / "classifiers" / "rules" / "ar"
    dest = tmp_path / "ar"
    dest.mkdir()
    for name in ("lexicon.yaml", "rules.yaml"):
        (dest / name).write_bytes((src / name).read_bytes())
    version = load_ruleset(tmp_path).version
    (dest / "descriptions.yaml").write_text("rules:\n  crypto_crime: وصف\n", encoding="utf-8")
    loaded = load_ruleset(tmp_path)
    assert loaded.version == version  # wording never changes the rules' version
    assert {r.name: r.description_ar for r in loaded.packs["ar"].rules}["crypto_crime"] == "وصف"
    (dest / "descriptions.yaml").write_text(
        "rules:\n  crypto_crime: وصف\n  no_such_rule: وصف\n", encoding="utf-8"
    )
    with pytest.raises(RuleError, match=r"descriptions.yaml:3: rule 'no_such_rule'"):
        load_ruleset(tmp_path)
    (dest / "descriptions.yaml").write_text("rules:\n  crypto_crime: ''\n", encoding="utf-8")
    with pytest.raises(RuleError, match="non-empty"):
        load_ruleset(tmp_path)


def test_match_keeps_its_old_constructor():
    m = Match("c", "t", 0, 1, "x")
    assert (m.field, m.part, m.paragraph) == ("text", "body", 0)


def test_cli_classify_shows_the_score_meaning_rules_and_places(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    import cli

    article = tmp_path / "a.txt"
    article.write_text(f"{LEAD}\n{SECOND}\n{THIRD}", encoding="utf-8")
    assert cli.main(["classify", str(article), "--title", "بيتكوين وتمويل الإرهاب"]) == 0
    out = capsys.readouterr().out
    assert "core rules reach the core threshold (3)" in out
    assert "crypto_terror_financing — crypto and terrorism financing" in out
    terms = out[out.index("terms:") : out.index("matches:")]
    assert "بيتكوين (بيتكوين, البيتكوين) — title, lead, paragraph 3" in terms
    assert "تمويل الإرهاب (وتمويل الإرهاب, تمويل الإرهاب) — title, paragraph 2" in terms
    assert not [line for line in terms.splitlines() if line.startswith("  تمويل ") and "الإرهاب" not in line]
    assert "(بيتكوين; lead, " in out and "(تمويل الإرهاب; title)" in out
