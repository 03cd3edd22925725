"""The inbox's shortcuts for finding copies give what the plain computations give: the word bitsets'
overlaps equal the shared share of the smaller word set, and the candidates read one window at a
time equal one query over all windows (newest first, capped). Real SQLite file and the real
PostgreSQL (skipped when unreachable outside CI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import or_, select

import web.copies
from storage import db
from storage import repository as repo
from storage.models import Article, Classification
from web.copies import Anchor, flagged, when

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
WORDS = "مصرف تحويل محفظة رقمية شبكة تمويل عملية ضبط خلية حدود تقرير وزارة".split()


def _overlap_by_sets(a: list[str], b: list[str]) -> float:
    first, second = set(a), set(b)
    smaller = min(len(first), len(second))
    return len(first & second) / smaller if smaller else 0.0


def test_bitset_overlaps_equal_the_set_overlaps() -> None:
    # Articles of 0–12 words drawn in a fixed pattern, repeats included (the index's terms repeat).
    words = {i: [WORDS[(i * k) % len(WORDS)] for k in range(i % 13)] for i in range(1, 40)}
    words[40] = WORDS[:6] + WORDS[:6]
    anchors = [3, 7, 12, 40]
    pool = list(words) + [99]  # 99: no words at all (an article the index and the text lack)
    expected = sorted(
        (_overlap_by_sets(words[a], words.get(o, [])), a, o)
        for a in anchors
        for o in pool
        if o != a and _overlap_by_sets(words[a], words.get(o, [])) >= web.copies.OVERLAP
    )
    assert expected  # the pattern does produce pairs above the threshold
    assert sorted(web.copies._overlaps(anchors, pool, words)) == expected


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_schema_url")
    else:
        url = f"sqlite:///{tmp_path / 'copies.sqlite'}"
    db.upgrade(url)
    return url


def test_candidates_window_by_window_equal_one_query_over_all_windows(url: str, monkeypatch) -> None:
    # Flagged and unflagged articles every 5 hours over 40 days; some with no publication date
    # (their fetch time counts), two at the same moment (the id breaks the tie).
    records = []
    for n in range(200):
        moment = T0 + timedelta(hours=5 * n)
        label = ("core", "related", "none")[n % 3]
        records.append(
            repo.ArticleRecord(
                canonical_url=f"https://akhbar.example/copies/{n}",
                source_name="wire",
                title=f"خبر رقم {n}",
                text=f"نص تجريبي للخبر رقم {n} عن {WORDS[n % len(WORDS)]}",
                language="ar",
                published_at=None if n % 17 == 0 else moment,
                fetched_at=moment + (timedelta(0) if n % 17 == 0 else timedelta(hours=1)),
                classification=repo.ClassificationRecord(label=label, score=1.0, rules_version="v1"),
            )
        )
    records.append(
        repo.ArticleRecord(
            canonical_url="https://akhbar.example/copies/twin",
            source_name="wire",
            title="خبر توأم",
            text="نص تجريبي لخبر في اللحظة نفسها",
            language="ar",
            published_at=T0 + timedelta(hours=5 * 30),
            classification=repo.ClassificationRecord(label="core", score=1.0, rules_version="v1"),
        )
    )
    engine = db.make_engine(url)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            repo.store_articles(session, records)
        pages = [
            [Anchor(1, T0 + timedelta(days=39))],  # one window
            [Anchor(1, T0 + timedelta(days=d)) for d in (2, 3, 11, 25, 26, 38)],  # four windows
            [Anchor(1, T0 + timedelta(hours=5 * 30))],  # the twins' moment
        ]
        with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
            for cap in (500, 20, 7):
                monkeypatch.setattr(web.copies, "MAX_CANDIDATES", cap)
                for anchors in pages:
                    date = when()
                    windows = web.copies._spans(anchors)
                    reference = select(Article.id).join(
                        Classification, Classification.article_id == Article.id
                    )
                    reference = (
                        reference.where(flagged(), or_(*(date.between(a, b) for a, b in windows)))
                        .order_by(date.desc(), Article.id.desc())
                        .limit(cap)
                    )
                    expected = list(session.scalars(reference))
                    assert expected
                    assert web.copies._candidates(session, anchors) == expected
    finally:
        engine.dispose()
