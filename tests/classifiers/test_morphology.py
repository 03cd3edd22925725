"""Matching with Arabic morphology and ambiguous words: each case says what it proves."""

from __future__ import annotations

import pytest

from classifiers import Classifier

CASES = [
    # (text, concept, expected matched text or None, why)
    (
        "وللعملات المشفّرة",
        "crypto",
        "وللعملات المشفّرة",
        "proclitics و+لل and plural on every word of a phrase",
    ),
    ("فالأصولُ الافتراضيّة", "crypto", "فالأصولُ الافتراضيّة", "ف+ال clitic with diacritics on a broken plural"),
    ("بالعملات الرقمية", "crypto", "بالعملات الرقمية", "ب+ال clitic"),
    ("عملتين رقميتين", "crypto", "عملتين رقميتين", "dual of a feminine noun (ة → تين) on both words"),
    ("البيتكوين", "crypto", "البيتكوين", "the article on a protected loanword"),
    ("وبيتكوين", "crypto", "وبيتكوين", "و on a protected loanword"),
    ("البتكوين", "crypto", "البتكوين", "definite بتكوين is bitcoin"),
    ("بتكوين فريق عمل", "crypto", None, "bare بتكوين is 'by forming' unless money words are near"),
    ("استعادت 63 بتكوين تعادل مليون دولار", "crypto", "بتكوين", "bare بتكوين next to money words is bitcoin"),
    ("بلوك تشين", "crypto", "بلوك تشين", "two-word spelling of blockchain"),
    ("سلسلة الكتل", "crypto", "سلسلة الكتل", "Arabic calque of blockchain"),
    ("عملة USDT", "crypto", "USDT", "Latin ticker inside Arabic text"),
    ("(Bitcoin)", "crypto", "Bitcoin", "Latin term in brackets, case folded"),
    ("القنوات المشفرة", "crypto", None, "'encrypted' TV channels are not crypto"),
    ("بالعملة المحلية", "crypto", None, "ordinary currency is not crypto"),
    ("الإعلام الرقمي", "crypto", None, "'digital' media is not crypto"),
    ("تشفير الرسائل", "crypto", None, "message encryption is not crypto"),
    ("عمليات", "crypto", None, "whole tokens only: عمليات is not عملة + suffix"),
    ("للإرهابيين", "terror", "للإرهابيين", "لل clitic + plural nisba suffix"),
    ("الارهاب", "terror", "الارهاب", "hamza-less spelling"),
    ("تنظيم القاعدة", "terror", "تنظيم القاعدة", "al-Qaeda named with its organisation word"),
    ("القاعدة الصناعية", "terror", None, "القاعدة as an industrial base"),
    ("حماس جماهيري كبير", "terror", None, "حماس as enthusiasm"),
    ("حماس تنظيم إرهابي", "terror", "حماس", "حماس next to terrorism vocabulary"),
    ("فوز فريق الشباب", "terror", None, "الشباب as a football club"),
    ("حركة الشباب الصومالية", "terror", "حركة الشباب", "al-Shabaab named with its movement word"),
    ("هجوم بيعي", "terror", None, "a market sell-off 'attack' is not terrorism"),
    ("لتمويل الإرهاب", "terror_financing", "لتمويل الإرهاب", "ل clitic on a two-word phrase"),
    ("الإرهاب وتمويله", "terror_financing", "الإرهاب وتمويله", "'terrorism and its financing'"),
    ("الانترنيت المظلم", "crime", "الانترنيت المظلم", "Maghreb spelling of internet"),
    ("معدلات التمويل", "terror_financing", None, "funding rates are not terror financing"),
]


@pytest.mark.parametrize(("text", "concept", "expected", "why"), CASES, ids=[c[3] for c in CASES])
def test_term_matching(clf: Classifier, text: str, concept: str, expected: str | None, why: str) -> None:
    d = clf.classify(text, language="ar")
    found = [m.text for m in d.matches if m.concept == concept]
    if expected is None:
        assert not found, f"{why}: unexpected {found}"
    else:
        assert expected in found, f"{why}: got {found}"


def test_offsets_point_into_original_text(clf: Classifier) -> None:
    text = "قالت الشرطة إن الشبكة استخدمت العُملاتِ المُشفَّرةَ ﻻ غير لتمويل الإرهاب."
    d = clf.classify(text)
    assert d.matches
    for m in d.matches:
        assert text[m.start : m.end] == m.text


def test_title_matches_are_flagged(clf: Classifier) -> None:
    d = clf.classify("نص بلا مصطلحات.", title="تمويل الإرهاب بالبيتكوين")
    assert {m.field for m in d.matches} == {"title"}
    assert d.label == "core"
    assert any("«" in s and "»" in s for s in d.snippets)
