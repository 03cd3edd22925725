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
    from classifiers import load_classifier

    url = f"sqlite:///{tmp_path / 'web.sqlite'}"
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
