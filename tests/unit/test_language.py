"""detect_language: ISO 639-1 codes, deterministic, Persian and Urdu told apart from Arabic."""

from __future__ import annotations

import random

import pytest

from crawler.language import LanguageResult, detect_language

ARABIC = (
    "أعلنت وزارة الزراعة اليوم افتتاح موسم جني التمور في الواحات الجنوبية، وقال المسؤولون إن المحصول "
    "هذا العام أفضل من العام الماضي بفضل الأمطار التي هطلت في الشتاء."
)
PERSIAN = (
    "وزارت کشاورزی امروز اعلام کرد که فصل برداشت خرما در نخلستان‌های جنوبی آغاز شده است و مسئولان "
    "می‌گویند محصول امسال بهتر از پارسال است."
)
URDU = (
    "وزارت زراعت نے آج اعلان کیا ہے کہ جنوبی نخلستانوں میں کھجور کی کٹائی کا موسم شروع ہو گیا ہے اور "
    "حکام کہتے ہیں کہ اس سال کی پیداوار پچھلے سال سے بہتر ہے۔"
)
ENGLISH = "The ministry of agriculture announced today that the date harvest season has begun in the southern oases."
FRENCH = (
    "Le ministère de l'agriculture a annoncé aujourd'hui que la saison de la récolte des dattes a commencé."
)

# (text, expected language, explanation)
CASES = [
    (ARABIC, "ar", "Arabic news prose"),
    (PERSIAN, "fa", "Persian prose: ی ک گ"),
    (URDU, "ur", "Urdu prose: ے ں ہ ٹ"),
    (ENGLISH, "en", "English"),
    (FRENCH, "fr", "French"),
    ("بيتكوين", "ar", "one Arabic word: Arabic ي"),
    ("بیت کوین", "fa", "one Persian spelling: Persian ی"),
    ("گزارش کوتاه", "fa", "two short Persian words where langdetect alone may flip"),
    ("پاکستان میں ہے", "ur", "three short Urdu words"),
    ("قال الوزير إن المحصول جيد", "ar", "short Arabic sentence"),
    (ARABIC + " Bitcoin USDT Binance", "ar", "Arabic with Latin brand names inside"),
]


@pytest.mark.parametrize(("text", "language", "why"), CASES, ids=[c[2] for c in CASES])
def test_detect_language(text, language, why):
    result = detect_language(text)
    assert result.language == language, why
    assert 0.0 < result.probability <= 1.0
    assert result.method in {"langdetect", "script"}


@pytest.mark.parametrize("text", ["", "   \n ", "12345 !!! 678", "https://example.test/a/b"])
def test_no_letters_is_undetermined(text):
    assert detect_language(text) == LanguageResult("und", 0.0, "empty")


def test_same_answer_every_time_whatever_the_global_random_state():
    ambiguous = "Bitcoin Binance USDT"
    first = detect_language(ambiguous)
    for salt in range(5):
        random.seed(salt)
        assert detect_language(ambiguous) == first


def test_bounded_prefix_decides():
    # An English article with an Arabic tail: only the prefix is read.
    text = ENGLISH * 30 + ARABIC * 200
    assert detect_language(text, prefix_chars=1000).language == "en"
    assert detect_language(ARABIC * 200 + ENGLISH * 30).language == "ar"


def test_long_text_is_fast():
    import time

    text = ARABIC * 5000  # ~700 KB
    start = time.perf_counter()
    detect_language(text)
    assert time.perf_counter() - start < 2.0
