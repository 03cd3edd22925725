"""Conditional GET: the real spiders poll the bundled site's feeds, sitemaps and section pages with the
validators their last clean parse stored, and a 304 is "nothing new" (no parse, no article request).

Four `raqib crawl` runs of five sources (each kind, the broken feed, a feed listing a 500) into one SQLite file:
first, unchanged, after the site published a story in one feed, and with conditional GET turned off.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.demo_site import DemoSite, RequestRecord, expected_pages
from crawler.demo_site.model import Entry
from storage.db import make_engine, session_factory
from storage.polls import poll_rows
from tests.crawl.conftest import article_for, crawl_run, run_raqib_crawl

SOURCES = ["demo-sada-rss", "demo-sada-atom", "demo-nile-breaking", "demo-nile-sitemap", "demo-sada-sections"]
BROKEN_FEED = "/nile/rss-breaking.xml"
SITEMAP_INDEX = "/nile/sitemap-index.xml"  # fetched in full every time: its children may change under it
ATOM = "/sada/atom.xml"  # lists a story answering 500: fetched in full again, so that story is retried
IN_FULL = (BROKEN_FEED, SITEMAP_INDEX, ATOM)
NEW_STORY = Entry(
    id="poll-new-story",
    outlet="sada",
    section="economy",
    published=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
    slug="virtual-asset-providers-register-deadline",
    title="هيئة الرقابة تمهل مزودي خدمات الأصول الافتراضية شهرين لاستكمال التسجيل",
    text=(
        "دبي – أمهلت هيئة الرقابة المالية مزودي خدمات الأصول الافتراضية العاملين في الدولة شهرين لاستكمال "
        "إجراءات التسجيل وتقديم سياساتهم في مكافحة غسل الأموال وتمويل الإرهاب، بعد أن رصدت منصات تعمل من دون "
        "ترخيص وتستقبل تحويلات من حسابات خارجية.\n"
        "وقالت الهيئة في بيان إن على المنصات تعيين مسؤول امتثال مقيم، والاحتفاظ بسجلات المعاملات خمس سنوات "
        "على الأقل، والإبلاغ عن أي عملية مشبوهة إلى وحدة المعلومات المالية خلال يومين من اكتشافها.\n"
        "وأضافت أن المنصات التي لا تستكمل التسجيل في المهلة المحددة ستُدرج على قائمة الجهات غير المرخصة، "
        "وستُبلغ المصارف بوقف التعامل معها، في خطوة قالت إنها تنسجم مع توصيات مجموعة العمل المالي."
    ),
    topic="core",
    listed_in=("rss",),
)


@dataclass(frozen=True)
class PollRow:
    url: str
    source: str
    etag: str | None
    last_modified: str | None
    last_status: int
    listed: int

    @property
    def path(self) -> str:
        return "/" + self.url.split("://", 1)[1].split("/", 1)[1]


def _polled(path: str) -> bool:
    """What the site serves with validators (its feeds, sitemaps and section pages)."""
    path = path.split("?")[0]
    return path.endswith((".xml", ".json")) or "/section/" in path


def _conditional(record: RequestRecord) -> bool:
    return bool(record.if_none_match or record.if_modified_since)


@pytest.fixture(scope="module")
def polls(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("polls")
    sources = demo_site.write_sources(tmp / "sources.yaml", download_timeout=1.5)
    db_url = f"sqlite:///{tmp / 'raqib.sqlite'}"
    selected = [arg for name in SOURCES for arg in ("--source", name)]
    engine = make_engine(db_url)
    out: dict[str, Any] = {"db_url": db_url, "sessions": session_factory(engine)}

    def crawl(label: str, *extra: str) -> None:
        demo_site.reset_requests()
        result = run_raqib_crawl(Path(sources), db_url, *selected, *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        out[label] = result.summary
        out[label + "_requests"] = list(demo_site.requests)
        with out["sessions"]() as session:  # the poll rows as this crawl left them
            out[label + "_rows"] = [
                PollRow(r.url, r.source, r.etag, r.last_modified, r.last_status, r.listed) for r in poll_rows(session)
            ]

    crawl("first")
    crawl("second")
    out["new_url"] = demo_site.publish(NEW_STORY)
    crawl("changed")
    crawl("unconditional", "-s", "RAQIB_CONDITIONAL_GET=False")
    yield out
    engine.dispose()


def _stats(polls: dict[str, Any], label: str) -> dict[str, Any]:
    with polls["sessions"]() as session:
        return dict(crawl_run(session, polls[label]["crawl_run_id"]).stats)


def test_the_first_crawl_stores_validators_of_cleanly_parsed_pages_only(
    polls: dict[str, Any], demo_site: DemoSite
) -> None:
    first = polls["first_requests"]
    assert first and not any(_conditional(r) for r in first), "nothing was stored before the first crawl"
    polled = {r.path for r in first if _polled(r.path) and r.status == 200}
    assert {BROKEN_FEED, SITEMAP_INDEX, "/sada/rss.xml", "/nile/sitemaps/news-1.xml", "/sada/section/economy"} <= polled
    # The site sends validators with the broken feed too: the crawler must not keep them.
    with urllib.request.urlopen(demo_site.base_url + BROKEN_FEED, timeout=10) as response:
        assert response.headers["ETag"] and response.headers["Last-Modified"]
    rows = {r.path: r for r in polls["first_rows"]}
    assert set(rows) == polled
    for path, row in rows.items():
        if path in IN_FULL:
            assert row.etag is None and row.last_modified is None, f"{path} must be fetched in full next time"
        else:
            assert row.etag and row.etag.startswith('"') and row.last_modified, path
            assert row.listed > 0 and row.last_status == 200, path
    stats = _stats(polls, "first")
    assert stats["raqib/poll/requests"] == len([r for r in first if _polled(r.path)])
    assert stats.get("raqib/poll/not_modified", 0) == 0
    assert stats["raqib/poll/new_articles"] > 0


def test_an_unchanged_site_answers_304_to_every_poll_and_nothing_is_parsed_or_fetched(
    polls: dict[str, Any], demo_site: DemoSite
) -> None:
    second = polls["second_requests"]
    polled = [r for r in second if _polled(r.path)]
    conditional = [r for r in polled if r.path not in IN_FULL]
    assert conditional and all(_conditional(r) for r in conditional), [r.path for r in conditional if not _conditional(r)]
    assert all(r.if_none_match and r.if_modified_since for r in conditional)
    assert all(r.status == 304 for r in conditional), [(r.path, r.status) for r in conditional]
    # An unchanged first section page ends the poll of its section: later pages are not asked for.
    assert not [r.path for r in conditional if "page=" in r.path]
    # The broken feed (never remembered), the sitemap index and the feed whose story failed with a 500
    # are fetched in full, unconditionally.
    full = {r.path: r for r in polled if r.path in IN_FULL}
    assert set(full) == set(IN_FULL)
    assert not any(_conditional(r) for r in full.values()) and {r.status for r in full.values()} == {200}

    # No article page but the one that failed with a 500, asked again: the pages answering 304 were not
    # parsed, and the links of those fetched in full are stored.
    [failed] = [p.path for p in expected_pages(demo_site.base_url, today=demo_site.today) if p.expect == "http_500"]
    others = {r.path for r in second if not _polled(r.path)} - {"/robots.txt"}
    assert others == {failed}
    summary = polls["second"]
    assert summary["pages_fetched"] == 0 and summary["articles_stored"] == 0
    assert "http_304" not in summary["failures"] and not any("304" in k for k in summary["failures"])

    stats = _stats(polls, "second")
    assert stats["raqib/poll/requests"] == len(polled)
    assert stats["raqib/poll/conditional"] == len(conditional)
    assert stats["raqib/poll/not_modified"] == len(conditional) == stats["downloader/response_status_count/304"]
    assert stats.get("raqib/poll/new_articles", 0) == 1  # the story that failed
    # Parsed: the pages fetched in full, nothing else.
    parsed = {k: v for k, v in stats.items() if k.startswith(("raqib/feed/", "raqib/sitemap/", "raqib/listing/"))}
    assert parsed == {"raqib/feed/rss": 1, "raqib/feed/atom": 1, "raqib/sitemap/sitemapindex": 1}, parsed
    # An unchanged page still lists what it listed: source health keeps seeing the source alive.
    assert stats["raqib/source/demo-sada-sections/not_modified"] == len([r for r in conditional if "/section/" in r.path])
    first = _stats(polls, "first")
    assert stats["raqib/source/demo-sada-rss/links"] == first["raqib/source/demo-sada-rss/links"]
    assert stats["raqib/source/demo-sada-rss/newest_listed"] == first["raqib/source/demo-sada-rss/newest_listed"]
    # A section's later pages were not polled: its first pages' listings are reported again.
    first_pages = [r.listed for r in polls["second_rows"] if r.source == "demo-sada-sections" and "page=" not in r.url]
    assert 0 < stats["raqib/source/demo-sada-sections/links"] == sum(first_pages)
    with polls["sessions"]() as session:
        run = crawl_run(session, polls["second"]["crawl_run_id"])
        assert not [e for e in run.errors if "304" in e["reason"] or "not modified" in e["detail"]]
    # A 304 keeps the validators it confirmed, and notes the poll.
    before = {r.url: r for r in polls["first_rows"]}
    for row in polls["second_rows"]:
        if row.path in {r.path for r in conditional}:
            assert row.last_status == 304 and (row.etag, row.last_modified) == (before[row.url].etag, before[row.url].last_modified)


def test_a_feed_that_changed_is_fetched_in_full_and_its_new_story_is_stored(
    polls: dict[str, Any], demo_site: DemoSite
) -> None:
    changed = polls["changed_requests"]
    [feed] = [r for r in changed if r.path == "/sada/rss.xml"]
    assert _conditional(feed) and feed.status == 200
    others = [r for r in changed if _polled(r.path) and r.path not in ("/sada/rss.xml", *IN_FULL)]
    assert others and {r.status for r in others} == {304}
    new_path = polls["new_url"].split(":", 2)[2].split("/", 1)[1]
    assert [r.status for r in changed if r.path == "/" + new_path] == [200]
    assert polls["changed"]["articles_stored"] == 1
    stats = _stats(polls, "changed")
    with polls["sessions"]() as session:
        # New: the story, and the feed's links that were never stored (failed, refused): only the
        # changed feed was parsed.
        manifest = expected_pages(demo_site.base_url, today=demo_site.today)
        unstored = {
            p.url for p in manifest
            if {"demo-sada-rss", "demo-sada-atom"} & set(p.sources) and article_for(session, p.url) is None
        }
        assert stats["raqib/poll/new_articles"] == 1 + len(unstored)
    assert stats["raqib/poll/not_modified"] == len(others)
    with polls["sessions"]() as session:
        article = article_for(session, polls["new_url"])
        assert article is not None and article.extraction_status == "ok" and article.title == NEW_STORY.title
    [row] = [r for r in polls["changed_rows"] if r.source == "demo-sada-rss"]
    assert row.last_status == 200 and row.etag and row.etag != feed.if_none_match, "the new ETag is stored"


def test_turned_off_every_poll_is_a_full_fetch(polls: dict[str, Any]) -> None:
    requests = polls["unconditional_requests"]
    polled = [r for r in requests if _polled(r.path)]
    assert polled and not any(_conditional(r) for r in polled) and {r.status for r in polled} == {200}
    assert polls["unconditional"]["articles_stored"] == 0 and polls["unconditional"]["pages_fetched"] == 0
    stats = _stats(polls, "unconditional")
    assert stats["raqib/poll/requests"] == len(polled) and stats.get("raqib/poll/conditional", 0) == 0
