"""Bad input gets a decision or a clear error, never a crash."""

from __future__ import annotations

import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest

from classifiers import Classifier

CORE = "أعلنت السلطات مصادرة محافظ للعملات المشفرة استخدمت في تمويل الإرهاب. "


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty text"),
        ("   \n\t  ", "whitespace only"),
        ("\x00\x01\x02\x1b[31m", "control characters"),
        ("\ud800بيتكوين\udfff", "unpaired surrogates"),
        ("ﺍﻟﻌﻤﻼﺕ " * 50, "presentation forms only"),
        ("ً" * 1000, "nothing but diacritics"),
        ("😀🚀 " * 100, "emoji / astral characters"),
    ],
)
def test_odd_text_gets_a_decision(clf: Classifier, text: str, why: str) -> None:
    d = clf.classify(text)
    assert d.label == "none", why
    assert isinstance(d.to_dict(), dict)


def test_none_counts_as_empty(clf: Classifier) -> None:
    assert clf.classify(None, title=None).label == "none"


def test_wrong_type_is_a_clear_error(clf: Classifier) -> None:
    with pytest.raises(TypeError, match="decode"):
        clf.classify(b"bytes")  # type: ignore[arg-type]


def test_diacritics_and_presentation_forms_still_match(clf: Classifier) -> None:
    text = "صادرت السلطات ﺍﻟﻌﻤﻼﺕ ﺍﻟﻤﺸﻔﺮﺓ المُسْتَخْدَمَة فِي تَمْوِيلِ الإِرْهَابِ."
    d = clf.classify(text)
    assert d.label == "core"
    for m in d.matches:
        assert text[m.start : m.end] == m.text


def test_mixed_scripts(clf: Classifier) -> None:
    text = "Europol: the FATF warns. قالت مجموعة العمل المالي FATF إن Bitcoin وUSDT تستخدم لتمويل الإرهاب."
    assert clf.classify(text).label == "core"


def test_five_megabytes_in_bounded_time(clf: Classifier) -> None:
    filler = "خبر عادي عن الطقس والرياضة والاقتصاد في المدينة. " * 10
    text = (filler + CORE) * (5_000_000 // len(filler + CORE))
    assert len(text) >= 4_900_000
    started = time.perf_counter()
    d = clf.classify(text)
    elapsed = time.perf_counter() - started
    assert d.label == "core"
    assert len(d.matches) <= 500  # listed matches are capped; all are scored
    assert elapsed < 30, f"5 MB took {elapsed:.1f}s"


def test_english_and_french_packs(clf: Classifier) -> None:
    en = "Police seized cryptocurrency wallets used for terrorist financing by ISIS supporters."
    fr = "La police a saisi des cryptomonnaies destinées au financement du terrorisme."
    assert clf.classify(en).label == "core"
    assert clf.classify(en).language == "en"
    assert clf.classify(fr).label == "core"
    assert clf.classify(fr, language="fr").language == "fr"
    assert clf.classify("Bitcoin hits a record high as ETF inflows grow.").label == "none"


def _classify_in_worker(args: tuple[Classifier, str]) -> str:
    clf, text = args
    return clf.classify(text).label


def test_classifier_pickles_and_runs_in_a_process_pool(clf: Classifier) -> None:
    clone = pickle.loads(pickle.dumps(clf))
    assert clone.classify(CORE).to_dict() == clf.classify(CORE).to_dict()
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
        assert list(pool.map(_classify_in_worker, [(clf, CORE)])) == ["core"]
