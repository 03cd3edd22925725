"""A hot-standby daemon (`raqib daemon --standby`) on the real PostgreSQL and RabbitMQ: it waits while
another daemon holds the database, takes over within a minute when that one is SIGKILLed, and neither
schedules a crawl again nor runs a digest twice."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster_env import DAEMON, jobs, prepare_database, write_config, write_sources
from tests.e2e.procs import toml_list, wait_for

pytestmark = pytest.mark.slow

DIGEST_EVERY = 10.0


def _ticks(path: Path) -> list[float]:
    return [float(line) for line in path.read_text().split()] if path.exists() else []


def test_standby_takes_over_without_scheduling_anything_twice(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    ticks = tmp_path / "digest-ticks"
    # The digest job's command only records when it ran: each line is one delivery.
    script = "import sys, time; open(sys.argv[1], 'a').write(repr(time.time()) + chr(10))"
    sources = write_sources(tmp_path / "sources.yaml", "a")
    config = write_config(
        tmp_path / "raqib.toml",
        broker_url=broker_url,
        queue=cluster_queue,
        sources=sources,
        extra_daemon=(
            f'digest_every = "{DIGEST_EVERY:.0f}s"\n'
            f"digest_command = {toml_list(['python', '-c', script, str(ticks)])}"
        ),
    )
    prepare_database(pg_db)
    args = ["--config", str(config), "--db", pg_db]
    active = start_daemon(args, command=DAEMON)
    active.wait_log(r"crawl all: 1 job\(s\) written", timeout=60)
    standby = start_daemon([*args, "--standby", "--standby-poll", "1"], command=DAEMON)
    standby.wait_log(r"standby: another Raqib daemon is already running", timeout=60)
    wait_for(lambda: len(_ticks(ticks)) >= 1, 60, "the active daemon's first digest")

    active.signal(signal.SIGKILL)
    active.wait(timeout=30)
    killed_at = time.monotonic()
    standby.wait_log(r"standby: the active daemon is gone; taking over", timeout=60)
    assert time.monotonic() - killed_at < 60
    standby.wait_log("daemon started", timeout=60)
    before = len(_ticks(ticks))
    wait_for(lambda: len(_ticks(ticks)) >= before + 1, 60, "a digest run by the new active daemon")

    runs = _ticks(ticks)
    gaps = [b - a for a, b in zip(runs, runs[1:], strict=False)]
    # No digest run twice across the takeover: consecutive runs are a period apart (APScheduler's
    # jitter and a loaded machine make them late, never early).
    assert all(gap > DIGEST_EVERY * 0.8 for gap in gaps), gaps
    # The crawl group (every hour) was scheduled once, by the first daemon only: the standby kept its
    # stored next run time instead of running it again at start.
    assert len(jobs(pg_db)) == 1
    assert "job(s) written" not in standby.log()
    assert standby.proc.poll() is None
