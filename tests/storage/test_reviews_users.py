"""Users and reviews on SQLite and PostgreSQL: hashes, the failed-login lock, review history and
supersession, export in `raqib eval`'s format, and reviews surviving reclassification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage import repository as repo
from storage import reviews, users
from storage.db import unit_of_work
from storage.models import Review, User

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _articles(factory: sessionmaker[Session]) -> dict[str, int]:
    records = []
    for key, label in (("core", "core"), ("related", "related"), ("none", "none")):
        records.append(
            repo.ArticleRecord(
                canonical_url=f"https://news.example/{key}",
                source_name="wire",
                title=f"عنوان {key}",
                text=f"نص الخبر {key}",
                language="ar",
                classification=repo.ClassificationRecord(label=label, score=1.0, rules_version="v1"),
            )
        )
    with unit_of_work(factory) as session:
        result = repo.store_articles(session, records)
    return {
        key: result.ids[repo.url_hash(f"https://news.example/{key}")] for key in ("core", "related", "none")
    }


def test_add_user_hashes_and_refuses_bad_input(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        user = users.add_user(session, "amina", "reviewer", PASSWORD)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
    with unit_of_work(factory) as session:
        with pytest.raises(users.UserError, match="already exists"):
            users.add_user(session, "amina", "viewer", PASSWORD)
        with pytest.raises(users.UserError, match="too short"):
            users.add_user(session, "omar", "viewer", "short")
        with pytest.raises(users.UserError, match="invalid role"):
            users.add_user(session, "omar", "boss", PASSWORD)
        with pytest.raises(users.UserError, match="invalid user name"):
            users.add_user(session, "a b", "viewer", PASSWORD)
    with unit_of_work(factory) as session:
        assert [(u.name, u.role) for u in users.list_users(session)] == [("amina", "reviewer")]


def test_failed_logins_lock_the_user(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        users.add_user(session, "amina", "reviewer", PASSWORD)
    with unit_of_work(factory) as session:
        assert users.authenticate(session, "amina", PASSWORD, now=T0).ok
        assert users.authenticate(session, "nobody", PASSWORD, now=T0).reason == "unknown"
    for attempt in range(users.MAX_FAILED_LOGINS):
        with unit_of_work(factory) as session:
            result = users.authenticate(session, "amina", "wrong password!", now=T0)
        assert not result.ok
        expected = "locked" if attempt == users.MAX_FAILED_LOGINS - 1 else "wrong_password"
        assert result.reason == expected
    with unit_of_work(factory) as session:  # locked: even the right password is refused
        result = users.authenticate(session, "amina", PASSWORD, now=T0 + timedelta(minutes=14))
        assert (result.ok, result.reason) == (False, "locked")
    with unit_of_work(factory) as session:  # the lock expires
        assert users.authenticate(session, "amina", PASSWORD, now=T0 + timedelta(minutes=16)).ok
    with unit_of_work(factory) as session:
        user = session.query(User).one()
        assert (user.failed_logins, user.locked_until) == (0, None)


def test_reviews_supersede_by_reviewer_and_keep_history(factory: sessionmaker[Session]) -> None:
    ids = _articles(factory)
    with unit_of_work(factory) as session:
        reviews.add_review(session, ids["core"], "relevant", "amina", now=T0)
        reviews.add_review(
            session,
            ids["core"],
            "false_alarm",
            "amina",
            reason="page_chrome",
            note="ticker",
            now=T0 + timedelta(1),
        )
        reviews.add_review(session, ids["core"], "relevant", "omar", now=T0 + timedelta(2))
        reviews.add_review(session, ids["related"], "false_alarm", "omar", reason="false_friend", now=T0)
        reviews.add_review(session, ids["none"], "missed", "amina", label="core", now=T0)
    with unit_of_work(factory) as session:
        assert len(reviews.history(session, ids["core"])) == 3
        current = reviews.current_by_reviewer(session, ids["core"])
        assert [(r.reviewer, r.verdict) for r in current] == [("omar", "relevant"), ("amina", "false_alarm")]
        latest = reviews.verdicts(session)
        assert latest[ids["core"]].reviewer == "omar"
        assert latest[ids["core"]].label == "core"  # the label it had when confirmed
        assert reviews.awaiting_review(session) == 0
        rows = reviews.export_rows(session)
    assert rows == [
        {"id": f"article-{ids['core']}", "title": "عنوان core", "text": "نص الخبر core", "label": 2},
        {"id": f"article-{ids['related']}", "title": "عنوان related", "text": "نص الخبر related", "label": 0},
        {"id": f"article-{ids['none']}", "title": "عنوان none", "text": "نص الخبر none", "label": 2},
    ]


def test_review_validation(factory: sessionmaker[Session]) -> None:
    ids = _articles(factory)
    with unit_of_work(factory) as session:
        with pytest.raises(reviews.ReviewError, match="needs a reason"):
            reviews.add_review(session, ids["core"], "false_alarm", "amina")
        with pytest.raises(reviews.ReviewError, match="not flagged"):
            reviews.add_review(session, ids["none"], "relevant", "amina")
        with pytest.raises(reviews.ReviewError, match="label it deserved"):
            reviews.add_review(session, ids["none"], "missed", "amina")
        with pytest.raises(reviews.ReviewError, match="invalid verdict"):
            reviews.add_review(session, ids["core"], "maybe", "amina")
        with pytest.raises(reviews.ReviewError, match="no article"):
            reviews.add_review(session, 10_000, "relevant", "amina")
        assert reviews.awaiting_review(session) == 2


def test_reviews_survive_reclassification_and_measure_current_labels(factory: sessionmaker[Session]) -> None:
    ids = _articles(factory)
    with unit_of_work(factory) as session:
        reviews.add_review(session, ids["core"], "relevant", "amina", now=T0)
        reviews.add_review(session, ids["related"], "false_alarm", "amina", reason="off_topic", now=T0)
        reviews.add_review(session, ids["none"], "missed", "amina", label="related", now=T0)
    with unit_of_work(factory) as session:
        report = reviews.report(session)
    assert report["n"] == 3
    assert report["flagged"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}
    assert report["false_alarms"] == [f"article-{ids['related']}"]
    assert report["misses"] == [f"article-{ids['none']}"]
    assert report["rules_version"] == "v1"
    # New rules relabel the related story none: the false alarm is gone; the review is still there.
    with unit_of_work(factory) as session:
        repo.save_classification(
            session, ids["related"], repo.ClassificationRecord(label="none", score=0.0, rules_version="v2")
        )
    with unit_of_work(factory) as session:
        assert session.query(Review).count() == 3
        report = reviews.report(session)
    assert report["flagged"]["precision"] == 1.0
    assert report["false_alarms"] == []
    assert report["rules_version"] == "v1,v2"
