"""Repository functions on SQLite and PostgreSQL: idempotent batched writes, aliases, content
duplicates, crawl runs, classifications, UTC datetimes and the summary counts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import exc, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage import repository as repo
from storage.db import unit_of_work
from storage.models import Article, ArticleUrl, Classification, CrawlRun, Source


def _content(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _article(
    n: int, *, source: str = "alpha", text: str | None = None, **fields: object
) -> repo.ArticleRecord:
    body = text if text is not None else f"نص الخبر رقم {n}"
    defaults: dict[str, object] = {
        "canonical_url": f"https://alpha.example/news/{n}",
        "source_name": source,
        "title": f"خبر {n}",
        "text": body,
        "language": "ar",
        "language_probability": 0.99,
        "content_hash": _content(body),
    }
    defaults.update(fields)
    return repo.ArticleRecord(**defaults)  # type: ignore[arg-type]


def _count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_upsert_sources_is_idempotent_and_updates(factory: sessionmaker[Session]) -> None:
    records = [
        repo.SourceRecord("alpha", "Alpha News", "EG", "ar", "feed"),
        repo.SourceRecord("beta", "Beta", "MA", "fr", "sitemap"),
    ]
    with unit_of_work(factory) as session:
        first = repo.upsert_sources(session, records)
    with unit_of_work(factory) as session:
        again = repo.upsert_sources(
            session, [repo.SourceRecord("alpha", "Alpha Daily", "EG", "ar", "listing")]
        )
        assert again == {"alpha": first["alpha"]}
        assert _count(session, Source) == 2
        alpha = session.get(Source, first["alpha"])
        assert (alpha.outlet, alpha.kind) == ("Alpha Daily", "listing")
    with unit_of_work(factory) as session:
        assert repo.upsert_sources(session, []) == {}


def test_store_is_idempotent(factory: sessionmaker[Session]) -> None:
    batch = [_article(n) for n in range(30)]
    with unit_of_work(factory) as session:
        run_id = repo.start_crawl_run(session, ["alpha"])
        first = repo.store_articles(session, batch, run_id)
    assert (first.inserted, first.skipped) == (30, 0)
    assert set(first.ids) == {record.url_hash for record in batch}

    with unit_of_work(factory) as session:
        second = repo.store_articles(session, batch, None)
        # the same batch with one record repeated inside it
        third = repo.store_articles(session, [*batch[:3], batch[0]], None)
    assert (second.inserted, second.skipped) == (0, 30)
    assert second.ids == first.ids
    assert (third.inserted, third.skipped) == (0, 4)

    with unit_of_work(factory) as session:
        assert _count(session, Article) == 30
        assert _count(session, ArticleUrl) == 30  # each article's own URL
        assert repo.count_articles(session, crawl_run_id=run_id) == 30
        stored = session.get(Article, first.ids[batch[5].url_hash])
        assert stored.source.name == "alpha"  # unknown source names get a bare row
        assert (stored.requested_url, stored.final_url) == (batch[5].canonical_url, batch[5].canonical_url)
        assert stored.url_hash == repo.url_hash(batch[5].canonical_url)
        assert stored.text == batch[5].text


def test_aliases_lead_to_the_stored_article(factory: sessionmaker[Session]) -> None:
    amp = "https://alpha.example/amp/news/1"
    tracked = "https://alpha.example/news/1?ref=home"
    record = _article(1, aliases=[amp, tracked], requested_url=tracked)
    with unit_of_work(factory) as session:
        result = repo.store_articles(session, [record], None)
    article_id = result.ids[record.url_hash]

    with unit_of_work(factory) as session:
        hashes = [
            repo.url_hash(u) for u in (record.canonical_url, amp, tracked, "https://alpha.example/other")
        ]
        assert repo.known_url_hashes(session, hashes) == set(hashes[:3])

        # reached again through the AMP URL as if it were canonical: nothing new is stored, the
        # alias it brings is attached to the article already there
        again = _article(1, canonical_url=amp, aliases=["https://alpha.example/m/news/1"])
        result = repo.store_articles(session, [again], None)
    assert (result.inserted, result.skipped) == (0, 1)
    assert result.ids[again.url_hash] == article_id
    with unit_of_work(factory) as session:
        assert _count(session, Article) == 1
        assert repo.known_url_hashes(session, [repo.url_hash("https://alpha.example/m/news/1")])
        urls = session.execute(select(ArticleUrl.url).where(ArticleUrl.article_id == article_id)).scalars()
        assert set(urls) == {record.canonical_url, amp, tracked, "https://alpha.example/m/news/1"}


def test_known_url_hashes_scales_to_ten_thousand(factory: sessionmaker[Session]) -> None:
    batch = [_article(n) for n in range(500)]
    with unit_of_work(factory) as session:
        assert repo.store_articles(session, batch, None).inserted == 500
    probe = [repo.url_hash(f"https://alpha.example/news/{n}") for n in range(10_000)]
    with unit_of_work(factory) as session:
        assert repo.known_url_hashes(session, probe) == set(probe[:500])


def test_content_duplicates_point_at_the_original(factory: sessionmaker[Session]) -> None:
    shared = "نص واحد نشرته صحيفتان"
    original = _article(1, text=shared)
    with unit_of_work(factory) as session:
        first = repo.store_articles(
            session, [original, _article(2, text="", extraction_status="empty")], None
        )
    # a syndicated copy on another outlet in a later crawl, and two copies of new text in one batch
    syndicated = _article(10, source="beta", canonical_url="https://beta.example/a/10", text=shared)
    pair = [_article(11, text="نص جديد"), _article(12, text="نص جديد")]
    empty_again = _article(13, text="", extraction_status="empty")
    with unit_of_work(factory) as session:
        assert repo.find_content_duplicates(session, [_content(shared), _content(""), "missing"]) == {
            _content(shared): first.ids[original.url_hash]
        }
        second = repo.store_articles(session, [syndicated, *pair, empty_again], None)
    assert second.inserted == 4
    with unit_of_work(factory) as session:

        def row(record: repo.ArticleRecord) -> Article:
            return session.get(Article, second.ids[record.url_hash])

        assert row(syndicated).extraction_status == "duplicate"
        assert row(syndicated).duplicate_of_id == first.ids[original.url_hash]
        assert (row(pair[0]).extraction_status, row(pair[0]).duplicate_of_id) == ("ok", None)
        assert (row(pair[1]).extraction_status, row(pair[1]).duplicate_of_id) == (
            "duplicate",
            row(pair[0]).id,
        )
        # failed extractions share an empty text's hash but are nobody's duplicate
        assert (row(empty_again).extraction_status, row(empty_again).duplicate_of_id) == ("empty", None)
        assert repo.counts_by_extraction_status(session) == {"duplicate": 2, "empty": 2, "ok": 2}


def test_datetimes_round_trip_as_utc(factory: sessionmaker[Session]) -> None:
    riyadh = timezone(timedelta(hours=3))
    published = datetime(2024, 3, 15, 9, 30, tzinfo=riyadh)
    fetched = datetime(2024, 3, 15, 12, 0, 5, 123456, tzinfo=UTC)
    record = _article(1, published_at=published, published_at_raw="15 مارس 2024", fetched_at=fetched)
    with unit_of_work(factory) as session:
        article_id = repo.store_articles(session, [record], None).ids[record.url_hash]
    with unit_of_work(factory) as session:
        stored = session.get(Article, article_id)
        assert stored.published_at == published
        assert stored.published_at.utcoffset() == timedelta(0)
        assert stored.published_at.hour == 6
        assert stored.fetched_at == fetched
        assert stored.published_at_raw == "15 مارس 2024"
        newer = session.execute(
            select(func.count()).where(Article.published_at > datetime(2024, 3, 15, 6, 29, tzinfo=UTC))
        ).scalar_one()
        assert newer == 1
        assert repo.count_articles(session, since=fetched) == 1
        assert repo.count_articles(session, since=fetched + timedelta(seconds=1)) == 0

    naive = _article(2, published_at=datetime(2024, 1, 1))
    with pytest.raises(exc.StatementError, match="naive datetime"):
        with unit_of_work(factory) as session:
            repo.store_articles(session, [naive], None)


def test_crawl_run_lifecycle(factory: sessionmaker[Session]) -> None:
    failure = {
        "url": "https://alpha.example/broken",
        "source": "alpha",
        "reason": "http_500",
        "detail": "500",
    }
    with unit_of_work(factory) as session:
        run_id = repo.start_crawl_run(session, ["alpha", "beta"])
    with unit_of_work(factory) as session:
        repo.record_crawl_errors(session, run_id, [failure])
        repo.record_crawl_errors(
            session, run_id, [{**failure, "url": "https://alpha.example/slow", "reason": "timeout"}]
        )
    started = datetime(2024, 1, 1, tzinfo=UTC)
    with unit_of_work(factory) as session:
        repo.finish_crawl_run(
            session,
            run_id,
            status="finished",
            stats={"start_time": started, "raqib/language/ar": 3, "odd": object.__name__},
            errors=[failure, {**failure, "url": "https://alpha.example/gone", "reason": "http_404"}],
            pages_fetched=7,
            articles_stored=3,
        )
    with unit_of_work(factory) as session:
        run = session.get(CrawlRun, run_id)
        assert run.sources == "alpha,beta"
        assert run.status == "finished" and run.finished_at is not None and run.finished_at >= run.started_at
        assert (run.pages_fetched, run.articles_stored) == (7, 3)
        assert run.stats == {"start_time": started.isoformat(), "raqib/language/ar": 3, "odd": "object"}
        assert [error["reason"] for error in run.errors] == ["http_500", "timeout", "http_404"]
        assert repo.failure_reasons(session, run_id) == {"http_500": 1, "timeout": 1, "http_404": 1}
    with pytest.raises(LookupError):
        with unit_of_work(factory) as session:
            repo.finish_crawl_run(session, run_id + 1000, status="failed")


def _decision(label: str, version: str = "v1") -> repo.ClassificationRecord:
    return repo.ClassificationRecord(
        label=label,
        score=2.5,
        rules=["crypto_and_terror_financing"],
        matches=[{"concept": "crypto", "term": "بيتكوين", "start": 0, "end": 7, "text": "بيتكوين"}],
        snippets=["[بيتكوين] ..."],
        rules_version=version,
    )


def test_classifications(factory: sessionmaker[Session]) -> None:
    records = [
        _article(1, classification=_decision("core")),
        _article(2),
        _article(3, language="fa"),
        _article(4, text="", extraction_status="empty"),
        _article(5, language="en", classification=_decision("none", "v0")),
    ]
    with unit_of_work(factory) as session:
        ids = repo.store_articles(session, records, None).ids
    first, second, persian, _empty, english = (ids[r.url_hash] for r in records)
    with unit_of_work(factory) as session:
        stored = session.execute(
            select(Classification).where(Classification.article_id == first)
        ).scalar_one()
        assert (stored.label, stored.rules_version, stored.matches[0]["term"]) == ("core", "v1", "بيتكوين")
        pending = repo.articles_needing_classification(session, "v1", languages=["ar", "en"])
        assert [p.id for p in pending] == sorted([second, english])  # by id, the pagination key
        assert (second, "خبر 2", "نص الخبر رقم 2", "ar") in pending
        assert repo.count_needing_classification(session, "v1", languages=["ar", "en"]) == 2
        # keyset pagination
        page = repo.articles_needing_classification(session, "v1", languages=["ar", "en"], limit=1)
        assert [p.id for p in page] == [min(second, english)]
        rest = repo.articles_needing_classification(
            session, "v1", languages=["ar", "en"], after_id=page[0].id
        )
        assert [p.id for p in rest] == [max(second, english)]
        # without a language filter, the Persian page is stale too (the failed extraction never is)
        assert {p.id for p in repo.articles_needing_classification(session, "v1")} == {
            second,
            persian,
            english,
        }
        assert repo.current_labels(session, [first, second, english]) == {first: "core", english: "none"}

    with unit_of_work(factory) as session:
        repo.save_classification(session, second, _decision("related"))
        repo.save_classification(session, english, _decision("core"))  # replaces the v0 row
        repo.save_classification(session, english, _decision("core"))  # and again: still one row
    with unit_of_work(factory) as session:
        assert repo.articles_needing_classification(session, "v1", languages=["ar", "en"]) == []
        assert _count(session, Classification) == 3
        assert repo.counts_by_label(session) == {"core": 2, "related": 1}
        assert repo.count_articles(session, label="core") == 2
        assert repo.count_articles(session, label="core", language="en") == 1


def test_classification_record_from_decision() -> None:
    class Decision:
        def to_dict(self) -> dict[str, object]:
            return {
                "label": "related",
                "score": 1,
                "rules": ("r1",),
                "matches": [{"concept": "crypto", "term": "USDT", "start": 3, "end": 7, "text": "USDT"}],
                "snippets": ["… USDT …"],
                "rules_version": "abc",
            }

    record = repo.ClassificationRecord.from_decision(Decision())
    assert record == repo.ClassificationRecord(
        "related", 1.0, ["r1"], Decision().to_dict()["matches"], ["… USDT …"], "abc"
    )


def test_summary_counts(factory: sessionmaker[Session]) -> None:
    records = [
        _article(1, classification=_decision("core")),
        _article(2, classification=_decision("none")),
        _article(3, language="en"),
        _article(4, text="", extraction_status="not_html", language=""),
    ]
    with unit_of_work(factory) as session:
        run_id = repo.start_crawl_run(session, ["alpha"])
        repo.store_articles(session, records, run_id)
        repo.store_articles(session, [_article(9, language="fr")], None)
    with unit_of_work(factory) as session:
        summary = repo.summarize(session, crawl_run_id=run_id)
        assert summary == repo.StorageSummary(
            articles=4,
            by_language={"ar": 2, "en": 1},
            by_label={"core": 1, "none": 1},
            by_extraction_status={"not_html": 1, "ok": 3},
        )
        assert repo.summarize(session).by_language == {"ar": 2, "en": 1, "fr": 1}
        assert repo.count_articles(session, extraction_status="ok", language="ar") == 2


def test_spiders_of_one_run_add_up(factory: sessionmaker[Session]) -> None:
    """Several spiders of one `raqib crawl` report into one run: counters add, errors append."""
    with unit_of_work(factory) as session:
        run_id = repo.start_crawl_run(session, ["a", "b"])
    reports = [
        (
            {
                "raqib/store/inserted": 3,
                "finish_reason": "finished",
                "start_time": datetime(2026, 1, 1, tzinfo=UTC),
            },
            [{"url": "u1", "source": "a", "reason": "http_404"}],
            4,
            3,
        ),
        (
            {"raqib/store/inserted": 2, "raqib/source/b/links": 7, "finish_reason": "finished"},
            [{"url": "u2", "source": "b", "reason": "timeout"}],
            2,
            2,
        ),
    ]
    for stats, errors, pages, stored in reports:
        with unit_of_work(factory) as session:
            repo.add_crawl_results(
                session, run_id, stats=stats, errors=errors, pages_fetched=pages, articles_stored=stored
            )
    with factory() as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        assert run.stats["raqib/store/inserted"] == 5 and run.stats["raqib/source/b/links"] == 7
        assert run.stats["start_time"] == "2026-01-01T00:00:00+00:00"
        assert [e["reason"] for e in run.errors] == ["http_404", "timeout"]
        assert (run.pages_fetched, run.articles_stored, run.status) == (6, 5, "running")
