"""The item that flows through the pipelines: one fetched page with its provenance.

Raw and normalised values sit side by side (``published_at_raw`` beside ``published_at``) and crawl
time is kept apart from publication time, so a wrong parse can be seen and fixed later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ArticleItem:
    # provenance
    source: str
    requested_url: str
    canonical_url: str
    url_hash: str
    crawled_at: datetime
    final_url: str = ""
    http_status: int = 200
    content_type: str = ""
    # raw page; dropped by the extract stage so items stay small on their way to storage
    body: bytes | None = None
    # what the feed, sitemap or listing said about the page (fallbacks for extraction)
    hint_title: str = ""
    hint_published_raw: str = ""
    hint_summary: str = ""
    hint_author: str = ""
    hint_language: str = ""
    # every URL form that led here (requested, redirected, page canonical)
    aliases: list[str] = field(default_factory=list)
    # extraction
    extraction_status: str = ""
    extraction_error: str = ""
    title: str = ""
    text: str = ""
    author: str = ""
    sitename: str = ""
    summary: str = ""
    published_at: datetime | None = None
    published_at_raw: str = ""
    date_confidence: str = "none"
    encoding: str = ""
    content_hash: str = ""
    # language
    language: str = ""
    language_probability: float = 0.0
    # classification (classifiers.Decision.to_dict()), None when not classified
    classification: dict[str, Any] | None = None
    # the worker's language and classification results, applied by their own stages (transient)
    analysis: Any = field(default=None, repr=False)
