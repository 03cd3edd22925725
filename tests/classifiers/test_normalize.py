"""Normalisation: each case says what it proves."""

from __future__ import annotations

import pytest

from classifiers.normalize import Normalizer, build_table, fold_punctuation, normalize


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer()


CASES = [
    # (input, expected normalize(), why)
    ("الإرهاب", "الارهاب", "hamza-below alef folds to bare alef"),
    ("أصول", "اصول", "hamza-above alef folds to bare alef"),
    ("آمن", "امن", "madda alef folds to bare alef"),
    ("ٱلله", "الله", "alef wasla folds to bare alef"),
    ("على", "علي", "alef maqsura is read as ya (Egyptian spelling writes ي as ى)"),
    ("مشفرة", "مشفره", "ta marbuta folds to ha (outlets write either)"),
    ("مؤسسة", "موسسه", "hamza on waw folds to waw"),
    ("هيئة", "هييه", "hamza on ya folds to ya"),
    ("العُمْلاتُ المُشَفَّرَةُ", "العملات المشفره", "harakat and shadda are dropped"),
    ("بيتكـــوين", "بيتكوين", "tatweel (kashida) is dropped"),
    ("ﻻ ﺑﻴﺘﻜﻮﻳﻦ", "لا بيتكوين", "presentation forms become ordinary letters"),
    ("کیف", "كيف", "Persian kaf and ya fold to Arabic ones"),
    ("٣ دجنبر ۲۰۲۱", "3 دجنبر 2021", "Arabic-Indic and Persian digits become ASCII"),
    ("Bitcoin USDT", "bitcoin usdt", "Latin case is folded"),
    ("Crypto-actifs numériques", "crypto-actifs numeriques", "Latin accents are dropped"),
    ("بيت\u200cكوين\u200f", "بيتكوين", "zero-width non-joiner and bidi marks are dropped"),
    ("a\x00b\ud800c", "a b c", "control characters and lone surrogates become spaces"),
]


@pytest.mark.parametrize(("text", "expected", "why"), CASES, ids=[c[2] for c in CASES])
def test_normalize_reference(text: str, expected: str, why: str) -> None:
    assert normalize(text) == expected, why


@pytest.mark.parametrize(("text", "expected", "why"), CASES, ids=[c[2] for c in CASES])
def test_compiled_table_agrees_with_reference(norm: Normalizer, text: str, expected: str, why: str) -> None:
    assert norm(text).flat == fold_punctuation(normalize(text)), why


@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("قال: «بيتكوين»، ثم", "قال   بيتكوين   ثم", "quotes, colon and Arabic comma are word breaks"),
        ("انتهى. بدأ؟ نعم!\nلا؛", "انتهي. بدا. نعم..لا.", "sentence ends become '.'"),
    ],
)
def test_punctuation_folding(norm: Normalizer, text: str, expected: str, why: str) -> None:
    assert norm(text).flat == expected, why


@pytest.mark.parametrize(
    ("text", "word", "why"),
    [
        (
            "في العُمْلاتِ المُشَفَّرَةِ اليوم",
            "المشفره",
            "a span after deleted diacritics maps back, keeping its marks",
        ),
        ("ﻻ ﺑﻴﺘﻜﻮﻳﻦ", "بيتكوين", "a span after an expanded ligature maps back"),
        ("\u200fبيت\u200cكوين وBitcoin", "bitcoin", "a span after deleted invisible marks maps back"),
        ("plain text", "text", "1:1 text maps identically"),
    ],
)
def test_offsets_map_back_to_original(norm: Normalizer, text: str, word: str, why: str) -> None:
    nt = norm(text)
    start = nt.flat.index(word)
    s, e = nt.to_original(start, start + len(word))
    assert norm(text[s:e]).flat == word, why
    assert normalize(text[s:e]) == word, why


def test_byte_path_agrees_with_translation_table(norm: Normalizer) -> None:
    """The fast bytes path (common alphabet) folds exactly as the table; anything else falls back."""
    import random

    fast, table = norm._fast, norm._table
    alphabet = fast._decoding.rstrip("\ufffe")
    assert len(alphabet) > 200 and fast(alphabet) == alphabet.translate(table)
    rng = random.Random(3)
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert fast(text) == text.translate(table)
    for cp in range(0x10000):  # every BMP character: the same image, or the fallback (None)
        out = fast(chr(cp))
        assert out is None or out == table[cp], hex(cp)
    assert fast("é") is None and norm("é").flat == "e"


def test_byte_path_survives_pickling(norm: Normalizer) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(norm))
    assert again("العملاتُ المشفّرة.").flat == norm("العملاتُ المشفّرة.").flat == "العملات المشفره."


def test_bulk_table_equals_the_per_character_reference() -> None:
    """The table is built by running the chain once over all characters joined together; it must be
    exactly what running it on each character alone gives."""
    table = build_table()
    wrong = [
        f"U+{cp:04X}: {table[cp]!r} != {ref!r}"
        for cp in range(0x10000)
        if table[cp] != (ref := fold_punctuation(normalize(chr(cp))))
    ]
    assert not wrong, wrong[:10]
