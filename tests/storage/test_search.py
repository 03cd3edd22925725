"""Arabic-aware search over every stored article, on SQLite (FTS5) and PostgreSQL (full-text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from storage import db, search, search_words
from storage import repository as repo
from storage.reviews import add_review

NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)

ARTICLES = [
    # key, source, title, text, label, rules, concepts
    (
        "terror",
        "wire-one",
        "تقرير عن الإرهاب",
        "قالت الحكومة إن الإرهاب يهدد المنطقة.",
        "related",
        ["terror_rule"],
        ["terror"],
    ),
    (
        "coin",
        "wire-two",
        "تبرعات بالبيتكوين",
        "جمعت الجماعة تبرعات بالبيتكوين عبر منصات تداول.",
        "none",
        [],
        [],
    ),
    (
        "money",
        "wire-one",
        "تقرير مالي",
        "أعلن البنك عن تمويلٌ جديد للمشاريع الصغيرة.",
        "core",
        ["money_rule"],
        ["money"],
    ),
    ("rain", "wire-two", "أمطار غزيرة", "تتوقع الأرصاد أمطارا غزيرة على السواحل.", None, [], []),
]


def _store(factory: sessionmaker[Session]) -> dict[str, int]:
    records = []
    for n, (key, source, title, body, label, rules, concepts) in enumerate(ARTICLES):
        classification = (
            repo.ClassificationRecord(
                label=label,
                score=1.0,
                rules=rules,
                matches=[{"concept": c, "term": c, "start": 0, "end": 1} for c in concepts],
                snippets=[],
                rules_version="test",
            )
            if label
            else None
        )
        records.append(
            repo.ArticleRecord(
                canonical_url=f"https://news.example/{key}",
                requested_url=f"https://news.example/{key}",
                source_name=source,
                title=title,
                text=body,
                language="ar",
                published_at=NOW - timedelta(days=n * 3),
                date_confidence="high",
                classification=classification,
            )
        )
    with db.unit_of_work(factory) as session:
        ids = repo.store_articles(session, records).ids
    return {key: ids[repo.url_hash(f"https://news.example/{key}")] for key, *_ in ARTICLES}


def _ids(factory: sessionmaker[Session], query: str, **filters: object) -> set[int]:
    with db.unit_of_work(factory) as session:
        results = search.search(session, query, search.Filters(**filters), now=NOW)  # type: ignore[arg-type]
    return {hit.id for hit in results.hits}


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("والارهاب", "terror"),  # clitic + no hamza finds «الإرهاب»
        ("إرهاب", "terror"),
        ("الإرهابُ", "terror"),  # diacritic
        ("بيتكوين", "coin"),  # bare form finds «بالبيتكوين»
        ("وبالبيتكوين", "coin"),
        ("تمويل", "money"),  # finds «تمويلٌ»
        ("تمويلٌ", "money"),
        ("للتمويل", "money"),
        ("الحكومة الارهاب", "terror"),  # every word must match
    ],
)
def test_arabic_variants_find_each_other(factory: sessionmaker[Session], query: str, key: str) -> None:
    ids = _store(factory)
    assert _ids(factory, query) == {ids[key]}


def test_no_false_hits(factory: sessionmaker[Session]) -> None:
    _store(factory)
    assert _ids(factory, "اقتصاد") == set()
    assert _ids(factory, "الإرهاب أمطار") == set()  # both words needed
    assert _ids(factory, "رهاب") == set()  # not a word buried in another


def test_filters_concept_and_snippets(factory: sessionmaker[Session]) -> None:
    ids = _store(factory)
    assert _ids(factory, "تقرير") == {ids["terror"], ids["money"]}
    assert _ids(factory, "تقرير", label="core") == {ids["money"]}
    assert _ids(factory, "تقرير", outlet="wire-one") == {ids["terror"], ids["money"]}
    assert _ids(factory, "غزيرة", label="none") == {ids["rain"]}  # unclassified counts as none
    assert _ids(factory, "غزيرة", days=3) == set()
    assert _ids(factory, "", concept="terror_rule") == {ids["terror"]}
    assert _ids(factory, "", concept="money") == {ids["money"]}
    assert _ids(factory, "تقرير", concept="terror") == {ids["terror"]}
    with db.unit_of_work(factory) as session:
        results = search.search(session, "بيتكوين", now=NOW)
    (hit,) = results.hits
    assert [p["text"] for p in hit.snippet if p["mark"]] == ["بالبيتكوين"]
    assert [p["text"] for p in hit.title_pieces if p["mark"]] == ["بالبيتكوين"]
    assert "".join(p["text"] for p in hit.snippet) == ARTICLES[1][3]


def _store_more(factory: sessionmaker[Session], ids: dict[str, int]) -> None:
    """The sources' countries, an English article from a third outlet (core, by money_rule, nobody
    reviewed it) and reviews: terror relevant; money relevant, then a false alarm (the latest counts);
    coin, never flagged, missed."""
    english = repo.ArticleRecord(
        canonical_url="https://three.example/english",
        requested_url="https://three.example/english",
        source_name="wire-three",
        title="Report on bitcoin donations",
        text="A group raised bitcoin donations through exchanges, the report said.",
        language="en",
        published_at=NOW - timedelta(days=1),
        date_confidence="high",
        classification=repo.ClassificationRecord(
            label="core",
            score=1.0,
            rules=["money_rule"],
            matches=[{"concept": "money", "term": "money", "start": 0, "end": 1}],
            snippets=[],
            rules_version="test",
        ),
    )
    with db.unit_of_work(factory) as session:
        repo.upsert_sources(
            session,
            [
                repo.SourceRecord("wire-one", "وكالة أولى", "MA"),
                repo.SourceRecord("wire-two", "صحيفة ثانية", "EG"),
                repo.SourceRecord("wire-three", "نشرة ثالثة", "JO", "en"),
            ],
        )
        stored = repo.store_articles(session, [english]).ids
        ids["english"] = stored[repo.url_hash("https://three.example/english")]
        add_review(session, ids["terror"], "relevant", "amina", now=NOW)
        add_review(session, ids["money"], "relevant", "amina", now=NOW - timedelta(hours=2))
        add_review(session, ids["money"], "false_alarm", "omar", reason="off_topic", now=NOW)
        add_review(session, ids["coin"], "missed", "amina", label="related", now=NOW)


def test_country_language_and_review_state(factory: sessionmaker[Session]) -> None:
    ids = _store(factory)
    _store_more(factory, ids)
    # Country: the source's.
    assert _ids(factory, "تقرير", country="MA") == {ids["terror"], ids["money"]}
    assert _ids(factory, "تقرير", country="EG") == set()
    assert _ids(factory, "غزيرة", country="EG") == {ids["rain"]}
    assert _ids(factory, "", concept="money_rule", country="JO") == {ids["english"]}
    # Language: the article's, not its source's.
    assert _ids(factory, "", concept="money_rule") == {ids["money"], ids["english"]}
    assert _ids(factory, "", concept="money_rule", language="ar") == {ids["money"]}
    assert _ids(factory, "bitcoin", language="en") == {ids["english"]}
    assert _ids(factory, "bitcoin", language="ar") == set()
    # Review state as the inbox means it: awaiting is flagged and unreviewed; a verdict is the latest.
    assert _ids(factory, "", concept="money_rule", state="awaiting") == {ids["english"]}
    assert _ids(factory, "تقرير", state="awaiting") == set()
    assert _ids(factory, "تقرير", state="reviewed") == {ids["terror"], ids["money"]}
    assert _ids(factory, "تقرير", state="relevant") == {ids["terror"]}
    assert _ids(factory, "تقرير", state="false_alarm") == {ids["money"]}
    assert _ids(factory, "بيتكوين", state="missed") == {ids["coin"]}
    assert _ids(factory, "غزيرة", state="reviewed") == set()
    # Together, and with the older filters.
    assert _ids(factory, "تقرير", country="MA", language="ar", state="relevant", label="related") == {
        ids["terror"]
    }
    assert _ids(factory, "تقرير", country="MA", state="relevant", label="core") == set()
    with db.unit_of_work(factory) as session:
        results = search.search(session, "تقرير", search.Filters(state="reviewed"), now=NOW)
        assert results.total == 2 and results.pages == 1
        with pytest.raises(ValueError, match="not a review state"):
            search.search(session, "تقرير", search.Filters(state="pending"), now=NOW)


def test_bad_queries_are_bounded(factory: sessionmaker[Session]) -> None:
    _store(factory)
    with db.unit_of_work(factory) as session:
        assert search.search(session, "!!! ؟؟ ...").note == "empty"
        assert search.search(session, "تمويل", search.Filters(concept="إرهاب' OR 1")).note == "bad_concept"
        long = search.search(session, "تمويل " * 5000, now=NOW)
    assert long.note == "shortened" and long.total == 1


def test_reindex_rebuilds(factory: sessionmaker[Session]) -> None:
    ids = _store(factory)
    with db.unit_of_work(factory) as session:
        session.execute(text("DELETE FROM article_search"))
    assert _ids(factory, "تمويل") == set()
    with db.unit_of_work(factory) as session:
        assert search.reindex(session) == len(ARTICLES)
    assert _ids(factory, "تمويل") == {ids["money"]}


def test_migration_backfills_existing_articles(empty_url: str) -> None:
    db.upgrade(empty_url, "0005_reviews_users")
    engine = db.make_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO articles (url_hash, canonical_url, requested_url, final_url, http_status,"
                    " title, text, summary, author, sitename, published_at_raw, date_confidence, fetched_at,"
                    " encoding, language, language_probability, content_hash, extraction_status,"
                    " extraction_error) VALUES ('h', 'u', 'u', 'u', 200, 'عنوان', 'تمويل الإرهاب', '', '',"
                    " '', '', 'none', :now, '', 'ar', 1.0, '', 'ok', '')"
                ),
                {"now": NOW},
            )
        db.upgrade(engine)
        factory = db.session_factory(engine)
        assert len(_ids(factory, "والارهاب")) == 1
    finally:
        engine.dispose()


def test_proclitics_are_the_arabic_packs() -> None:
    from classifiers.loader import load_ruleset

    morphology = load_ruleset().packs["ar"].morphology
    assert set(search_words.PROCLITICS_RAW) == set(morphology.proclitics)
    assert set(search_words.PROTECTED_RAW) == set(morphology.protected)


def test_raqib_db_reindex(
    db_url: str, factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    import cli

    ids = _store(factory)
    with db.unit_of_work(factory) as session:
        session.execute(text("DELETE FROM article_search"))
    assert cli.main(["db", "reindex", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == f"search index rebuilt: {len(ARTICLES)} articles"
    assert _ids(factory, "والارهاب") == {ids["terror"]}
