"""The CPU-bound work on one page, in one trip to a worker process.

Extraction, language detection and classification are separate pure steps and separate pipeline
stages, but shipping the page to a worker three times costs the crawl process a third of its time on
two cores (pickling, pipe writes, the pool's threads fighting the reactor for the GIL). So the extract
stage sends the page once and the worker runs the chain; the language and classify stages then apply
their part of the result, and compute it themselves only for items that arrive without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.chrome import ChromeContext
from crawler.extraction import Extraction, Hints, extract_article
from crawler.language import LanguageResult, detect_language


@dataclass(frozen=True)
class AnalysisOptions:
    min_text_chars: int
    language_prefix_chars: int
    classify_languages: frozenset[str]
    rules_dir: str | None


@dataclass
class PageAnalysis:
    extraction: Extraction
    language: LanguageResult | None = None
    classification: dict[str, Any] | None = None
    classification_error: str = ""


def language_sample(title: str, text: str) -> str:
    return f"{title}\n{text}"


def analyse_page(
    body: bytes,
    url: str,
    content_type: str | None,
    hints: Hints,
    options: AnalysisOptions,
    chrome: ChromeContext | None = None,
) -> PageAnalysis:
    """Extract, detect the language and, for accepted languages, classify one page."""
    from crawler.worker_process import classify_in_worker

    extraction = extract_article(
        body, url, content_type, hints, min_text_chars=options.min_text_chars, chrome=chrome
    )
    result = PageAnalysis(extraction)
    if extraction.status != "ok":
        return result
    title = extraction.title or hints.title
    result.language = detect_language(
        language_sample(title, extraction.text), prefix_chars=options.language_prefix_chars
    )
    if result.language.language in options.classify_languages:
        try:
            result.classification = classify_in_worker(
                options.rules_dir, extraction.text, title, result.language.language
            )
        except Exception as exc:  # noqa: BLE001 - reported by the classify stage; the page is kept
            result.classification_error = f"{type(exc).__name__}: {exc}"
    return result
