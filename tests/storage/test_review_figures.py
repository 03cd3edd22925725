"""The inbox's review figures from aggregate SQL (storage.reviews.figures, awaiting_review) equal what
the per-row computations give: report()'s n, flagged and core (``raqib eval --reviews``), and the
flagged articles without any review counted one by one. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import repository as repo
from storage import reviews
from storage.db import unit_of_work
from storage.models import Classification, Review

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# (key, stored label or None when never classified)
ARTICLES = [
    ("core-a", "core"),
    ("core-b", "core"),
    ("core-c", "core"),
    ("related-a", "related"),
    ("related-b", "related"),
    ("related-c", "related"),
    ("none-a", "none"),
    ("none-b", "none"),
    ("unclassified", None),
]


def _store(factory: sessionmaker[Session]) -> dict[str, int]:
    records = [
        repo.ArticleRecord(
            canonical_url=f"https://akhbar.example/{key}",
            source_name="wire",
            title=f"خبر تجريبي {key}",
            text=f"نص تجريبي عن {key} كتب لهذا الاختبار",
            language="ar",
            classification=None
            if label is None
            else repo.ClassificationRecord(label=label, score=1.0, rules_version="v1"),
        )
        for key, label in ARTICLES
    ]
    with unit_of_work(factory) as session:
        result = repo.store_articles(session, records)
    return {key: result.ids[repo.url_hash(f"https://akhbar.example/{key}")] for key, _ in ARTICLES}


def _review(session: Session, article_id: int, verdict: str, who: str, minutes: int, **extra: str) -> None:
    reviews.add_review(session, article_id, verdict, who, now=T0 + timedelta(minutes=minutes), **extra)


def _awaiting_row_by_row(session: Session) -> int:
    flagged = set(
        session.scalars(
            select(Classification.article_id).where(Classification.label.in_(("core", "related")))
        )
    )
    reviewed = set(session.scalars(select(Review.article_id)))
    return len(flagged - reviewed)


def _assert_same(session: Session) -> None:
    full = reviews.report(session)
    quick = reviews.figures(session)
    assert (quick.n, quick.flagged, quick.core) == (full["n"], full["flagged"], full["core"])
    assert reviews.awaiting_review(session) == _awaiting_row_by_row(session)


def test_figures_and_awaiting_equal_the_row_by_row_report(factory: sessionmaker[Session]) -> None:
    ids = _store(factory)
    with unit_of_work(factory) as session:
        assert reviews.figures(session).n == 0
        _assert_same(session)
        _review(session, ids["core-a"], "relevant", "amina", 0)
        _review(session, ids["core-b"], "false_alarm", "amina", 0, reason="off_topic")
        # Superseded by a later verdict of another reviewer: only the latest counts.
        _review(session, ids["core-c"], "false_alarm", "amina", 0, reason="page_chrome")
        _review(session, ids["core-c"], "relevant", "omar", 5)
        # Vouched for as core though stored as related: a core miss, a flagged hit.
        _review(session, ids["related-a"], "relevant", "amina", 0, label="core")
        _review(session, ids["related-b"], "false_alarm", "omar", 0, reason="false_friend")
        _review(session, ids["none-a"], "missed", "amina", 0, label="core")
        _review(session, ids["none-b"], "missed", "amina", 0, label="related")
        _review(session, ids["unclassified"], "missed", "omar", 0, label="related")
        # Two reviews at the same moment: the later id is the verdict, as in report().
        _review(session, ids["related-c"], "relevant", "amina", 9)
        _review(session, ids["related-c"], "false_alarm", "omar", 9, reason="other")
    with unit_of_work(factory) as session:
        figures = reviews.figures(session)
        assert figures.n == 9
        assert figures.flagged["tp"] + figures.flagged["fp"] + figures.flagged["fn"] == 9
        assert reviews.awaiting_review(session) == 0
        _assert_same(session)
    # New rules relabel two articles: the figures follow the current labels, as the report does.
    with unit_of_work(factory) as session:
        repo.save_classification(
            session, ids["core-b"], repo.ClassificationRecord(label="none", score=0.0, rules_version="v2")
        )
        repo.save_classification(
            session, ids["none-a"], repo.ClassificationRecord(label="related", score=1.0, rules_version="v2")
        )
    with unit_of_work(factory) as session:
        _assert_same(session)


def test_awaiting_counts_flagged_articles_with_no_review(factory: sessionmaker[Session]) -> None:
    ids = _store(factory)
    with unit_of_work(factory) as session:
        assert reviews.awaiting_review(session) == 6
        _review(session, ids["core-a"], "relevant", "amina", 0)
        _review(session, ids["core-a"], "relevant", "omar", 1)  # two reviews: still one article
        _review(session, ids["none-a"], "missed", "amina", 0, label="core")  # not flagged: no change
    with unit_of_work(factory) as session:
        assert reviews.awaiting_review(session) == 5 == _awaiting_row_by_row(session)
