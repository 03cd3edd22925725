"""The cluster mode's bookkeeping in PostgreSQL: jobs, source leases, members' heartbeats.

The broker (RabbitMQ, through Celery) only moves job ids; everything that must survive a dead worker,
a dead daemon or a broker outage is here, written with statements that are safe when several
machines run them at once (row locks, atomic upserts), so that no source is crawled twice at once
and no job is lost or run past its ``max_tries``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update

from storage.models import ClusterJob, ClusterMember, SourceLease, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

OPEN_STATES = ("pending", "queued", "running")
FINAL_STATES = ("finished", "failed", "parked", "dropped", "skipped")


@dataclass(frozen=True)
class NewJob:
    group: str
    sources: tuple[str, ...]
    timeout: float
    memory_mb: float
    max_tries: int
    rules_version: str


@dataclass(frozen=True)
class Attempt:
    """What a worker may do with a delivery: ``run`` it, or not (``state``/``reason`` say why)."""

    run: bool
    job_id: int
    attempt: int
    state: str = "running"
    reason: str = ""
    group: str = ""
    sources: tuple[str, ...] = ()
    timeout: float = 0.0
    memory_mb: float = 0.0
    rules_version: str = ""
    previous_run_id: int | None = None


def sources_with_open_jobs(session: Session, horizon: timedelta) -> set[str]:
    """Sources of jobs still pending, queued or running, created within ``horizon`` (older open jobs
    are stuck — their worker and its redelivery both gone — and no longer block new ones)."""
    since = utcnow() - horizon
    rows = session.scalars(
        select(ClusterJob.sources).where(ClusterJob.state.in_(OPEN_STATES), ClusterJob.created_at >= since)
    )
    return {name for sources in rows for name in sources}


def recently_parked(session: Session, hold: timedelta) -> set[str]:
    """Sources of jobs parked within ``hold``: not enqueued again meanwhile, or they would kill
    ``max_tries`` more workers at every tick."""
    since = utcnow() - hold
    rows = session.scalars(
        select(ClusterJob.sources).where(ClusterJob.state == "parked", ClusterJob.finished_at >= since)
    )
    return {name for sources in rows for name in sources}


def add_jobs(session: Session, jobs: Iterable[NewJob]) -> list[int]:
    """Write jobs as ``pending`` (not yet published); returns their ids in order."""
    rows = [
        ClusterJob(
            group_name=job.group,
            sources=list(job.sources),
            state="pending",
            attempts=0,
            max_tries=job.max_tries,
            timeout=job.timeout,
            memory_mb=job.memory_mb,
            rules_version=job.rules_version,
            worker="",
            reason="",
        )
        for job in jobs
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def pending_ids(session: Session, limit: int = 1000) -> list[int]:
    """Jobs written but not yet published, oldest first."""
    return list(
        session.scalars(
            select(ClusterJob.id).where(ClusterJob.state == "pending").order_by(ClusterJob.id).limit(limit)
        )
    )


def mark_sent(session: Session, job_ids: Sequence[int]) -> None:
    # Only pending rows move: a worker that was faster than this update has already set "running".
    session.execute(
        update(ClusterJob)
        .where(ClusterJob.id.in_(job_ids), ClusterJob.state == "pending")
        .values(state="queued", sent_at=utcnow())
    )


def begin_attempt(
    session: Session, job_id: int, worker: str, *, redelivered: bool, stale_after: float
) -> Attempt:
    """Count a delivery of ``job_id`` to ``worker`` and say whether to run it.

    The row is locked (``FOR UPDATE``) so that two deliveries of one job count one after the other.
    A job already running elsewhere is taken over when the broker says this is a redelivery (it
    redelivers only once the first consumer is gone) or when the first worker's heartbeat is older
    than ``stale_after`` seconds; otherwise this delivery is a duplicate message (a publish repeated
    after an outage) and is dropped while the first one runs."""
    job = session.execute(select(ClusterJob).where(ClusterJob.id == job_id).with_for_update()).scalar_one_or_none()
    if job is None:
        return Attempt(run=False, job_id=job_id, attempt=0, state="dropped", reason="no such job in the database")
    if job.state in FINAL_STATES:
        return Attempt(
            run=False, job_id=job_id, attempt=job.attempts, state=job.state, reason=f"already {job.state}"
        )
    if job.state == "running" and not redelivered and job.worker != worker and member_alive(session, job.worker, stale_after):
        return Attempt(
            run=False, job_id=job_id, attempt=job.attempts, state="duplicate",
            reason=f"a duplicate message: the job is running on {job.worker}",
        )
    previous_run = job.crawl_run_id if job.state == "running" else None
    job.attempts += 1
    now = utcnow()
    if job.attempts > job.max_tries:
        job.reason = (
            f"parked after {job.max_tries} deliveries that did not finish (each worker that took it died or "
            f"lost its broker connection); last on {previous_worker(job)}"
        )
        job.state, job.finished_at, job.worker = "parked", now, worker
        return Attempt(
            run=False, job_id=job_id, attempt=job.attempts, state="parked", reason=job.reason,
            group=job.group_name, sources=tuple(job.sources), previous_run_id=previous_run,
        )
    job.state, job.worker, job.started_at = "running", worker, now
    return Attempt(
        run=True,
        job_id=job_id,
        attempt=job.attempts,
        group=job.group_name,
        sources=tuple(job.sources),
        timeout=job.timeout,
        memory_mb=job.memory_mb,
        rules_version=job.rules_version,
        previous_run_id=previous_run,
    )


def member_alive(session: Session, name: str, stale_after: float) -> bool:
    """Whether member ``name`` reported within ``stale_after`` seconds and has not said it stopped."""
    row = session.get(ClusterMember, name)
    if row is None or row.stopped_at is not None:
        return False
    return row.seen_at >= utcnow() - timedelta(seconds=stale_after)


def previous_worker(job: ClusterJob) -> str:
    return job.worker or "an unknown worker"


def set_run(session: Session, job_id: int, crawl_run_id: int) -> None:
    session.execute(update(ClusterJob).where(ClusterJob.id == job_id).values(crawl_run_id=crawl_run_id))


def finish(session: Session, job_id: int, state: str, reason: str = "") -> None:
    session.execute(
        update(ClusterJob)
        .where(ClusterJob.id == job_id)
        .values(state=state, reason=reason[:2000], finished_at=utcnow())
    )


# ---------------------------------------------------------------------------------------------------
# Leases: one crawler per source across the cluster


def acquire_leases(
    session: Session, sources: Sequence[str], job_id: int, holder: str, ttl: float
) -> tuple[list[str], dict[str, str]]:
    """Take the lease of each source; returns (taken, {busy source: its holder}).

    One atomic upsert per source: a lease is taken when free, expired, or held by this same job (a
    redelivered job whose first worker died: the broker only redelivers once that worker is gone)."""
    from sqlalchemy.dialects.postgresql import insert

    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    taken: list[str] = []
    busy: dict[str, str] = {}
    for name in sources:
        stmt = insert(SourceLease).values(source=name, job_id=job_id, holder=holder, expires_at=expires)
        stmt = stmt.on_conflict_do_update(
            index_elements=[SourceLease.source],
            set_={"job_id": job_id, "holder": holder, "expires_at": expires},
            where=(SourceLease.expires_at < now) | (SourceLease.job_id == job_id),
        ).returning(SourceLease.source)
        if session.execute(stmt).first() is not None:
            taken.append(name)
        else:
            row = session.get(SourceLease, name)
            busy[name] = f"job #{row.job_id} on {row.holder}" if row is not None else "another job"
    return taken, busy


def renew_leases(session: Session, job_id: int, ttl: float) -> int:
    result = session.execute(
        update(SourceLease)
        .where(SourceLease.job_id == job_id)
        .values(expires_at=utcnow() + timedelta(seconds=ttl))
    )
    return int(result.rowcount or 0)


def release_leases(session: Session, job_id: int) -> None:
    session.execute(delete(SourceLease).where(SourceLease.job_id == job_id))


# ---------------------------------------------------------------------------------------------------
# Members and what `raqib cluster status` reports


def heartbeat(
    session: Session,
    *,
    name: str,
    role: str,
    host: str,
    pid: int,
    concurrency: int,
    rules_version: str,
    running: int,
    stopped: bool = False,
) -> None:
    from sqlalchemy.dialects.postgresql import insert

    now = utcnow()
    values = {
        "role": role,
        "host": host,
        "pid": pid,
        "concurrency": concurrency,
        "rules_version": rules_version,
        "running": running,
        "seen_at": now,
        "stopped_at": now if stopped else None,
    }
    stmt = insert(ClusterMember).values(name=name, started_at=now, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=[ClusterMember.name], set_=values))


@dataclass(frozen=True)
class JobCounts:
    by_state: dict[str, int]
    oldest_waiting: datetime | None
    parked: list[tuple[int, str, list[str], str]]  # id, group, sources, reason
    failed_recent: int


def job_counts(session: Session, since: datetime) -> JobCounts:
    """Open jobs of any age, final ones since ``since``; the parked ones listed."""
    by_state = {
        state: int(count)
        for state, count in session.execute(
            select(ClusterJob.state, func.count())
            .where(ClusterJob.state.in_(OPEN_STATES) | (ClusterJob.created_at >= since))
            .group_by(ClusterJob.state)
        )
    }
    oldest = session.scalar(select(func.min(ClusterJob.created_at)).where(ClusterJob.state.in_(("pending", "queued"))))
    parked = [
        (row.id, row.group_name, list(row.sources), row.reason)
        for row in session.scalars(
            select(ClusterJob).where(ClusterJob.state == "parked", ClusterJob.created_at >= since).order_by(ClusterJob.id)
        )
    ]
    return JobCounts(by_state=by_state, oldest_waiting=oldest, parked=parked, failed_recent=by_state.get("failed", 0))


def members(session: Session) -> list[ClusterMember]:
    return list(session.scalars(select(ClusterMember).order_by(ClusterMember.role, ClusterMember.name)))


def parked_sources(session: Session, since: datetime) -> dict[str, str]:
    """Each source of a job parked since ``since``, with the job's reason (for source health)."""
    found: dict[str, str] = {}
    for job in session.scalars(select(ClusterJob).where(ClusterJob.state == "parked", ClusterJob.finished_at >= since)):
        for name in job.sources:
            found[name] = f"job #{job.id}: {job.reason}"
    return found


def give_back(session: Session, job_id: int, reason: str) -> None:
    """A worker shutting down hands its job back to the queue: the delivery does not count as a try."""
    session.execute(
        update(ClusterJob)
        .where(ClusterJob.id == job_id, ClusterJob.state == "running")
        .values(state="queued", attempts=func.greatest(ClusterJob.attempts - 1, 0), reason=reason[:2000])
    )
