"""The cluster runner, daemon side: a crawl group's tick becomes jobs on the broker.

Instead of running ``raqib crawl`` as its own child (``daemon.local``), the daemon in cluster mode
splits the group's sources (its due ones, with adaptive intervals) into jobs of ``[cluster] batch``
sources, writes them to ``cluster_jobs`` and publishes their ids; ``raqib worker`` runs them. A
source that still has an open job is not enqueued again, so a slow cluster does not pile up
duplicate work. Rows are written before anything is published (an outbox): when the broker is
away, the daemon logs it, keeps the rows ``pending`` and publishes them on a later heartbeat, with
back-off, so no scheduled job is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from daemon.celery_app import CRAWL_TASK, make_app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from daemon.cluster_config import ClusterConfig
    from daemon.config import CrawlGroup

log = logging.getLogger("raqib.daemon")

# A source whose job was parked (it kept killing workers) is not enqueued again for this long: it
# shows as failing in the digest's health and in `raqib cluster status` until someone looks.
PARK_HOLD = timedelta(hours=24)
BACKOFF_FIRST = 5.0
BACKOFF_MAX = 300.0


def batches(names: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """``names`` in runs of at most ``size``, in order."""
    return [tuple(names[i : i + size]) for i in range(0, len(names), size)]


class Dispatcher:
    """Publishes crawl jobs for one daemon; thread-safe (crawl groups tick in parallel)."""

    def __init__(self, cluster: ClusterConfig, sessions: sessionmaker[Session], rules_version: str):
        self.cluster = cluster
        self.sessions = sessions
        self.rules_version = rules_version
        self.app = make_app(cluster)
        self._lock = threading.Lock()
        self._failures = 0
        self._retry_at = 0.0

    def enqueue(self, group: CrawlGroup, names: Sequence[str]) -> list[int]:
        """Write a job per batch of ``names`` not already in an open job, then publish what is pending."""
        from storage import cluster as store
        from storage.db import unit_of_work

        # An open job older than every try it may take is stuck, and no longer blocks its sources.
        horizon = timedelta(seconds=(group.timeout + 120) * (self.cluster.max_tries + 1))
        with unit_of_work(self.sessions) as session:
            busy = store.sources_with_open_jobs(session, horizon)
            parked = store.recently_parked(session, PARK_HOLD)
            todo = [name for name in names if name not in busy and name not in parked]
            jobs = [
                store.NewJob(
                    group=group.name,
                    sources=batch,
                    timeout=group.timeout,
                    memory_mb=group.memory_mb,
                    max_tries=self.cluster.max_tries,
                    rules_version=self.rules_version,
                )
                for batch in batches(todo, self.cluster.batch)
            ]
            ids = store.add_jobs(session, jobs)
        held = sorted(set(names) & parked)
        waiting = len(names) - len(todo) - len(held)
        log.info(
            "crawl %s: %d job(s) written for %d source(s)%s%s",
            group.name,
            len(ids),
            len(todo),
            f"; {waiting} source(s) skipped, their previous job is still open" if waiting else "",
            f"; held back (a job of theirs was parked within {PARK_HOLD.total_seconds() / 3600:.0f} h): "
            + ", ".join(held)
            if held
            else "",
        )
        self.flush(force=True)
        return ids

    def flush(self, *, force: bool = False) -> int:
        """Publish pending jobs; returns how many were published. After a failure, waits out an
        exponential back-off (5 s doubling to 5 min) unless ``force``."""
        from storage import cluster as store
        from storage.db import unit_of_work

        with self._lock:
            if not force and time.monotonic() < self._retry_at:
                return 0
            with self.sessions() as session:
                pending = store.pending_ids(session)
            sent: list[int] = []
            try:
                for job_id in pending:
                    self.app.send_task(
                        CRAWL_TASK,
                        args=[job_id],
                        queue=self.cluster.queue,
                        retry=True,
                        retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 1, "interval_max": 2},
                    )
                    sent.append(job_id)
            except Exception as error:  # noqa: BLE001 - any broker failure: keep the rows, retry later
                self._failures += 1
                delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self._failures - 1))
                self._retry_at = time.monotonic() + delay
                log.error(
                    "broker %s unreachable (%s): %d job(s) kept pending, next try in %.0f s",
                    self.cluster.shown_url,
                    str(error).splitlines()[0][:200] if str(error) else type(error).__name__,
                    len(pending) - len(sent),
                    delay,
                )
            finally:
                if sent:
                    with unit_of_work(self.sessions) as session:
                        store.mark_sent(session, sent)
            if sent and len(sent) == len(pending):
                if self._failures:
                    log.info("broker %s reachable again: %d pending job(s) published", self.cluster.shown_url, len(sent))
                self._failures = 0
                self._retry_at = 0.0
            return len(sent)

    def close(self) -> None:
        self.app.close()
