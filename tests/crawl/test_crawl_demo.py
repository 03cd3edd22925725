"""The real spiders over real HTTP against the bundled site: every trap, end to end.

One module-scoped crawl (two runs of `raqib crawl` into one SQLite file) is checked against the
site's manifest, which says what a correct crawl does with each URL.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from crawler.demo_site import ExpectedPage, expected_pages
from storage.models import Article, Classification
from tests.crawl.conftest import article_for, crawl_run

ARABIC = re.compile(r"[\u0621-\u064a]")
MOJIBAKE = re.compile(r"[ØÙÚÛ][\x80-\xff]|Ã.|\ufffd")


@pytest.fixture(scope="module")
def manifest(demo_site: Any) -> list[ExpectedPage]:
    return expected_pages(demo_site.base_url, today=demo_site.today)


def pages(manifest: list[ExpectedPage], *expects: str) -> list[ExpectedPage]:
    chosen = [p for p in manifest if p.expect in expects]
    assert chosen, f"the demo site has no page expected to be {expects}"
    return chosen


def errors_by_reason(crawled: dict[str, Any]) -> dict[str, set[str]]:
    with crawled["sessions"]() as session:
        run = crawl_run(session, crawled["first"].summary["crawl_run_id"])
        out: dict[str, set[str]] = {}
        for e in run.errors:
            out.setdefault(e["reason"], set()).add(e["url"])
        return out


def test_every_plain_article_is_stored_with_text_language_and_date(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    # One of an exact-copy pair is stored as the duplicate, whichever the crawl met second.
    copies = {p.same_as for p in manifest if p.expect == "duplicate_content"}
    with crawled["sessions"]() as session:
        for page in pages(manifest, "stored", "syndicated", "malformed"):
            if page.url in copies:
                continue
            article = article_for(session, page.url)
            assert article is not None, f"{page.trap or 'article'} not stored: {page.url}"
            assert article.extraction_status == "ok", (page.url, article.extraction_error)
            assert len(article.text) > 200 and article.title
            assert article.language == (page.language or "ar"), page.url
            assert article.language_probability > 0.5
            if page.published:
                assert article.published_at is not None, page.url
                assert article.published_at.date().isoformat() == page.published[:10], (page.url, article.published_at_raw)
                assert article.date_confidence in ("high", "medium"), page.url


def test_same_story_at_two_urls_is_stored_once(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    with crawled["sessions"]() as session:
        for page in pages(manifest, "duplicate_url"):
            original = article_for(session, page.same_as)
            variant = article_for(session, page.url)
            assert original is not None and variant is not None
            assert original.id == variant.id, f"{page.trap}: {page.url} stored apart from {page.same_as}"
        total = session.scalar(select(func.count()).select_from(Article))
        distinct = session.scalar(select(func.count(func.distinct(Article.url_hash))))
        assert total == distinct


def test_exact_copy_under_another_url_is_caught_by_content_hash(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    with crawled["sessions"]() as session:
        for page in pages(manifest, "duplicate_content"):
            a, b = article_for(session, page.url), article_for(session, page.same_as)
            assert a is not None and b is not None and a.id != b.id
            statuses = sorted([a.extraction_status, b.extraction_status])
            assert statuses == ["duplicate", "ok"], statuses
            dup = a if a.extraction_status == "duplicate" else b
            assert dup.duplicate_of_id == (b.id if dup is a else a.id) or dup.extraction_error


def test_syndicated_copy_is_its_own_article_on_the_other_outlet(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    with crawled["sessions"]() as session:
        for page in pages(manifest, "syndicated"):
            copy, original = article_for(session, page.url), article_for(session, page.same_as)
            assert copy is not None and original is not None and copy.id != original.id
            assert copy.source_id != original.source_id or copy.canonical_url != original.canonical_url
            assert copy.extraction_status == original.extraction_status == "ok"


def test_failures_are_recorded_with_their_reason(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    reasons = errors_by_reason(crawled)
    expected_reason = {
        "http_404": "http_404",
        "http_500": "http_500",
        "timeout": "timeout",
        "empty": "extract_empty",
        "not_html": "extract_not_html",
        "redirect_loop": "refused_redirect_loop",
    }
    for page in pages(manifest, *expected_reason):
        reason = expected_reason[page.expect]
        assert any(page.path.split("?")[0] in url for url in reasons.get(reason, ())), (
            f"{page.trap}: no '{reason}' recorded for {page.url}; recorded: {sorted(reasons)}"
        )
    assert reasons.get("broken_feed"), "the broken feed is not recorded"
    with crawled["sessions"]() as session:
        run = crawl_run(session, crawled["first"].summary["crawl_run_id"])
        assert run.status == "finished" and run.finished_at is not None
        assert run.pages_fetched > 0 and run.articles_stored > 0
        assert run.stats.get("raqib/extract/ok", 0) > 0


def test_permanent_failures_are_remembered_and_transient_ones_are_not(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    with crawled["sessions"]() as session:
        for page in pages(manifest, "http_404", "empty", "not_html"):
            article = article_for(session, page.url)
            assert article is not None and article.extraction_status != "ok", page.url
        for page in pages(manifest, "http_500", "timeout"):
            assert article_for(session, page.url) is None, page.url


def test_offsite_private_and_robots_urls_are_never_requested(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    assert crawled["other_requests"] == [], "a request reached the other host"
    requested = {r.path for r in crawled["first_requests"] + crawled["second_requests"]}
    for page in manifest:
        if page.never_requested and page.url.startswith("http://127.0.0.1"):
            assert page.path not in requested, f"{page.trap}: {page.url} was requested"
    reasons = errors_by_reason(crawled)
    refused = reasons.get("refused_offsite", set())
    for page in pages(manifest, "offsite"):
        if page.never_requested:
            assert page.url in refused, f"{page.trap}: refusal of {page.url} not recorded"


def test_requests_identify_raqib_with_a_contact_url(crawled: dict[str, Any]) -> None:
    agents = {r.user_agent for r in crawled["first_requests"]}
    assert agents and all(a.startswith("Raqib/") and "+http" in a for a in agents), agents


def test_second_crawl_downloads_no_article_page_and_stores_nothing(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    article_paths = {p.path.split("?")[0] for p in manifest if p.expect in ("stored", "syndicated", "malformed", "duplicate_url", "duplicate_content", "http_404", "empty", "not_html")}
    again = [r.path for r in crawled["second_requests"] if r.path.split("?")[0] in article_paths]
    assert again == [], f"second crawl downloaded article pages again: {again}"
    second = crawled["second"].summary
    assert second["articles_stored"] == 0 and second["pages_fetched"] == 0
    # Pages fetched in full again (the broken feed, feeds listing a transient failure) list stored links.
    assert second["skipped_already_stored"] > 0


def test_second_crawl_polls_conditionally_and_unchanged_pages_answer_304(
    crawled: dict[str, Any], manifest: list[ExpectedPage]
) -> None:
    """Every feed, sitemap and section page the second crawl asked for carried the validators the first
    stored and was answered 304, except those fetched in full by design: the broken feed, the sitemap
    index, and the feeds listing a story that failed transiently (500, timeout), so it is retried."""
    from crawler.sources import load_sources

    transient = {name for p in manifest if p.expect in ("http_500", "timeout") for name in p.sources}
    in_full = {"/nile/rss-breaking.xml", "/nile/sitemap-index.xml"} | {
        "/" + url.split("://", 1)[1].split("/", 1)[1]
        for s in load_sources(crawled["sources"]) if s.name in transient for url in s.start_urls
    }
    assert len(in_full) == 4, in_full  # /nile/rss.xml (the slow page) and /sada/atom.xml (the 500)
    polled = [
        r for r in crawled["second_requests"]
        if r.path.split("?")[0].endswith((".xml", ".json")) or "/section/" in r.path
    ]
    asked = [r for r in polled if r.path not in in_full]
    assert {r.path for r in polled} >= in_full and any("/corpus/" in r.path for r in asked)
    assert all(r.if_none_match and r.if_modified_since and r.status == 304 for r in asked), [
        (r.path, r.status) for r in asked if r.status != 304
    ]
    assert all(not r.if_none_match and r.status == 200 for r in polled if r.path in in_full)
    with crawled["sessions"]() as session:
        stats = crawl_run(session, crawled["second"].summary["crawl_run_id"]).stats
    assert stats["raqib/poll/not_modified"] == len(asked) and stats["raqib/poll/requests"] == len(polled)
    assert "http_304" not in crawled["second"].summary["failures"]


def test_windows_1256_and_iso_8859_6_pages_decode_to_arabic(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    charset_traps = [p for p in manifest if p.trap.startswith(("cp1256", "iso_8859_6"))]
    assert len(charset_traps) >= 3
    with crawled["sessions"]() as session:
        for page in charset_traps:
            article = article_for(session, page.url)
            assert article is not None and article.extraction_status == "ok", page.url
            assert len(ARABIC.findall(article.text)) > 100, page.url
            assert not MOJIBAKE.search(article.text + article.title), f"{page.trap}: mojibake in {article.title!r}"
            assert article.language == "ar"


def test_persian_and_english_pages_keep_their_language_and_only_english_is_classified(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    with crawled["sessions"]() as session:
        for page in manifest:
            if page.language in ("fa", "en") and page.expect == "stored":
                article = article_for(session, page.url)
                assert article is not None and article.language == page.language, page.url
                classified = session.scalar(select(Classification).where(Classification.article_id == article.id))
                assert (classified is not None) == (page.language == "en"), page.url


def test_comments_and_sidebars_are_not_article_text(crawled: dict[str, Any], demo_site: Any) -> None:
    from crawler.demo_site.model import load_content

    content = load_content(demo_site.today)
    entries = [e for e in content.entries if e.comments and e.expect == "stored"]
    assert entries
    with crawled["sessions"]() as session:
        for entry in entries:
            page = next(p for p in expected_pages(demo_site.base_url, today=demo_site.today) if p.title == entry.title and p.expect == "stored")
            article = article_for(session, page.url)
            assert article is not None
            for comment in entry.comments:
                assert comment.text not in article.text, f"a reader comment leaked into {page.url}"
        headlines = {e.title for e in content.entries if e.topic in ("core", "related")}
        for entry in (e for e in content.entries if e.trap == "sidebar"):
            page = next(p for p in expected_pages(demo_site.base_url, today=demo_site.today) if p.title == entry.title)
            article = article_for(session, page.url)
            assert article is not None and article.classification is not None
            leaked = [h for h in headlines if h in article.text]
            assert not leaked, f"sidebar headlines leaked into {page.url}: {leaked[:2]}"
            assert article.classification.label == "none", f"unrelated article beside crypto/terror sidebar flagged: {page.url}"


def test_topics_of_arabic_articles_match_the_analysts_reading(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    confusion: Counter[tuple[str, str]] = Counter()
    copies = {p.same_as for p in manifest if p.expect == "duplicate_content"}
    with crawled["sessions"]() as session:
        for page in pages(manifest, "stored", "syndicated", "malformed"):
            if page.language != "ar" or not page.topic or page.url in copies or page.trap.startswith("chrome_"):
                continue
            article = article_for(session, page.url)
            assert article is not None and article.classification is not None, page.url
            confusion[(page.topic, article.classification.label)] += 1
            if page.topic == "core":
                assert article.classification.label == "core", f"core story missed: {page.url}"
            if page.topic == "none":
                assert article.classification.label == "none", f"false alarm: {page.url}"
    assert confusion[("core", "core")] >= 5


def test_every_source_reports_what_it_listed(crawled: dict[str, Any], demo_site: Any) -> None:
    """Per-source stats feed the digest's source health: a source is judged by what it listed."""
    from crawler.sources import load_sources

    with crawled["sessions"]() as session:
        stats = crawl_run(session, crawled["first"].summary["crawl_run_id"]).stats
    for source in load_sources(crawled["sources"]):
        assert stats.get(f"raqib/source/{source.name}/links", 0) > 0, source.name
        if source.kind != "listing":
            newest = stats[f"raqib/source/{source.name}/newest_listed"]
            if source.group == "corpus":  # the chrome corpus is dated relative to the site's today
                assert date.fromisoformat(newest[:10]) >= demo_site.today - timedelta(days=3), source.name
            else:
                assert newest.startswith("2024-03"), source.name


def test_chrome_corpus_stories_are_judged_alone(crawled: dict[str, Any], manifest: list[ExpectedPage]) -> None:
    """The chrome corpus (/corpus/…): each story judged as it deserves alone, whatever its outlet's chrome
    says; pages without a story flag nothing."""
    wrong = []
    with crawled["sessions"]() as session:
        for page in manifest:
            if not page.trap.startswith("chrome_") or page.expect not in ("stored", "no_story"):
                continue
            article = article_for(session, page.url)
            label = article.classification.label if article is not None and article.classification else "none"
            if label != page.topic:
                wrong.append((page.trap, page.topic, label, page.url))
    assert not wrong, wrong
