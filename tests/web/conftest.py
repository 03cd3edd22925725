"""A small archive for the workspace's tests: Arabic stories (two core, one with a hostile title; one
related; one none), classified by the real classifier, and users of each role, in a SQLite file migrated to head."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import db
from storage import repository as repo
from storage.users import add_user

PASSWORD = "kalimat-sirr-2026"
NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
HOSTILE_TITLE = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> تمويل الإرهاب بالبيتكوين'
)

STORIES = [
    # (key, source, outlet, title, text)
    (
        "seizure",
        "wire-one",
        "وكالة الأنباء الأولى",
        "ضبط محافظ بيتكوين لتمويل تنظيم داعش",
        "أعلنت السلطات ضبط محافظ بيتكوين استخدمت في تمويل الإرهاب لصالح تنظيم داعش.\n"
        "وقال المحققون إن التبرعات بالعملات المشفرة وصلت إلى التنظيم عبر منصات تداول.",
    ),
    (
        "hostile",
        "wire-two",
        "صحيفة المساء",
        HOSTILE_TITLE,
        "كشف تقرير عن تمويل الإرهاب بالعملات المشفرة، إذ جمعت جماعة مسلحة تبرعات بالبيتكوين.\n"
        "وطالبت مجموعة العمل المالي بمراقبة منصات الأصول الافتراضية.",
    ),
    (
        "warning",
        "wire-two",
        "صحيفة المساء",
        "البنك المركزي يحذر من العملات المشفرة",
        "حذر البنك المركزي من تداول العملات المشفرة، ودعا إلى تنظيم منصات الأصول الافتراضية لمكافحة غسل الأموال.",
    ),
    (
        "weather",
        "wire-one",
        "وكالة الأنباء الأولى",
        "أمطار غزيرة على السواحل",
        "تتوقع الأرصاد أمطارا غزيرة ورياحا قوية على السواحل الشمالية خلال الأيام المقبلة.",
    ),
]


@pytest.fixture
def archive(tmp_path: Path) -> dict[str, object]:
    """URL of a seeded SQLite database and the stories' ids by key."""
    return seed(f"sqlite:///{tmp_path / 'web.sqlite'}")


@pytest.fixture
def pg_archive(pg_schema_url: str) -> dict[str, object]:
    """The same archive in a fresh schema on the real PostgreSQL."""
    return seed(pg_schema_url)


def seed(url: str) -> dict[str, object]:
    """Migrate the database at ``url`` and store STORIES (classified) and one user of each role."""
    from classifiers import load_classifier

    db.upgrade(url)
    engine = db.make_engine(url)
    classifier = load_classifier()
    records = []
    for n, (key, source, outlet, title, text) in enumerate(STORIES):
        decision = classifier.classify(text, title=title, language="ar")
        record = repo.ArticleRecord(
            canonical_url=f"https://news.example/{key}",
            requested_url=f"https://news.example/{key}?utm_source=feed",
            source_name=source,
            title=title,
            text=text,
            sitename=outlet,
            language="ar",
            published_at=NOW - timedelta(hours=n + 1),
            date_confidence="high",
            classification=repo.ClassificationRecord.from_decision(decision, classifier.rules_version),
        )
        records.append(record)
    factory = db.session_factory(engine)
    with db.unit_of_work(factory) as session:
        repo.upsert_sources(
            session,
            [
                repo.SourceRecord("wire-one", "وكالة الأنباء الأولى", "MA", "ar", "feed"),
                repo.SourceRecord("wire-two", "صحيفة المساء", "EG", "ar", "feed"),
            ],
        )
        ids = repo.store_articles(session, records).ids
        for name, role in (("rev", "reviewer"), ("view", "viewer"), ("boss", "admin")):
            add_user(session, name, role, PASSWORD)
    engine.dispose()
    by_key = {key: ids[repo.url_hash(f"https://news.example/{key}")] for key, *_ in STORIES}
    return {"url": url, "ids": by_key}


# A copy of "seizure" in a third outlet (another country), under a dateline and a reworded headline,
# half an hour newer; and an English story from that outlet.
COPY = (
    "copy",
    "السلطات تضبط محافظ بيتكوين لتمويل تنظيم داعش",
    "عمّان (وكالات) - أعلنت السلطات ضبط محافظ بيتكوين استخدمت في تمويل الإرهاب لصالح تنظيم داعش.\n"
    "وقال المحققون إن التبرعات بالعملات المشفرة وصلت إلى التنظيم عبر منصات تداول.",
    "ar",
    timedelta(minutes=30),
)
ENGLISH = (
    "english",
    "Police seize bitcoin wallets that financed the Islamic State",
    "Police said they seized bitcoin wallets used for terrorist financing on behalf of the Islamic "
    "State group.\nInvestigators said the cryptocurrency donations reached the terrorist organisation "
    "through exchanges.",
    "en",
    timedelta(hours=6),
)


def add_third_outlet(archive: dict[str, object]) -> dict[str, int]:
    """Store COPY and ENGLISH under the source wire-three (country JO), classified by the real
    classifier; their ids by key are added to ``archive["ids"]`` and returned."""
    from classifiers import load_classifier

    classifier = load_classifier()
    records = [
        repo.ArticleRecord(
            canonical_url=f"https://three.example/{key}",
            requested_url=f"https://three.example/{key}",
            source_name="wire-three",
            title=title,
            text=text,
            sitename="أخبار الثالثة",
            language=language,
            published_at=NOW - age,
            date_confidence="high",
            classification=repo.ClassificationRecord.from_decision(
                classifier.classify(text, title=title, language=language), classifier.rules_version
            ),
        )
        for key, title, text, language, age in (COPY, ENGLISH)
    ]
    engine = db.make_engine(str(archive["url"]))
    with db.unit_of_work(db.session_factory(engine)) as session:
        repo.upsert_sources(session, [repo.SourceRecord("wire-three", "أخبار الثالثة", "JO", "ar", "feed")])
        ids = repo.store_articles(session, records).ids
    engine.dispose()
    added = {key: ids[repo.url_hash(f"https://three.example/{key}")] for key, *_ in (COPY, ENGLISH)}
    archive["ids"].update(added)  # type: ignore[union-attr]
    return added
