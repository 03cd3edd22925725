"""The explanation an analyst reads in the digests: terms, marks, places, score and rules, health first.

Documents are built from in-memory stories (no database): these tests are about rendering. Texts
written for these tests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from digests.group import Story
from digests.health import HealthReport, SourceHealth
from digests.render import build_document, render_html, render_markdown, render_text
from digests.select import DueArticle
from digests.snippets import Segment, build_snippets, located_snippets, tidy

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
LEAD = "أعلنت السلطات ضبط محافظ البيتكوين لدى شبكة."
SECOND = "وأوضح البيان أن بيتكوين استخدم في تمويلِ الإرهابِ عبر منصات مجهولة."
THIRD = "وختم البيان بالتحذير من تمويل الإرهاب."
TEXT = f"{LEAD}\n{SECOND}\n{THIRD}"


def m(text: str, form: str, term: str, concept: str, nth: int = 0, **extra) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(form, start + 1)
    return {"concept": concept, "term": term, "start": start, "end": start + len(form), "text": form, **extra}


# Matches as the classifier reports them: nested ones included, some ending before a diacritic.
MATCHES = [
    m(TEXT, "البيتكوين", "بيتكوين", "crypto"),
    m(TEXT, "بيتكوين", "بيتكوين", "crypto", nth=1),
    m(TEXT, "تمويلِ الإرهاب", "تمويل الإرهاب", "terror_financing"),  # stops before the final kasra
    m(TEXT, "تمويل", "تمويل", "financing"),
    m(TEXT, "الإرهاب", "إرهاب", "terror"),
    m(TEXT, "تمويل الإرهاب", "تمويل الإرهاب", "terror_financing"),
]


def article(text: str = TEXT, matches: list | None = None, rules: tuple = (), **kw) -> DueArticle:
    values = dict(
        article_id=1,
        title="ضبط عملات مشفرة",
        text=text,
        url="https://one.example/a",
        outlet="جريدة الأولى",
        source="wire-one",
        published_at=NOW - timedelta(hours=2),
        fetched_at=NOW - timedelta(hours=1),
        label="core",
        score=5.0,
        matches=list(MATCHES if matches is None else matches),
        rules=list(rules),
        language="ar",
    )
    values.update(kw)
    return DueArticle(**values)


def document(*articles: DueArticle, problems: bool = True):
    stories = [
        Story(
            label=a.label,
            score=a.score,
            title=a.title,
            articles=(a,),
            outlets=(a.outlet,),
            urls=(a.url,),
            published_at=(a.published_at,),
            matches=tuple(a.matches),
        )
        for a in articles
    ]
    sources = (SourceHealth("wire-one", "جريدة الأولى", "ok", "fine"),)
    if problems:
        sources += (SourceHealth("wire-two", "صحيفة الثانية", "failed", "HTTP 500", "خطأ في الخادم"),)
    health = HealthReport(NOW - timedelta(days=1), NOW, 2, sources)
    return build_document(
        stories,
        health,
        title="رقيب",
        feed_id="urn:test",
        timezone="UTC",
        generated_at=NOW,
        period_start=NOW - timedelta(days=1),
        period_end=NOW,
    )


RENDERERS = {"html": render_html, "md": render_markdown, "txt": render_text}
MARKS = {"html": ("<mark", "</mark>"), "md": ("**", "**"), "txt": ("«", "»")}


def marked(kind: str, out: str) -> list[str]:
    if kind == "html":
        return re.findall(r"<mark[^>]*>(.*?)</mark>", out)
    if kind == "md":
        quoted = "\n".join(line for line in out.splitlines() if line.startswith("> "))
        return re.findall(r"\*\*(.*?)\*\*", quoted)
    quoted = "\n".join(line for line in out.splitlines() if line.startswith("   ") and "«" in line)
    return re.findall(r"«(.*?)»", quoted)


@pytest.mark.parametrize("kind", RENDERERS)
def test_nested_overlapping_and_diacritic_matches_are_marked_once(kind):
    out = RENDERERS[kind](document(article()))
    marks = marked(kind, out)
    assert "تمويلِ الإرهابِ" in marks, "the mark covers the nested terms and the trailing kasra"
    assert "تمويل الإرهاب" in marks
    assert "البيتكوين" in marks and "بيتكوين" in marks
    assert all(x and x == x.strip() for x in marks), "no empty marks, no spaces at a mark's edges"
    assert not any(mark in ("تمويل", "الإرهاب", "ِ") for mark in marks), "nested terms are not marked apart"
    if kind == "md":
        assert "****" not in out and "** **" not in out
    if kind == "html":
        assert "</mark><mark" not in out
    if kind == "txt":
        assert "»«" not in out


@pytest.mark.parametrize(
    ("segments", "expected", "why"),
    [
        (
            [Segment("أ "), Segment("ب", True), Segment("ج", True)],
            [("أ ", False), ("بج", True)],
            "back to back",
        ),
        (
            [Segment("أ"), Segment(" ب ", True), Segment("ج")],
            [("أ ", False), ("ب", True), (" ج", False)],
            "edges",
        ),
        (
            [Segment("أ"), Segment("", True), Segment(" ", True), Segment("ب")],
            [("أ ب", False)],
            "empty marks",
        ),
    ],
)
def test_tidy_segments(segments, expected, why):
    assert [(s.text, s.mark) for s in tidy(segments)] == expected, why


def test_snippets_stay_in_their_paragraph_and_say_where_they_are():
    located = located_snippets(TEXT, MATCHES)
    places = [where for _, where in located]
    assert places == ["المقدمة", "الفقرة 2", "الفقرة 3"]
    for snippet, where in located:
        text = "".join(s.text for s in snippet)
        paragraph = {"المقدمة": LEAD, "الفقرة 2": SECOND, "الفقرة 3": THIRD}[where]
        assert text.strip("… ") in paragraph


def test_title_matches_do_not_mark_the_text():
    title_match = {"concept": "c", "term": "شبكة", "start": 0, "end": 4, "text": "شبكة", "field": "title"}
    (snippet,) = build_snippets(LEAD, [title_match, m(LEAD, "محافظ", "محافظ", "money")])
    assert [s.text for s in snippet if s.mark] == ["محافظ"]


def test_classifier_snippets_as_fallback_keep_real_quotes_and_merged_marks():
    matches = [{"concept": "c", "term": "تمويل", "start": 900, "end": 905, "text": "تمويل"}]
    (snippet,) = build_snippets("نص آخر", matches, ["قال «المسؤول» إن «تمويلِ الإرهابِ» مستمر"])
    assert [(s.text, s.mark) for s in snippet] == [
        ("قال «المسؤول» إن ", False),
        ("تمويلِ الإرهابِ", True),
        (" مستمر", False),
    ]


@pytest.mark.parametrize("kind", RENDERERS)
def test_term_list_is_deduplicated_grouped_and_located(kind):
    out = RENDERERS[kind](document(article()))
    line = next(line for line in out.splitlines() if "المصطلحات" in line)
    if kind == "html":  # the HTML list spans a few source lines
        start = out.index("المصطلحات")
        line = re.sub(r"<[^>]+>|\s+", " ", out[start : out.index("</p>", start)])
        line = " ".join(line.split())
    assert "بيتكوين (البيتكوين، بيتكوين)" in line, "one entry with its forms"
    assert "المقدمة، الفقرة 2" in line, "with where they were found"
    assert "تمويل الإرهاب" in line
    assert line.count("تمويل") == 1, "«تمويل» inside «تمويل الإرهاب» is not listed again"
    assert line.count("إرهاب") == 1, "nor «إرهاب»"


@pytest.mark.parametrize("kind", RENDERERS)
@pytest.mark.parametrize(
    ("label", "score", "expected"),
    [
        ("core", 5.0, "الدرجة 5.00 — بلغت أدلة القواعد الأساسية عتبة «أساسي» (3)"),
        ("related", 2.0, "الدرجة 2.00 — بلغت عتبة «ذو صلة» (2)؛ «أساسي» يحتاج 3 من القواعد الأساسية"),
    ],
)
def test_score_line_names_the_threshold_and_the_rules(kind, label, score, expected):
    rules = ("crypto_terror_financing", "a_rule_nobody_described")
    out = RENDERERS[kind](document(article(label=label, score=score, rules=rules)))
    if kind == "html":
        out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
    assert expected in out
    assert "العملات المشفرة وتمويل الإرهاب في القصة نفسها" in out, "the rule described in Arabic"
    assert "a_rule_nobody_described" in out.replace("\\_", "_"), "a rule without a description keeps its name"


def test_old_rows_without_locations_or_rules_still_render():
    old = [{k: v for k, v in match.items() if k in {"concept", "term", "text"}} for match in MATCHES]
    for kind, render in RENDERERS.items():
        out = render(document(article(matches=old, rules=())))
        assert "المصطلحات" in out, kind
        assert "القواعد:" not in out, kind


@pytest.mark.parametrize("kind", RENDERERS)
@pytest.mark.parametrize("problems", [True, False])
def test_source_health_comes_before_the_first_story(kind, problems):
    out = RENDERERS[kind](document(article(title="قصة أولى للاختبار"), problems=problems))
    health = out.index("صحة المصادر")
    assert health < out.index("قصة أولى للاختبار")
    if problems:
        assert out.index("صحيفة الثانية") < out.index("قصة أولى للاختبار")
    assert out.index("حتى") < health, "after the heading and the period line"
