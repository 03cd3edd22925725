"""The daemon's jobs: which jobs the configuration asks for, and what each one does when it runs.

The scheduler (``daemon.schedule``) decides *when*; the runner (``daemon.local``) decides *where*
(a watched child process); this module decides *what*: a crawl of one source group, recorded as a
crawl run, or a digest. Job functions are top-level functions whose stored arguments are plain
strings, because APScheduler pickles references to them (``daemon.jobs:crawl_job``) into the
database; the run-time :class:`~daemon.context.JobContext` arrives as the ``ctx`` keyword.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from daemon import runs
from daemon.local import run_child

if TYPE_CHECKING:
    import subprocess

    from daemon.config import CrawlGroup, DaemonConfig
    from daemon.context import JobContext

log = logging.getLogger("raqib.daemon")

# Stable ids: the job store keys on them, so a restart finds (and keeps) the jobs it stored.
CRAWL_JOB_PREFIX = "raqib-crawl:"
DIGEST_JOB_ID = "raqib-digest"
# What APScheduler stores for each job; renaming these orphans the jobs in every existing database.
CRAWL_FUNC = "daemon.jobs:crawl_job"
DIGEST_FUNC = "daemon.jobs:digest_job"


@dataclass(frozen=True)
class JobSpec:
    """One job as the configuration wants it; ``fingerprint`` changes when its schedule changes."""

    id: str
    func: str
    args: tuple[str, ...]
    trigger: Any
    misfire_grace: float
    fingerprint: str
    run_at_start: bool


def job_specs(config: DaemonConfig) -> list[JobSpec]:
    """A crawl job per group, then the digest job (if any), each with its trigger in the daemon's zone."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    tz = config.tz
    specs: list[JobSpec] = []
    for group in config.groups:
        if group.cron:
            trigger: Any = CronTrigger.from_crontab(group.cron, timezone=tz)
        else:
            trigger = IntervalTrigger(seconds=group.every, timezone=tz)
        specs.append(
            JobSpec(
                id=CRAWL_JOB_PREFIX + group.name,
                func=CRAWL_FUNC,
                args=(group.name,),
                trigger=trigger,
                misfire_grace=group.misfire_grace,
                fingerprint=f"crawl {group.name} {trigger} {config.timezone}",
                # A new group crawls at once instead of waiting a whole interval.
                run_at_start=True,
            )
        )
    if config.digest_every:
        trigger = IntervalTrigger(seconds=config.digest_every, timezone=tz)
    elif config.digest_at is not None:
        at = config.digest_at
        days = ",".join(config.digest_days) or "*"
        trigger = CronTrigger(day_of_week=days, hour=at.hour, minute=at.minute, second=at.second, timezone=tz)
    else:
        return specs
    specs.append(
        JobSpec(
            id=DIGEST_JOB_ID,
            func=DIGEST_FUNC,
            args=("weekly" if config.digest_days else "daily",),
            trigger=trigger,
            misfire_grace=config.digest_misfire_grace,
            fingerprint=f"digest {trigger} {config.timezone}",
            run_at_start=False,
        )
    )
    return specs


# ---------------------------------------------------------------------------------------------------
# What a job runs: the argv of its child (apart from how and where it is run, so another runner can reuse it)


def crawl_argv(
    config: DaemonConfig, group: CrawlGroup, run_id: int, sources: Sequence[str] | None = None
) -> list[str]:
    """``raqib crawl`` for one group (or only ``sources``, its due ones), recording into the crawl run
    the daemon opened for it."""
    argv = [*config.crawl_command, "--crawl-run-id", str(run_id)]
    if config.sources_file:
        argv += ["--sources", config.sources_file]
    if sources is not None:
        for name in sources:
            argv += ["--source", name]
        return argv
    for name in group.sources:
        argv += ["--source", name]
    for name in group.source_groups:
        argv += ["--group", name]
    return argv


def digest_argv(config: DaemonConfig) -> list[str]:
    """``raqib digest`` with the daemon's configuration file, e-mail and reclassify choices."""
    argv = list(config.digest_command)
    if config.path:
        argv += ["--config", config.path]
    if config.email:
        argv.append("--email")
    if config.reclassify:
        argv.append("--reclassify")
    return argv


# ---------------------------------------------------------------------------------------------------
# The job functions APScheduler calls (through the daemon's executor, which adds ``ctx``)


def crawl_job(group_name: str, *, ctx: JobContext | None = None) -> str:
    """Crawl one source group in a child process and record how it ended. Returns the run's status."""
    if ctx is None:
        raise TypeError("crawl_job runs inside the daemon, which passes its context")
    group = ctx.config.group(group_name)
    if group is None:
        log.error(
            "crawl %s: no such group in %s any more; skipped", group_name, ctx.config.path or "the defaults"
        )
        return "skipped"
    if ctx.stopping:
        log.info("crawl %s: not started, the daemon is stopping", group.name)
        return "skipped"
    if ctx.dispatcher is not None:
        return enqueue_crawl(ctx, group)
    busy = runs.busy_with(ctx, group)
    if busy is not None:
        log.warning(
            "crawl %s: skipped, crawl run #%d (%s) is still running on the same sources",
            group.name,
            busy.id,
            busy.sources or "all sources",
        )
        return "skipped"

    due: list[str] | None = None
    if group.adaptive:
        due = due_sources(ctx, group, datetime.now(UTC))
        if due == []:
            return "skipped"
    run_id = runs.open_run(ctx, group, due)

    def record_pid(proc: subprocess.Popen[Any]) -> None:
        runs.record_pid(ctx, run_id, proc.pid)

    argv = crawl_argv(ctx.config, group, run_id, due)
    scope = ", ".join(due if due is not None else group.sources) or (
        f"source groups {', '.join(group.source_groups)}" if group.source_groups else "all enabled sources"
    )
    log.info("crawl %s: started run #%d (%s)", group.name, run_id, scope)
    try:
        result = run_child(
            argv,
            label=f"crawl.{group.name}",
            env=ctx.child_env(),
            timeout=group.timeout,
            memory_mb=group.memory_mb,
            kill_wait=ctx.config.kill_wait,
            ctx=ctx,
            on_start=record_pid,
        )
    except OSError as error:
        runs.record_spawn_failure(ctx, run_id, f"{argv[0]}: {error.strerror or error}")
        log.error("crawl %s: could not start %s: %s", group.name, argv[0], error.strerror or error)
        return "failed"
    return runs.record_outcome(ctx, group, run_id, result)


def enqueue_crawl(ctx: JobContext, group: CrawlGroup) -> str:
    """Cluster mode: publish the group's sources (its due ones) as jobs for ``raqib worker``."""
    from daemon import polling

    assert ctx.dispatcher is not None
    names: list[str] | None
    if group.adaptive:
        names = due_sources(ctx, group, datetime.now(UTC))
        if names == []:
            return "skipped"
    else:
        names = None
    if names is None:
        names = polling.group_sources(ctx.config, group)
    if not names:
        log.error(
            "crawl %s: no source to enqueue (check the sources file %s)", group.name, ctx.config.sources_file or "default"
        )
        return "failed"
    ctx.dispatcher.enqueue(group, names)
    return "enqueued"


def due_sources(ctx: JobContext, group: CrawlGroup, now: datetime) -> list[str] | None:
    """The sources of an adaptive group due at ``now`` (aware), logged with the group's due/not-due
    counts; None when the group's sources cannot be listed (then the whole group is crawled)."""
    from daemon import polling

    names = polling.group_sources(ctx.config, group)
    if not names:
        return None
    with ctx.sessions() as session:
        schedule = polling.due_times(session, group, names, now)
    slack = polling.slack(group)
    due = [entry for entry in schedule if entry.is_due(now, slack)]
    waiting = sorted((entry for entry in schedule if not entry.is_due(now, slack)), key=lambda e: e.next_due)
    nearest = (
        f"; next: {waiting[0].source} at {waiting[0].next_due.astimezone(ctx.config.tz):%Y-%m-%d %H:%M:%S}"
        if waiting
        else ""
    )
    log.info(
        "crawl %s: %d source(s) due, %d not due%s%s",
        group.name,
        len(due),
        len(waiting),
        f" ({', '.join(f'{e.source} every {e.interval / 60:.0f} min' for e in due)})" if due else "",
        nearest,
    )
    return [entry.source for entry in due]


def digest_job(kind: str = "daily", *, ctx: JobContext | None = None) -> str:
    """Run ``raqib digest`` in a child process (files, and e-mail when ``[email] enabled``)."""
    if ctx is None:
        raise TypeError("digest_job runs inside the daemon, which passes its context")
    if ctx.stopping:
        log.info("digest: not started, the daemon is stopping")
        return "skipped"
    config = ctx.config
    argv = digest_argv(config)
    log.info("digest (%s): started", kind)
    try:
        result = run_child(
            argv,
            label="digest",
            env=ctx.child_env(),
            timeout=config.digest_timeout,
            memory_mb=config.digest_memory_mb,
            kill_wait=config.kill_wait,
            ctx=ctx,
        )
    except OSError as error:
        log.error("digest (%s): could not start %s: %s", kind, argv[0], error.strerror or error)
        return "failed"
    if result.stopped:
        log.error("digest (%s): stopped (%s) after %.1f s", kind, result.stopped, result.seconds)
        return result.stopped
    if result.returncode != 0:
        log.error("digest (%s): failed in %.1f s: %s", kind, result.seconds, result.reason)
        return "failed"
    summary = " | ".join(result.tail[-5:]) if result.tail else "no output"
    log.info("digest (%s): done in %.1f s: %s", kind, result.seconds, summary)
    return "finished"
