"""The daemon's APScheduler 3 scheduler: built from the configuration, its jobs kept in the database.

Jobs live in the Raqib database (table ``apscheduler_jobs``) so that a restart keeps the schedule and
runs what it missed, once. Every job gets a stable id, ``replace_existing=True``, ``coalesce=True``,
``max_instances=1``, a ``misfire_grace_time`` and the configured time zone (DESIGN.md convention 8).
The scheduler is built by ``scheduler.main`` only; nothing here runs at import time, and APScheduler
itself is imported only when a scheduler is built.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from daemon import jobs
from daemon.jobs import CRAWL_JOB_PREFIX, DIGEST_JOB_ID, JobSpec, job_specs

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import Engine

    from daemon.config import DaemonConfig
    from daemon.context import JobContext

log = logging.getLogger("raqib.daemon")

JOBS_TABLE = "apscheduler_jobs"


def _job_executor_class() -> type:
    # A class made on demand, so that importing this module does not import APScheduler.
    from apscheduler.executors.pool import ThreadPoolExecutor

    class ContextExecutor(ThreadPoolExecutor):
        """Runs stored jobs with the live :class:`JobContext` added to their pickled arguments."""

        def __init__(self, ctx: JobContext, max_workers: int):
            super().__init__(max_workers=max_workers)
            self._ctx = ctx

        def _do_submit_job(self, job: Any, run_times: Any) -> None:
            super()._do_submit_job(_BoundJob(job, self._ctx), run_times)

    return ContextExecutor


class _BoundJob:
    """A stored job seen through the executor: same id/args/grace, ``func`` bound to the context."""

    def __init__(self, job: Any, ctx: JobContext):
        self._job = job
        self._ctx = ctx

    @property
    def func(self) -> Any:
        job, ctx = self._job, self._ctx
        return lambda *args, **kwargs: job.func(*args, ctx=ctx, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __str__(self) -> str:
        return str(self._job)


def build_scheduler(config: DaemonConfig, engine: Engine, ctx: JobContext) -> BackgroundScheduler:
    """A stopped scheduler on the database's job store, running up to ``max_parallel`` jobs at once."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    executor = _job_executor_class()(ctx, max_workers=config.max_parallel)
    return BackgroundScheduler(
        timezone=config.tz,
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": executor},
        job_defaults={"coalesce": True, "max_instances": 1},
    )


def reconcile_jobs(scheduler: BackgroundScheduler, config: DaemonConfig) -> list[JobSpec]:
    """Make the stored jobs match the configuration, keeping each unchanged job's next run time.

    ``replace_existing=True`` alone would recompute every next run time from *now* and so forget
    what the daemon missed while it was down; keeping the stored time lets the scheduler run it
    (once, coalesced) if it is within the job's misfire grace time.
    """
    specs = job_specs(config)
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs():
        if job.id.startswith((CRAWL_JOB_PREFIX, DIGEST_JOB_ID)) and job.id not in wanted:
            log.info("removing job %s: no longer in the configuration", job.id)
            scheduler.remove_job(job.id)
    now = datetime.now(config.tz)
    for spec in specs:
        existing = scheduler.get_job(spec.id)
        extra: dict[str, Any] = {}
        if existing is not None and existing.name == spec.fingerprint and existing.next_run_time is not None:
            extra["next_run_time"] = existing.next_run_time
            if existing.next_run_time < now:
                log.info(
                    "job %s missed its run at %s; it runs once now if within its grace time",
                    spec.id,
                    existing.next_run_time,
                )
        elif spec.run_at_start:
            extra["next_run_time"] = now
        scheduler.add_job(
            spec.func,
            trigger=spec.trigger,
            args=list(spec.args),
            id=spec.id,
            name=spec.fingerprint,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(spec.misfire_grace),
            **extra,
        )
    for job in scheduler.get_jobs():
        log.info("scheduled %s: next run %s", job.id, job.next_run_time)
    return specs


def run_once(scheduler: BackgroundScheduler, config: DaemonConfig, ctx: JobContext) -> int:
    """Every crawl group once, then the digest if it is due; returns the number of failed jobs."""
    failures = 0
    # "Due" means due when --once was started, not after the crawls took their time.
    now = datetime.now(config.tz)
    for group in config.groups:
        if ctx.stopping:
            break
        status = jobs.crawl_job(group.name, ctx=ctx)
        failures += status not in {"finished", "skipped", "enqueued"}
        _advance(scheduler, CRAWL_JOB_PREFIX + group.name, config)
    job = scheduler.get_job(DIGEST_JOB_ID)
    if job is not None and job.next_run_time is not None and job.next_run_time <= now and not ctx.stopping:
        late = (now - job.next_run_time).total_seconds()
        if late <= config.digest_misfire_grace:
            failures += jobs.digest_job(*job.args, ctx=ctx) != "finished"
        else:
            log.warning("digest: due at %s, missed by more than its grace time; skipped", job.next_run_time)
        _advance(scheduler, DIGEST_JOB_ID, config)
    elif job is not None:
        log.info("digest: not due (next at %s)", job.next_run_time)
    return failures


def _advance(scheduler: BackgroundScheduler, job_id: str, config: DaemonConfig) -> None:
    # --once ran the job by hand: its next run is the trigger's next time after now, as if it had fired.
    job = scheduler.get_job(job_id)
    if job is not None:
        now = datetime.now(config.tz)
        scheduler.modify_job(job_id, next_run_time=job.trigger.get_next_fire_time(None, now))
