"""The search paths the web benchmark led to (storage/search.py: a count in the index for a search by
words alone; over MANY_MATCHES matches a walk of ix_articles_when newest first, under it the matches'
ids listed first) agree: same total, same ids in the same order, on every page, with and without
filters, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from benchmarks.web import COMMON_WORD
from benchmarks.web_archive import build_rows, load
from storage import db
from storage import search as store

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path) -> str:
    url = (
        f"sqlite:///{tmp_path / 'many.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_schema_url")
    )
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        load(engine, build_rows(2_000, NOW, seed=3))
    finally:
        engine.dispose()
    return url


def _pages(url: str, query: str, filters: store.Filters) -> list[tuple[int, list[int]]]:
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            first = store.search(session, query, filters, 1, now=NOW)
            out = [(first.total, [h.id for h in first.hits])]
            for page in sorted({2, first.pages // 2, first.pages}):
                found = store.search(session, query, filters, page, now=NOW)
                out.append((found.total, [h.id for h in found.hits]))
            return out
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "filters",
    [store.Filters(), store.Filters(label="none"), store.Filters(days=330)],
    ids=["words alone", "label", "period"],
)
def test_shortcuts_list_what_the_plain_query_lists(archive_url: str, filters, monkeypatch) -> None:
    fast = _pages(archive_url, COMMON_WORD, filters)
    assert fast[0][0] > store.MANY_MATCHES, "the archive must have enough matches to take the walk"
    assert all(len(ids) == 20 for _, ids in fast[:-1])
    monkeypatch.setattr(store, "MANY_MATCHES", 10**9)
    # A period longer than the archive filters nothing but sends the count through the plain query.
    plain_filters = filters if filters != store.Filters() else store.Filters(days=100_000)
    assert _pages(archive_url, COMMON_WORD, plain_filters) == fast
