"""Extract stage: body text and metadata with trafilatura, in a worker process.

The worker also detects the language and classifies (see crawler/analysis.py): one trip per page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crawler.analysis import AnalysisOptions, analyse_page
from crawler.extraction import Hints
from crawler.items import ArticleItem
from crawler.signals import fetch_failed
from crawler.template_learning import get_learner
from crawler.urls import canonicalize_url, url_hash
from crawler.workers import WorkerUnavailable, get_executor, run_in_worker


def _same_site(a: str, b: str) -> bool:
    ha = (urlsplit(a).hostname or "").removeprefix("www.")
    hb = (urlsplit(b).hostname or "").removeprefix("www.")
    return bool(ha) and ha == hb


class ExtractPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.options = AnalysisOptions(
            min_text_chars=settings.getint("RAQIB_MIN_TEXT_CHARS", 200),
            language_prefix_chars=settings.getint("RAQIB_LANGUAGE_PREFIX_CHARS", 2000),
            classify_languages=frozenset(settings.getlist("RAQIB_ACCEPTED_LANGUAGES", ["ar", "en", "fr"])),
            rules_dir=settings.get("RAQIB_RULES_DIR") or None,
        )

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        return cls(crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        stats = self.crawler.stats
        if item.extraction_status:  # already failed upstream (e.g. HTTP 404)
            return item
        body, item.body = item.body or b"", None
        hints = Hints(
            title=item.hint_title,
            published_raw=item.hint_published_raw,
            summary=item.hint_summary,
            author=item.hint_author,
            language=item.hint_language,
        )
        page_url = item.final_url or item.requested_url
        learner = get_learner(self.crawler)
        source = getattr(self.crawler.spider, "source", None)
        chrome = await learner.context_for(page_url, getattr(source, "extract", None))
        try:
            analysis = await run_in_worker(
                get_executor(self.crawler),
                analyse_page,
                body,
                page_url,
                item.content_type,
                hints,
                self.options,
                chrome,
            )
        except WorkerUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - the page itself breaks the extractor: remember it as such
            item.extraction_status = "extractor_error"
            item.extraction_error = f"{type(exc).__name__}: {exc}"[:500]
            stats.inc_value("raqib/extract/failed/extractor_error")
            self.crawler.signals.send_catch_log(
                fetch_failed, url=item.requested_url, reason="extract_extractor_error", detail=item.extraction_error
            )
            return item
        item.analysis = analysis
        result = analysis.extraction
        for reason, count in result.chrome_removed.items():
            stats.inc_value(f"raqib/chrome/removed/{reason}", count)
        item.extraction_status = result.status
        item.extraction_error = result.error
        item.title = result.title or item.hint_title
        item.text = result.text
        item.author = result.author
        item.sitename = result.sitename
        item.summary = result.description or item.hint_summary
        item.published_at = result.published_at
        item.published_at_raw = result.published_at_raw
        item.date_confidence = result.date_confidence
        item.encoding = result.encoding
        item.content_hash = result.content_hash
        # The page's own canonical URL wins when it stays on the same site; a syndicated copy that
        # points at the original outlet keeps its own URL, or it would vanish into the original.
        if (
            result.canonical_url
            and result.canonical_url != item.canonical_url
            and _same_site(result.canonical_url, item.final_url or item.requested_url)
        ):
            canonical = canonicalize_url(result.canonical_url)
            if canonical != item.canonical_url:
                item.aliases.append(item.canonical_url)
                item.canonical_url = canonical
                item.url_hash = url_hash(canonical)
        units, result.template_units = result.template_units, []  # learnt from here, not carried on
        if result.status == "ok":
            stats.inc_value("raqib/extract/ok")
            # After the canonical URL is settled: the stored row is found again by this hash.
            learned = learner.observe(page_url, item.url_hash, result.title or item.hint_title, units)
            if learned:
                stats.inc_value("raqib/chrome/template/new_blocks", learned)
        else:
            stats.inc_value(f"raqib/extract/failed/{result.status}")
            self.crawler.signals.send_catch_log(
                fetch_failed, url=item.requested_url, reason=f"extract_{result.status}", detail=result.error
            )
        return item
