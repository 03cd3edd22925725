"""The search paths the web benchmark led to (storage/search.py: a count in the index for a search by
words alone; over MANY_MATCHES matches a walk of ix_articles_when newest first, under it the matches'
ids listed first) agree: same total, same ids in the same order, on every page, with and without
each filter (label, period, country, language, review state), on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from benchmarks.web import COMMON_WORD
from benchmarks.web_archive import build_rows, load
from storage import db
from storage import search as store

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rows() -> Any:
    # Classifying 2,000 articles is most of a case's time: once for the module, loaded per case.
    return build_rows(2_000, NOW, seed=3)


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path, rows) -> str:
    url = (
        f"sqlite:///{tmp_path / 'many.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_schema_url")
    )
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        load(engine, rows)
    finally:
        engine.dispose()
    return url


def _pages(url: str, query: str, filters: store.Filters) -> list[tuple[int, int, list[int]]]:
    """(page, total, ids) for the first, second, middle and last pages."""
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            first = store.search(session, query, filters, 1, now=NOW)
            out = [(first.page, first.total, [h.id for h in first.hits])]
            for page in sorted({2, first.pages // 2, first.pages}):
                found = store.search(session, query, filters, page, now=NOW)
                out.append((found.page, found.total, [h.id for h in found.hits]))
            return out
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "filters",
    [
        store.Filters(),
        store.Filters(label="none"),
        store.Filters(days=330),
        store.Filters(country="EG"),
        store.Filters(language="ar"),
        *(store.Filters(state=state) for state in ("awaiting", "reviewed", "relevant", "false_alarm")),
        store.Filters(country="MA", language="ar", state="awaiting", label="related", days=330),
    ],
    ids=[
        "words alone",
        "label",
        "period",
        "country",
        "language",
        "awaiting",
        "reviewed",
        "relevant",
        "false alarm",
        "all together",
    ],
)
def test_shortcuts_list_what_the_plain_query_lists(archive_url: str, filters, monkeypatch) -> None:
    # Which path a search takes depends on how many articles the words match, filters aside.
    matches = _pages(archive_url, COMMON_WORD, store.Filters())[0][1]
    assert matches > store.MANY_MATCHES, "the archive must have enough matches to take the walk"
    fast = _pages(archive_url, COMMON_WORD, filters)
    assert fast[0][1] > 0, "the filter must leave some matches to compare"
    assert all(len(ids) == min(20, total - (page - 1) * 20) for page, total, ids in fast)
    monkeypatch.setattr(store, "MANY_MATCHES", 10**9)
    # A period longer than the archive filters nothing but sends the count through the plain query.
    plain_filters = filters if filters != store.Filters() else store.Filters(days=100_000)
    assert _pages(archive_url, COMMON_WORD, plain_filters) == fast
