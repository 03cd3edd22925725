"""The daemon's crawl runs in the database: opened before the child starts, closed with the reason.

The crawl records its own run (pages, articles, errors); the daemon adds what only it knows — which
group, which host and process, and why it stopped a child (time limit, memory ceiling, shutdown),
which the child cannot record itself. The marks on a run also let a restarted daemon tell its own unfinished runs (and their processes) from a crawl
somebody started by hand, and let a job skip a crawl whose sources are still being crawled.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from daemon.local import ChildResult, process_alive, signal_group

if TYPE_CHECKING:
    from daemon.config import CrawlGroup
    from daemon.context import JobContext

log = logging.getLogger("raqib.daemon")

# Keys the daemon adds to a crawl run's ``stats``.
STAT_GROUP = "daemon/group"
STAT_HOST = "daemon/host"
STAT_PID = "daemon/pid"
STAT_PID_STARTED = "daemon/pid_create_time"
STAT_CLUSTER_JOB = "cluster/job"

_STOPPED_STATUS = {"timeout": "timeout", "memory": "killed", "shutdown": "killed"}
_STOPPED_DETAIL = {
    "timeout": "over the wall-clock limit of {timeout:.0f} s",
    "memory": "over the memory ceiling of {memory:.0f} MB",
    "shutdown": "stopped by the daemon's shutdown after its grace period",
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _host() -> str:
    return socket.gethostname()


def _names(sources: str) -> set[str]:
    return {name.strip() for name in (sources or "").split(",") if name.strip() and name.strip() != "*"}


def _overlaps(group_sources: tuple[str, ...], run_sources: str) -> bool:
    mine, theirs = set(group_sources), _names(run_sources)
    # An empty list on either side means "every enabled source".
    return not mine or not theirs or bool(mine & theirs)


def finish_run(run: Any, status: str, reason: str, detail: str) -> None:
    """Close ``run`` with ``status`` and one error entry saying why (the session commits it)."""
    run.status = status
    run.finished_at = _utcnow()
    run.errors = [*(run.errors or []), {"url": "", "source": run.sources, "reason": reason, "detail": detail}]


def recover_stale_runs(ctx: JobContext) -> int:
    """Mark crawl runs a dead daemon left "running" as killed, killing any orphan still alive.

    Called with the single-instance lock held, so no other daemon owns them.
    """
    from sqlalchemy import select

    from storage.db import unit_of_work
    from storage.models import CrawlRun

    recovered = 0
    with unit_of_work(ctx.sessions) as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            stats = run.stats or {}
            if STAT_GROUP not in stats:
                continue  # a crawl started by hand; not ours to judge
            if STAT_CLUSTER_JOB in stats:
                continue  # a worker's: its job's redelivery closes it (daemon.worker)
            pid, created = stats.get(STAT_PID), stats.get(STAT_PID_STARTED)
            if stats.get(STAT_HOST) == _host() and process_alive(pid, created):
                log.warning("crawl run #%d: orphan process %s still alive; killing its group", run.id, pid)
                signal_group(int(pid), signal.SIGKILL)
            finish_run(run, "killed", "daemon_died", "the daemon stopped before this crawl ended")
            log.warning(
                "crawl run #%d (group %s) was left running by a dead daemon: marked killed",
                run.id,
                stats[STAT_GROUP],
            )
            recovered += 1
    return recovered


def busy_with(ctx: JobContext, group: CrawlGroup) -> Any:
    """A running crawl run that covers some of the group's sources, or None."""
    from sqlalchemy import select

    from storage.models import CrawlRun

    recent = _utcnow() - timedelta(seconds=group.timeout + ctx.config.kill_wait + 60)
    with ctx.sessions() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            stats = run.stats or {}
            if STAT_GROUP in stats:
                alive = stats.get(STAT_HOST) != _host() or process_alive(
                    stats.get(STAT_PID), stats.get(STAT_PID_STARTED)
                )
                if stats[STAT_GROUP] == group.name and alive:
                    return run
                if not alive:
                    continue
            elif run.started_at < recent:
                continue  # a hand-started crawl that never recorded its end
            if _overlaps(group.sources, run.sources):
                return run
    return None


def open_run(
    ctx: JobContext,
    group: CrawlGroup,
    sources: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """A new "running" crawl run for ``group`` (or only ``sources`` of it, the due ones of an adaptive
    group); the child is told its id and records into it. ``extra`` adds stats (a worker's job)."""
    from storage.db import unit_of_work
    from storage.models import CrawlRun

    with unit_of_work(ctx.sessions) as session:
        run = CrawlRun(
            sources=",".join(group.sources if sources is None else sources),
            status="running",
            stats={STAT_GROUP: group.name, STAT_HOST: _host(), STAT_PID: None, **(extra or {})},
            errors=[],
        )
        session.add(run)
        session.flush()
        return run.id


def record_pid(ctx: JobContext, run_id: int, pid: int) -> None:
    """Note the child's pid and start time, so a restarted daemon can find (and kill) an orphan."""
    import psutil

    from storage.db import unit_of_work
    from storage.models import CrawlRun

    try:
        created = psutil.Process(pid).create_time()
    except psutil.Error:
        created = None
    with unit_of_work(ctx.sessions) as session:
        row = session.get(CrawlRun, run_id)
        if row is not None:
            row.stats = {**(row.stats or {}), STAT_PID: pid, STAT_PID_STARTED: created}


def record_spawn_failure(ctx: JobContext, run_id: int, detail: str) -> None:
    """The child never started: close the run as failed, or it would look like a crawl in progress."""
    from storage.db import unit_of_work
    from storage.models import CrawlRun

    with unit_of_work(ctx.sessions) as session:
        row = session.get(CrawlRun, run_id)
        finish_run(row, "failed", "spawn_failed", detail)


def record_outcome(ctx: JobContext, group: CrawlGroup, run_id: int, result: ChildResult) -> str:
    """Close the run with what the daemon knows of the child's end, log one line, return the status."""
    from storage.db import unit_of_work
    from storage.models import CrawlRun

    with unit_of_work(ctx.sessions) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:  # deleted behind our back; nothing to record into
            log.error("crawl %s: run #%d disappeared from the database", group.name, run_id)
            return "failed"
        if result.stopped and run.status != "finished":
            # A crawl stopped by SIGTERM may record itself "failed" (Scrapy's graceful shutdown);
            # only we know it was a time limit, a memory ceiling or our own shutdown.
            detail = _STOPPED_DETAIL[result.stopped].format(timeout=group.timeout, memory=group.memory_mb)
            finish_run(run, _STOPPED_STATUS[result.stopped], result.stopped, detail)
        elif run.status == "running":
            # The child did not record its end: we know why, it does not.
            if result.returncode != 0:
                finish_run(run, "failed", f"exit_{result.returncode}", result.reason[:500])
            else:
                finish_run(
                    run, "failed", "unrecorded", "the crawl process exited without recording its outcome"
                )
        run.stats = {
            **(run.stats or {}),
            "daemon/seconds": round(result.seconds, 2),
            "daemon/peak_rss_mb": round(result.peak_rss_mb, 1),
        }
        status, pages, stored, errors = (
            run.status,
            run.pages_fetched,
            run.articles_stored,
            len(run.errors or []),
        )
        stats = run.stats or {}
        core, related = int(stats.get("raqib/classify/core", 0)), int(stats.get("raqib/classify/related", 0))
    level = logging.INFO if status == "finished" else logging.ERROR
    why = "" if status == "finished" else f": {result.stopped or result.reason}"
    log.log(
        level,
        "crawl %s: run #%d %s in %.1f s: %d pages fetched, %d articles stored (%d core, %d related), %d errors%s",
        group.name,
        run_id,
        status,
        result.seconds,
        pages,
        stored,
        core,
        related,
        errors,
        why,
    )
    return status
