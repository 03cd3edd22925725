"""Adaptive intervals through the real storage and the real daemon: only due sources are crawled.

Every clock here is explicit: the simulation passes ``now``; the daemon test's articles and crawl runs
are placed hours around the real time, so no outcome depends on how fast this machine runs.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon import polling
from daemon.config import config_from_mapping
from tests.e2e.procs import crawl_runs, fake_crawl_command

MIN, MAX = 600.0, 6 * 3600.0
_serial = itertools.count()


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[Any]:
    from storage.db import make_engine, session_factory, upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def add_source(session: Any, name: str) -> int:
    from storage.models import Source

    row = Source(name=name, outlet=name, kind="rss")
    session.add(row)
    session.flush()
    return row.id


def add_articles(session: Any, source_id: int, times: list[datetime]) -> None:
    from storage.models import Article

    for t in times:
        url = f"https://example.org/{source_id}/{next(_serial)}"
        session.add(
            Article(
                url_hash=hashlib.sha256(url.encode()).hexdigest(),
                canonical_url=url,
                requested_url=url,
                final_url=url,
                source_id=source_id,
                published_at=t,
                fetched_at=t,
            )
        )


def add_run(session: Any, sources: list[str], started: datetime, status: str = "finished") -> None:
    from storage.models import CrawlRun

    session.add(
        CrawlRun(sources=",".join(sources), started_at=started, finished_at=started, status=status, stats={})
    )


def adaptive_group(names: list[str]) -> Any:
    data = {
        "daemon": {"crawl": [{"name": "news", "sources": names, "min_interval": "10m", "max_interval": "6h"}]}
    }
    return config_from_mapping(data, "raqib.toml").group("news")


def test_interval_converges_for_a_fast_and_a_slow_source_on_the_demo_sites_clock(sessions):
    """The slow source is one of the demo site's outlets, with the publication dates of its manifest
    (one story a day or so); the fast one publishes every ten minutes on the same clock. The daemon's
    choice is replayed poll by poll through the database: each run crawls only the due sources."""
    from crawler.demo_site import expected_pages
    from storage.db import unit_of_work

    today = date(2026, 1, 10)  # as DemoSite(today=...) dates it
    slow_name = "demo-sada-rss"
    slow_times = sorted(
        datetime.fromisoformat(page.published).replace(tzinfo=UTC)
        for page in expected_pages("http://127.0.0.1:8000", today=today)
        if page.published and slow_name in page.sources
    )
    assert len(slow_times) >= 5
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    fast_times = [start - timedelta(days=1) + timedelta(minutes=10 * k) for k in range(6 * 24 * 2)]
    group = adaptive_group(["demo-fast", slow_name])
    tick = timedelta(seconds=group.every)
    with unit_of_work(sessions) as session:
        ids = {name: add_source(session, name) for name in ("demo-fast", slow_name)}
        add_articles(session, ids[slow_name], slow_times)

    polls: dict[str, list[datetime]] = {"demo-fast": [], slow_name: []}
    now, stored_until = start - timedelta(days=1), start - timedelta(days=1)
    while now < start + timedelta(days=1):
        with unit_of_work(sessions) as session:
            # What the fast outlet published since the last tick is stored by this tick's crawl.
            add_articles(session, ids["demo-fast"], [t for t in fast_times if stored_until < t <= now])
            stored_until = now
            schedule = polling.due_times(session, group, ["demo-fast", slow_name], now)
            due = [e.source for e in schedule if e.is_due(now, polling.slack(group))]
            if due:
                add_run(session, due, now)
            for name in due:
                polls[name].append(now)
        now += tick

    last_day = [t for t in polls["demo-fast"] if t >= start]
    assert len(last_day) == 6 * 24, "the fast source is polled at every tick (its 10-minute minimum)"
    slow_last_day = [t for t in polls[slow_name] if t >= start]
    gaps = [b - a for a, b in zip(slow_last_day, slow_last_day[1:], strict=False)]
    assert 3 <= len(slow_last_day) <= 5 and all(gap >= timedelta(hours=5) for gap in gaps), slow_last_day
    assert all(gap <= timedelta(hours=6) + tick for gap in gaps), "never less often than max_interval"


def test_last_poll_counts_only_finished_runs_that_covered_the_source(sessions):
    from storage.db import unit_of_work

    now = datetime(2026, 1, 10, 12, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        add_run(session, ["a", "b"], now - timedelta(hours=3))
        add_run(session, ["a"], now - timedelta(hours=1))
        add_run(session, ["b"], now - timedelta(minutes=30), status="failed")
        add_run(session, [], now - timedelta(hours=8))  # every source, but before the window
    with sessions() as session:
        found = polling.last_polls(session, ["a", "b", "c"], now - timedelta(hours=6))
    assert found == {"a": now - timedelta(hours=1), "b": now - timedelta(hours=3)}


# ---------------------------------------------------------------------------------------------------
# The daemon


def test_only_the_due_source_is_crawled_and_a_run_with_none_due_records_nothing(
    tmp_path: Path, start_daemon, sqlite_url, sessions
):
    from storage.db import unit_of_work

    now = datetime.now(UTC)  # the daemon reads the real clock; everything is hours away from it
    with unit_of_work(sessions) as session:
        fast = add_source(session, "fast")
        slow = add_source(session, "slow")
        add_articles(session, fast, [now - timedelta(minutes=5 + 10 * k) for k in range(20)])
        add_articles(session, slow, [now - timedelta(hours=1 + 12 * k) for k in range(5)])
        # Both were polled half an hour ago: the fast one (every 10 min) is due, the slow one is not.
        add_run(session, ["fast", "slow"], now - timedelta(minutes=30))
    config = tmp_path / "raqib.toml"
    config.write_text(
        f"""
[daemon]
digest_at = ""
crawl_command = {fake_crawl_command()}

[[daemon.crawl]]
name = "news"
sources = ["fast", "slow"]
min_interval = "10m"
max_interval = "6h"
""",
        encoding="utf-8",
    )
    once = start_daemon(["--config", str(config), "--db", sqlite_url, "--once"])
    assert once.wait(timeout=60) == 0, once.log()
    runs = crawl_runs(sqlite_url)
    assert len(runs) == 2
    assert runs[-1].sources == "fast" and runs[-1].stats["fake/sources"] == "fast"
    assert runs[-1].status == "finished" and runs[-1].stats["daemon/group"] == "news"
    log = once.log()
    assert "crawl news: 1 source(s) due, 1 not due (fast every 10 min); next: slow at" in log

    # Right after: the fast source was just polled, so nothing is due and no crawl run is recorded.
    again = start_daemon(["--config", str(config), "--db", sqlite_url, "--once"])
    assert again.wait(timeout=60) == 0, again.log()
    assert len(crawl_runs(sqlite_url)) == 2
    assert "crawl news: 0 source(s) due, 2 not due; next: fast at" in again.log()
