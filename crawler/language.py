"""Language of an article's clean body text, as an ISO 639-1 code with a probability.

langdetect draws random n-grams, so it is seeded on every call (through the detector's own seed, not the
library's class-level ``DetectorFactory.seed`` that any other code could change). It runs on a bounded
prefix: past a couple of thousand characters it only gets slower, not better.

Arabic, Persian and Urdu share a script, and langdetect confuses them on short texts. Letters each of them
uses and the others do not are cheap, reliable evidence: Persian and Urdu write ی and ک where Arabic writes
ي and ك, Persian adds پ چ ژ گ, and Urdu adds ٹ ڈ ڑ ے ں ہ ھ. When that evidence and langdetect disagree,
the letters win.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["LanguageResult", "detect_language"]

UNDETERMINED = "und"  # BCP 47's "undetermined": no letters to judge


@dataclass(frozen=True)
class LanguageResult:
    language: str  # ISO 639-1 ("ar", "fa", "ur", "en", "fr", ...) or "und"
    probability: float
    method: str  # "langdetect" | "script" | "empty"


_ARABIC_SCRIPT = re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f]")
_LETTER = re.compile(r"[^\W\d_]")
_ARABIC_ONLY = re.compile("[\u064a\u0643\u0649\u0629]")  # ي ك ى ة
_PERSIAN_LIKE = re.compile("[\u06cc\u06a9\u067e\u0686\u0698\u06af]")  # ی ک پ چ ژ گ (Persian, also Urdu)
_URDU_ONLY = re.compile("[\u0679\u0688\u0691\u06d2\u06ba\u06d3\u06c1\u06be]")  # ٹ ڈ ڑ ے ں ۓ ہ ھ
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|\d+")
_SPACES = re.compile(r"\s+")

_LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh"}


@lru_cache(maxsize=1)
def _factory():  # -> langdetect.detector_factory.DetectorFactory
    """A private, loaded langdetect factory: loading the profiles takes a second, so once per process."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    return factory


def _langdetect(text: str, seed: int) -> list[tuple[str, float]]:
    from langdetect.lang_detect_exception import LangDetectException

    detector = _factory().create()
    detector.seed = seed  # per detector: the same text always gets the same answer
    detector.append(text)
    try:
        return [(_LANGDETECT_CODES.get(p.lang, p.lang), p.prob) for p in detector.get_probabilities()]
    except LangDetectException:
        return []


def _script_verdict(text: str) -> tuple[str, float]:
    """Arabic, Persian or Urdu from the letters alone, with the share of the evidence that agrees."""
    arabic = len(_ARABIC_ONLY.findall(text))
    persian = len(_PERSIAN_LIKE.findall(text))
    urdu = len(_URDU_ONLY.findall(text))
    total = arabic + persian + urdu
    if total == 0:
        return "ar", 0.5  # only letters all three share: Arabic is the likeliest on an Arabic news crawl
    if persian + urdu > arabic:
        if urdu >= 2 and urdu >= 0.15 * (persian + urdu):
            return "ur", (urdu + persian) / total
        return "fa", (persian + urdu) / total
    return "ar", arabic / total


def detect_language(text: str, *, prefix_chars: int = 2000, seed: int = 0) -> LanguageResult:
    """Detect the language of ``text`` from its first ``prefix_chars`` characters; never raises."""
    sample = _SPACES.sub(" ", _NOISE.sub(" ", text or "")[: prefix_chars * 2]).strip()[:prefix_chars]
    letters = len(_LETTER.findall(sample))
    if letters == 0:
        return LanguageResult(UNDETERMINED, 0.0, "empty")
    try:
        ranked = _langdetect(sample, seed)
    except Exception:  # noqa: BLE001 - a detector bug must not lose the article
        ranked = []

    arabic_script = len(_ARABIC_SCRIPT.findall(sample))
    if arabic_script > letters / 2:
        language, share = _script_verdict(sample)
        if ranked and ranked[0][0] == language:
            return LanguageResult(language, round(ranked[0][1], 4), "langdetect")
        return LanguageResult(language, round(share, 4), "script")

    if not ranked:
        return LanguageResult(UNDETERMINED, 0.0, "empty")
    code, probability = ranked[0]
    return LanguageResult(code, round(probability, 4), "langdetect")
