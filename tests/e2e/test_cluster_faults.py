"""Cluster mode when things go wrong, on the real RabbitMQ and PostgreSQL: a job that kills every
worker that takes it, a job for a source that is gone, a worker with other rules, a broker that goes
away under the daemon, and the refusals at start-up (SQLite, unreachable broker)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster_env import (
    DAEMON,
    STATUS,
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

def _run(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def test_a_job_that_kills_its_workers_is_parked_after_max_tries_and_shows_in_health(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    from digests.config import HealthSettings
    from digests.health import source_health
    from storage.db import make_engine, session_factory

    # The "crawl" SIGKILLs the worker that started it (its parent), as a page that crashes the process would.
    config = write_config(
        tmp_path / "raqib.toml",
        broker_url=broker_url,
        queue=cluster_queue,
        sources=write_sources(tmp_path / "sources.yaml", "crasher"),
        crawl_command=["sh", "-c", "kill -9 $PPID; sleep 30", "crawl"],
        max_tries=2,
    )
    prepare_database(pg_db)
    daemon_once(config, pg_db)
    for attempt in (1, 2):
        worker = start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "1"], command=WORKER)
        assert worker.wait(timeout=120) == -9, worker.log()[-2000:]
        (job,) = jobs(pg_db)
        assert job.attempts == attempt
    survivor = start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "1"], command=WORKER)
    (parked,) = wait_for(lambda: all_final(pg_db), 120, "the job to be parked", interval=0.3)
    assert parked.state == "parked" and parked.attempts == 3
    assert "parked after 2 deliveries" in parked.reason
    assert survivor.proc.poll() is None
    # The next tick does not enqueue it again: it would kill max_tries more workers.
    assert "held back (a job of theirs was parked within 24 h): crasher" in daemon_once(config, pg_db)
    assert len(jobs(pg_db)) == 1
    # Both crawl runs the dead workers left were closed by the next delivery, with the reason.
    assert [(run.status, run.errors[-1]["reason"]) for run in crawl_runs(pg_db)] == [("killed", "worker_lost")] * 2

    status = _run([*STATUS, "--config", str(config), "--db", pg_db, "--json"])
    report = json.loads(status.stdout)
    assert status.returncode == 1  # something needs a look
    assert report["parked"][0]["sources"] == ["crasher"] and report["jobs"]["parked"] == 1
    assert "1 parked job(s)" in report["problems"]

    engine = make_engine(pg_db)
    try:
        with session_factory(engine)() as session:
            now = datetime.now(UTC)
            health = source_health(session, since=now - timedelta(days=1), until=now + timedelta(minutes=1), settings=HealthSettings())
    finally:
        engine.dispose()
    crasher = next(entry for entry in health.sources if entry.source == "crasher")
    assert crasher.status == "failed" and "parked" in crasher.reason


def test_a_job_for_a_vanished_source_is_dropped_and_a_worker_with_other_rules_is_reported(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    from classifiers.loader import DEFAULT_RULES_DIR

    sources = write_sources(tmp_path / "sources.yaml", "kept", "gone")
    config = write_config(
        tmp_path / "raqib.toml",
        broker_url=broker_url,
        queue=cluster_queue,
        sources=sources,
        crawl_command=["python", str(FAKE_CRAWL), "--sleep", "0.2"],
        batch=1,
    )
    prepare_database(pg_db)
    daemon_once(config, pg_db)
    # The source is removed from the file after its job was published.
    write_sources(sources, "kept")
    # This worker's rules differ from the daemon's: one more term in a copy of the packs.
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules)
    lexicon = next(rules.glob("*/lexicon.yaml"))
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n# edited by the test\n", encoding="utf-8")
    from daemon.worker import rules_version

    assert rules_version(str(rules)) != rules_version(None), "a comment must change the rules' version"
    start_daemon(
        ["--config", str(config), "--db", pg_db, "--concurrency", "1", "--rules", str(rules)], command=WORKER
    )
    final = wait_for(lambda: all_final(pg_db), 120, "both jobs to end", interval=0.3)
    by_source = {job.sources[0]: job for job in final}
    assert by_source["kept"].state == "finished"
    assert by_source["gone"].state == "dropped" and by_source["gone"].attempts == 1
    assert "no source gone in" in by_source["gone"].reason
    run = next(run for run in crawl_runs(pg_db) if run.id == by_source["kept"].crawl_run_id)
    assert run.stats["cluster/rules_version"] == rules_version(str(rules))

    # The daemon reports its own rules while it runs; status compares the worker's with them.
    daemon = start_daemon(["--config", str(config), "--db", pg_db], command=DAEMON)
    daemon.wait_log("daemon started", timeout=60)
    report = wait_for(
        lambda: (r := json.loads(_run([*STATUS, "--config", str(config), "--db", pg_db, "--json"]).stdout))["rules_mismatch"]
        and r,
        60,
        "the rules mismatch in cluster status",
        interval=0.5,
    )
    assert rules_version(str(rules)) in report["rules_mismatch"][0]


def test_cluster_mode_refuses_sqlite_and_an_unreachable_broker_with_one_line(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str
) -> None:
    config = write_config(tmp_path / "raqib.toml", broker_url=broker_url, queue=cluster_queue)
    sqlite = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    for command in (DAEMON, WORKER):
        done = _run([*command, "--config", str(config), "--db", sqlite])
        assert done.returncode == 2
        assert done.stderr.strip().splitlines()[-1].startswith("raqib: error: cluster mode needs PostgreSQL")
    assert not (tmp_path / "raqib.sqlite").exists() or "cluster_jobs" not in (tmp_path / "raqib.sqlite").read_bytes().decode("latin-1")

    # Port 9 (discard) on loopback: nothing listens there.
    prepare_database(pg_db)
    dead = write_config(tmp_path / "dead.toml", broker_url="amqp://guest:secret@127.0.0.1:9//", queue=cluster_queue)
    for command in (DAEMON, WORKER):
        done = _run([*command, "--config", str(dead), "--db", pg_db], timeout=60)
        assert done.returncode == 2, done.stderr[-2000:]
        line = done.stderr.strip().splitlines()[-1]
        assert line.startswith("raqib: error: cannot reach the broker at amqp://guest:**@127.0.0.1:9//"), line
        assert "secret" not in done.stderr
    # The daemon did not fall back to crawling by itself.
    assert crawl_runs(pg_db) == [] and jobs(pg_db) == []

    bad = tmp_path / "bad.toml"
    bad.write_text('[cluster]\nbroker_url = "amqp://x//"\nbatch = 0\n', encoding="utf-8")
    done = _run([*WORKER, "--config", str(bad), "--db", pg_db])
    assert done.returncode == 2 and "[cluster] batch: expected a whole number ≥ 1, got 0" in done.stderr
    done = _run([*WORKER, "--db", pg_db])
    assert done.returncode == 2 and "raqib worker needs a broker" in done.stderr


def _finish_all(db: str) -> None:
    from storage import cluster as store
    from storage.db import make_engine, session_factory, unit_of_work

    engine = make_engine(db)
    try:
        with unit_of_work(session_factory(engine)) as session:
            for job in jobs(db):
                store.finish(session, job.id, "finished")
    finally:
        engine.dispose()


class TcpProxy:
    """A loopback TCP relay to RabbitMQ that the test can cut and restore: a broker going away."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._open.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_a_broker_that_goes_away_loses_no_scheduled_job(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    from kombu.utils.url import url_to_parts

    from daemon.celery_app import queue_depth
    from daemon.cluster_config import ClusterConfig

    parts = url_to_parts(broker_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5672))
    try:
        proxied = f"amqp://{parts.username or 'guest'}:{parts.password or 'guest'}@127.0.0.1:{proxy.port}//"
        config = write_config(
            tmp_path / "raqib.toml",
            broker_url=proxied,
            queue=cluster_queue,
            sources=write_sources(tmp_path / "sources.yaml", "a", "b", "c"),
            crawl_command=["python", str(FAKE_CRAWL)],
            batch=1,
            groups=(
                '[[daemon.crawl]]\nname = "one"\nsources = ["a"]\nevery = "1h"\n'
                '[[daemon.crawl]]\nname = "tick"\nsources = ["b", "c"]\nevery = "3s"\n'
            ),
        )
        prepare_database(pg_db)
        daemon = start_daemon(["--config", str(config), "--db", pg_db], command=DAEMON)
        daemon.wait_log(r"crawl tick: 2 job\(s\) written", timeout=60)
        wait_for(lambda: [j.state for j in jobs(pg_db)].count("queued") == 3, 30, "the first three jobs published")
        proxy.cut()
        # As if workers had done the first jobs: the next tick (every 3 s) schedules b and c again, while
        # the broker is away — written, kept pending, logged.
        _finish_all(pg_db)
        daemon.wait_log(r"crawl tick: 2 job\(s\) written", timeout=60, count=2)
        daemon.wait_log(r"broker amqp://guest:\*\*@127\.0\.0\.1:\d+// unreachable .* 2 job\(s\) kept pending", timeout=60)
        assert [j.state for j in jobs(pg_db)][3:] == ["pending", "pending"]
        proxy.restore()
        daemon.wait_log(r"reachable again: 2 pending job\(s\) published", timeout=120)
        assert [j.state for j in jobs(pg_db)] == ["finished"] * 3 + ["queued"] * 2
        direct = ClusterConfig(broker_url=broker_url, queue=cluster_queue)
        assert queue_depth(direct) == (5, 0)  # every job on the broker, once
        assert daemon.proc.poll() is None
    finally:
        proxy.close()
