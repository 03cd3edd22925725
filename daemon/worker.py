"""What a cluster job does on a worker (``raqib worker``, started by ``daemon.worker_command``).

One delivery of a job goes through: count the attempt (park it past ``max_tries``), close the crawl
run a dead worker left behind, drop sources that no longer exist, take the sources' leases (skip
those another job holds), open a crawl run and run ``raqib crawl`` for the leased sources as a child
process with the job's time limit and memory ceiling (``daemon.local.run_child``, as the daemon
does in local mode), renewing the leases while it runs; then close the run and the job and release
the leases. The broker message is acknowledged only after that (``daemon.celery_app``).

The pool is Celery's ``threads`` pool: each job's work happens in its own crawl process anyway, so a
pool thread only waits on it, and a SIGKILL of the worker takes its crawl children with it (they
die with their parent thread, ``PR_SET_PDEATHSIG``) while RabbitMQ requeues its jobs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from daemon import runs
from daemon.local import run_child

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from daemon.cluster_config import ClusterConfig
    from daemon.context import JobContext
    from storage.cluster import Attempt

log = logging.getLogger("raqib.worker")


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int
    extract_workers: int
    rules_dir: str | None
    rules_version: str


def member_name(role: str) -> str:
    return f"{role}:{socket.gethostname()}:{os.getpid()}"


class WorkerRuntime:
    """What the worker's task needs: database, configuration, this worker's identity."""

    def __init__(self, ctx: JobContext, cluster: ClusterConfig, options: WorkerOptions):
        self.ctx = ctx
        self.cluster = cluster
        self.options = options
        self.name = member_name("worker")
        self._running = 0
        self._count_lock = threading.Lock()

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.ctx.sessions

    @property
    def running(self) -> int:
        with self._count_lock:
            return self._running

    def run_job(self, job_id: int, *, redelivered: bool) -> str:
        """Run one delivery of ``job_id``; returns the job's state. Raises ``GiveBack`` when the worker is
        shutting down and the job should go back to the queue."""
        with self._count_lock:
            self._running += 1
        try:
            return self._run(job_id, redelivered)
        finally:
            with self._count_lock:
                self._running -= 1

    def _run(self, job_id: int, redelivered: bool) -> str:
        from storage import cluster as store
        from storage.db import unit_of_work

        with unit_of_work(self.sessions) as session:
            attempt = store.begin_attempt(
                session, job_id, self.name, redelivered=redelivered, stale_after=3 * self.cluster.heartbeat
            )
        if attempt.previous_run_id is not None and attempt.state != "duplicate":
            self._close_lost_run(attempt.previous_run_id, attempt.job_id)
        if not attempt.run:
            level = logging.ERROR if attempt.state == "parked" else logging.INFO
            log.log(level, "job #%d: not run (%s): %s", job_id, attempt.state, attempt.reason)
            if attempt.state == "parked":
                self._release(job_id)
            return attempt.state
        if attempt.rules_version and attempt.rules_version != self.options.rules_version:
            log.warning(
                "job #%d: the daemon's rules are %s, this worker's %s; its articles are judged with %s",
                job_id,
                attempt.rules_version,
                self.options.rules_version,
                self.options.rules_version,
            )
        try:
            return self._crawl(attempt)
        finally:
            self._release(job_id)

    def _crawl(self, attempt: Attempt) -> str:
        from daemon.config import CrawlGroup
        from daemon.jobs import crawl_argv
        from storage import cluster as store
        from storage.db import unit_of_work

        job_id = attempt.job_id
        existing, vanished_reason = self._existing(attempt.sources)
        if not existing:
            with unit_of_work(self.sessions) as session:
                store.finish(session, job_id, "dropped", vanished_reason)
            log.warning("job #%d: dropped: %s", job_id, vanished_reason)
            return "dropped"
        with unit_of_work(self.sessions) as session:
            taken, busy = store.acquire_leases(session, existing, job_id, self.name, self.cluster.lease_ttl)
        if busy:
            log.info(
                "job #%d: %s already being crawled (%s); left to that job",
                job_id,
                ", ".join(busy),
                "; ".join(sorted(set(busy.values()))),
            )
        if not taken:
            with unit_of_work(self.sessions) as session:
                store.finish(session, job_id, "skipped", "every source was being crawled by another job: " + "; ".join(
                    f"{name}: {holder}" for name, holder in busy.items()))
            return "skipped"
        group = CrawlGroup(
            name=attempt.group, sources=tuple(taken), timeout=attempt.timeout, memory_mb=attempt.memory_mb
        )
        extra = {
            runs.STAT_CLUSTER_JOB: job_id,
            "cluster/attempt": attempt.attempt,
            "cluster/worker": self.name,
            "cluster/rules_version": self.options.rules_version,
        }
        run_id = runs.open_run(self.ctx, group, taken, extra)
        with unit_of_work(self.sessions) as session:
            store.set_run(session, job_id, run_id)
        argv = [*crawl_argv(self.ctx.config, group, run_id, taken), "--workers", str(self.options.extract_workers)]
        if self.options.rules_dir:
            argv += ["-s", f"RAQIB_RULES_DIR={self.options.rules_dir}"]
        log.info("job #%d (try %d): crawling %s as run #%d", job_id, attempt.attempt, ", ".join(taken), run_id)
        stop_renewing = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(job_id, stop_renewing), name=f"lease-{job_id}", daemon=True
        )
        renewer.start()
        try:
            result = run_child(
                argv,
                label=f"job.{job_id}",
                env=self.ctx.child_env(),
                timeout=attempt.timeout,
                memory_mb=attempt.memory_mb,
                kill_wait=self.ctx.config.kill_wait,
                ctx=self.ctx,
                on_start=lambda proc: runs.record_pid(self.ctx, run_id, proc.pid),
            )
        except OSError as error:
            runs.record_spawn_failure(self.ctx, run_id, f"{argv[0]}: {error.strerror or error}")
            with unit_of_work(self.sessions) as session:
                store.finish(session, job_id, "failed", f"could not start {argv[0]}: {error.strerror or error}")
            return "failed"
        finally:
            stop_renewing.set()
            renewer.join(timeout=5)
        status = runs.record_outcome(self.ctx, group, run_id, result)
        if result.stopped == "shutdown":
            with unit_of_work(self.sessions) as session:
                store.give_back(session, job_id, "the worker shut down during the crawl; queued again")
            raise GiveBack(job_id)
        state = "finished" if status == "finished" else "failed"
        reason = "" if state == "finished" else f"crawl run #{run_id} {status}: {result.stopped or result.reason}"
        if busy:
            reason = (reason + "; " if reason else "") + "skipped (being crawled): " + ", ".join(busy)
        with unit_of_work(self.sessions) as session:
            store.finish(session, job_id, state, reason)
        return state

    def _existing(self, names: tuple[str, ...]) -> tuple[list[str], str]:
        """The job's sources that still exist and are enabled here, and why the others were dropped."""
        from crawler.sources import SourcesError, load_sources

        try:
            known = {source.name: source for source in load_sources(self.ctx.config.sources_file or None)}
        except SourcesError as error:
            return [], f"the sources file cannot be read: {error}"
        gone = [name for name in names if name not in known]
        off = [name for name in names if name in known and not known[name].enabled]
        parts = []
        if gone:
            parts.append(f"no source {', '.join(gone)} in {self.ctx.config.sources_file or 'the default sources file'}")
        if off:
            parts.append(f"source {', '.join(off)} disabled")
        if parts:
            log.warning("job: %s", "; ".join(parts))
        return [name for name in names if name not in gone and name not in off], "; ".join(parts)

    def _renew(self, job_id: int, stop: threading.Event) -> None:
        from storage import cluster as store
        from storage.db import unit_of_work

        while not stop.wait(self.cluster.lease_ttl / 3):
            try:
                with unit_of_work(self.sessions) as session:
                    store.renew_leases(session, job_id, self.cluster.lease_ttl)
            except Exception as error:  # noqa: BLE001 - a missed renewal must not kill the crawl
                log.warning("job #%d: could not renew its leases: %s", job_id, error)

    def _release(self, job_id: int) -> None:
        from storage import cluster as store
        from storage.db import unit_of_work

        with unit_of_work(self.sessions) as session:
            store.release_leases(session, job_id)

    def _close_lost_run(self, run_id: int, job_id: int) -> None:
        from storage.db import unit_of_work
        from storage.models import CrawlRun

        with unit_of_work(self.sessions) as session:
            run = session.get(CrawlRun, run_id)
            if run is not None and run.status == "running":
                runs.finish_run(
                    run, "killed", "worker_lost", f"the worker running job #{job_id} died; the job was delivered again"
                )
                log.warning("crawl run #%d of job #%d: its worker died; marked killed", run_id, job_id)

    def heartbeat(self, *, stopped: bool = False) -> None:
        from storage import cluster as store
        from storage.db import unit_of_work

        with unit_of_work(self.sessions) as session:
            store.heartbeat(
                session,
                name=self.name,
                role="worker",
                host=socket.gethostname(),
                pid=os.getpid(),
                concurrency=self.options.concurrency,
                rules_version=self.options.rules_version,
                running=self.running,
                stopped=stopped,
            )


class GiveBack(Exception):
    """The job goes back to the queue (the worker is shutting down); not a failure."""


def cluster_needs_postgresql(url: str) -> str:
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    return (
        f"cluster mode needs PostgreSQL, not {shown}: workers on several machines write to one database, "
        "which a SQLite file cannot be (set --db / $RAQIB_DATABASE_URL to postgresql+psycopg://…)"
    )


def rules_version(rules_dir: str | None) -> str:
    """The version of the rules a crawl with ``rules_dir`` judges with (None: the packaged packs)."""
    from pathlib import Path

    from classifiers.loader import load_ruleset

    return load_ruleset(Path(rules_dir) if rules_dir else None).version
