"""Cluster mode over time, on the real RabbitMQ and PostgreSQL: a worker stopped with SIGTERM hands its
job back (a deploy loses nothing and costs no try), and adaptive intervals decide what the daemon
enqueues, as in local mode."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster_env import (
    WORKER,
    all_final,
    daemon_once,
    jobs,
    prepare_database,
    write_config,
    write_sources,
)
from tests.e2e.procs import FAKE_CRAWL, crawl_runs, wait_for

pytestmark = pytest.mark.slow


def test_a_worker_stopped_with_sigterm_hands_its_job_back_without_counting_a_try(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    marker = tmp_path / "crawls"
    config = write_config(
        tmp_path / "raqib.toml",
        broker_url=broker_url,
        queue=cluster_queue,
        sources=write_sources(tmp_path / "sources.yaml", "a"),
        crawl_command=["python", str(FAKE_CRAWL), "--sleep", "60", "--marker", str(marker)],
        extra_daemon='shutdown_grace = "1s"',
    )
    prepare_database(pg_db)
    first = start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "1"], command=WORKER)
    daemon_once(config, pg_db)
    wait_for(lambda: marker.exists() and "start" in marker.read_text(), 120, "the crawl to start")
    first.signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0, first.log()[-3000:]
    (job,) = jobs(pg_db)
    assert (job.state, job.attempts) == ("queued", 0), (job.state, job.attempts, job.reason)
    (stopped,) = crawl_runs(pg_db)
    assert stopped.status == "killed" and stopped.errors[-1]["reason"] == "shutdown"

    # The next worker takes it from the queue; this time the crawl is quick.
    quick = write_config(
        tmp_path / "quick.toml",
        broker_url=broker_url,
        queue=cluster_queue,
        sources=tmp_path / "sources.yaml",
        crawl_command=["python", str(FAKE_CRAWL), "--marker", str(marker)],
    )
    start_daemon(["--config", str(quick), "--db", pg_db, "--concurrency", "1"], command=WORKER)
    (done,) = wait_for(lambda: all_final(pg_db), 120, "the handed-back job to end", interval=0.3)
    assert (done.state, done.attempts) == ("finished", 1)


def test_adaptive_intervals_decide_what_the_cluster_daemon_enqueues(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    config = write_config(
        tmp_path / "raqib.toml",
        broker_url=broker_url,
        queue=cluster_queue,
        sources=write_sources(tmp_path / "sources.yaml", "fast", "slow"),
        crawl_command=["python", str(FAKE_CRAWL)],
        batch=1,
        groups=(
            '[[daemon.crawl]]\nname = "adaptive"\nsources = ["fast", "slow"]\n'
            'min_interval = "1h"\nmax_interval = "6h"\ntimeout = "5m"\n'
        ),
    )
    prepare_database(pg_db)
    start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "2"], command=WORKER)
    # Never crawled: both are due, one job each.
    log = daemon_once(config, pg_db)
    assert "2 source(s) due, 0 not due" in log
    final = wait_for(lambda: (found := all_final(pg_db)) and len(found) == 2 and found, 120, "both jobs to end")
    assert {job.sources[0] for job in final} == {"fast", "slow"}
    # Just crawled, and an hour is the shortest interval: nothing is due, nothing is enqueued.
    log = daemon_once(config, pg_db)
    assert "0 source(s) due, 2 not due" in log
    assert len(jobs(pg_db)) == 2
