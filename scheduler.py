"""The Raqib daemon: scheduled crawls and digests (``raqib daemon``). Nothing is built at import time.

``main`` reads the ``[daemon]`` table of the Raqib TOML file, takes the single-instance lock on the
database, marks crawl runs a dead daemon left behind, and runs an APScheduler 3 scheduler whose jobs
live in the same database (table ``apscheduler_jobs``), so a restart keeps the schedule and runs
what it missed, once. The jobs themselves (a child process per crawl or digest) are in ``jobs.py``.

Keys (all optional; see ``config/raqib.example.toml``)::

    [daemon]
    timezone = "Africa/Casablanca"     # default: [digest] timezone, else UTC
    sources = "config/sources.yaml"     # sources file for the crawls (--sources overrides)
    digest_at = "07:00"                 # local time of the daily digest; "" = no digest job
    digest_days = ["sun"]               # only these days (a weekly digest); default every day
    digest_every = "10m"                # instead of digest_at: a digest every period (compressed clock)
    digest_timeout = "15m"
    digest_misfire_grace = "12h"        # a digest missed by less than this runs late, once
    crawl_timeout = "30m"               # default wall-clock limit of one crawl
    crawl_memory_mb = 1536              # default memory ceiling (RSS of the crawl's process tree)
    shutdown_grace = "2m"               # on SIGTERM, how long a running crawl may go on
    kill_wait = "10s"                   # between SIGTERM and SIGKILL of a child being stopped
    max_parallel = 2                    # jobs (crawls + digest) running at once
    heartbeat = "30s"                   # how often the lock is checked
    crawl_command = [...]               # argv prefix of a crawl (tests); default: raqib crawl
    digest_command = [...]              # argv prefix of a digest (tests); default: raqib digest
    reclassify_before_digest = true     # the digest first re-judges stale or unclassified articles

    [[daemon.crawl]]                    # one table per source group; default: one group "all", hourly
    name = "maghreb"
    sources = ["hespress", "alyaoum24"] # default: every enabled source
    source_groups = ["maghreb"]         # or: the enabled sources of these sources.yaml groups
    every = "30m"                       # or: cron = "*/30 * * * *" (in the time zone above)
    timeout = "20m"                     # overrides crawl_timeout
    memory_mb = 1024                    # overrides crawl_memory_mb
    misfire_grace = "30m"               # default: the interval (cron: 1 h)
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import Engine

    from jobs import JobContext

log = logging.getLogger("raqib.daemon")

CONFIG_ENV = "RAQIB_CONFIG"
JOBS_TABLE = "apscheduler_jobs"
CRAWL_JOB_PREFIX = "raqib-crawl:"
DIGEST_JOB_ID = "raqib-digest"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUP_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class ConfigError(ValueError):
    """A bad value in the [daemon] tables, named with its file, table and key."""


class DaemonLockError(RuntimeError):
    """Another daemon holds the single-instance lock on this database."""


# ---------------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class CrawlGroup:
    name: str
    sources: tuple[str, ...] = ()  # empty: every enabled source (of source_groups, if any)
    source_groups: tuple[str, ...] = ()  # the `group` field of sources.yaml
    every: float | None = 3600.0  # seconds; None when cron is used
    cron: str | None = None
    timeout: float = 1800.0
    memory_mb: float = 1536.0
    misfire_grace: float = 3600.0


def _default_crawl_command() -> tuple[str, ...]:
    return (sys.executable, "-m", "cli", "crawl")


def _default_digest_command() -> tuple[str, ...]:
    return (sys.executable, "-m", "cli", "digest")


@dataclass(frozen=True)
class DaemonConfig:
    path: str = ""
    timezone: str = "UTC"
    sources_file: str = ""
    groups: tuple[CrawlGroup, ...] = (CrawlGroup(name="all"),)
    digest_at: time | None = time(7, 0)
    digest_days: tuple[str, ...] = ()
    digest_every: float | None = None
    digest_timeout: float = 900.0
    digest_memory_mb: float = 1024.0
    digest_misfire_grace: float = 12 * 3600.0
    email: bool = False
    # Before each digest, classify what is unclassified or judged by older rules (`raqib digest --reclassify`).
    reclassify: bool = True
    shutdown_grace: float = 120.0
    kill_wait: float = 10.0
    max_parallel: int = 2
    heartbeat: float = 30.0
    crawl_command: tuple[str, ...] = field(default_factory=_default_crawl_command)
    digest_command: tuple[str, ...] = field(default_factory=_default_digest_command)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def group(self, name: str) -> CrawlGroup | None:
        return next((group for group in self.groups if group.name == name), None)


def parse_duration(value: Any, where: str) -> float:
    """Seconds from a number (seconds) or a string such as "90s", "15m", "1h30m", "1d"."""
    if isinstance(value, bool):
        raise ConfigError(f'{where}: expected a duration such as "30m", got a boolean')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower().replace(" ", "")
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ConfigError(f'{where}: cannot read duration {value!r} (use e.g. "90s", "15m", "1h30m")')
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise ConfigError(f'{where}: expected a duration such as "30m", got {value!r}')
    if seconds <= 0:
        raise ConfigError(f"{where}: must be > 0, got {value!r}")
    return seconds


def _parse_time(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    match = (
        re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", str(value).strip())
        if isinstance(value, str)
        else None
    )
    if not match:
        raise ConfigError(f'{where}: expected a local time "HH:MM", got {value!r}')
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ConfigError(f"{where}: no such time of day {value!r}")
    return time(hour, minute, second)


def _command(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: expected a non-empty list of strings (argv)")
    # "python" in a test config means this interpreter, whose environment has Raqib installed.
    return tuple(sys.executable if i == 0 and v in {"python", "python3"} else v for i, v in enumerate(value))


class _Keys:
    """Typed access to one TOML table; unknown keys are errors (a typo must not pass silently)."""

    def __init__(self, path: str, name: str, data: Any, known: set[str]):
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{path}: [{name}] unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        self.path, self.name, self.data = path, name, data

    def where(self, key: str) -> str:
        return f"{self.path}: [{self.name}] {key}"

    def duration(self, key: str, default: float | None) -> float | None:
        return parse_duration(self.data[key], self.where(key)) if key in self.data else default

    def string(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise ConfigError(f"{self.where(key)}: expected a string, got {value!r}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{self.where(key)}: expected a number > 0, got {value!r}")
        return float(value)


_DAEMON_KEYS = {
    "timezone",
    "sources",
    "digest_at",
    "digest_days",
    "digest_every",
    "digest_timeout",
    "digest_memory_mb",
    "digest_misfire_grace",
    "crawl_timeout",
    "crawl_memory_mb",
    "shutdown_grace",
    "kill_wait",
    "max_parallel",
    "heartbeat",
    "crawl_command",
    "digest_command",
    "reclassify_before_digest",
    "crawl",
}
_GROUP_KEYS = {"name", "sources", "source_groups", "every", "cron", "timeout", "memory_mb", "misfire_grace"}


def config_from_mapping(data: dict[str, Any], path: str = "") -> DaemonConfig:
    """Validate the [daemon] and [[daemon.crawl]] tables of a parsed TOML document."""
    shown = path or "<defaults>"
    defaults = DaemonConfig()
    table = _Keys(shown, "daemon", data.get("daemon", {}), _DAEMON_KEYS)
    digest_table = data.get("digest", {}) if isinstance(data.get("digest", {}), dict) else {}
    timezone = table.string("timezone", str(digest_table.get("timezone", "UTC")))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{table.where('timezone')}: unknown time zone {timezone!r} (e.g. Asia/Riyadh)"
        ) from None

    crawl_timeout = table.duration("crawl_timeout", 1800.0) or 1800.0
    crawl_memory = table.number("crawl_memory_mb", 1536.0)
    groups = _groups(table, crawl_timeout, crawl_memory)

    digest_at: time | None = defaults.digest_at
    if "digest_at" in table.data:
        raw = table.data["digest_at"]
        digest_at = None if raw in ("", False) else _parse_time(raw, table.where("digest_at"))
    digest_every = table.duration("digest_every", None)
    days = table.data.get("digest_days", [])
    if not isinstance(days, list) or any(not isinstance(d, str) or d.lower()[:3] not in _DAYS for d in days):
        raise ConfigError(f'{table.where("digest_days")}: expected a list of days such as ["sun", "wed"]')

    max_parallel = table.number("max_parallel", defaults.max_parallel)
    if max_parallel != int(max_parallel):
        raise ConfigError(f"{table.where('max_parallel')}: expected a whole number, got {max_parallel!r}")
    email = data.get("email", {})
    sources = table.string("sources", "")
    reclassify = table.data.get("reclassify_before_digest", True)
    if not isinstance(reclassify, bool):
        raise ConfigError(f"{table.where('reclassify_before_digest')}: expected true or false, got {reclassify!r}")
    return DaemonConfig(
        path=path,
        timezone=timezone,
        sources_file=str(_relative_to(path, sources)) if sources else "",
        groups=groups,
        digest_at=digest_at,
        digest_days=tuple(dict.fromkeys(d.lower()[:3] for d in days)),
        digest_every=digest_every,
        digest_timeout=table.duration("digest_timeout", defaults.digest_timeout) or defaults.digest_timeout,
        digest_memory_mb=table.number("digest_memory_mb", defaults.digest_memory_mb),
        digest_misfire_grace=table.duration("digest_misfire_grace", defaults.digest_misfire_grace) or 1.0,
        email=bool(isinstance(email, dict) and email.get("enabled") is True),
        reclassify=reclassify,
        shutdown_grace=table.duration("shutdown_grace", defaults.shutdown_grace) or 1.0,
        kill_wait=table.duration("kill_wait", defaults.kill_wait) or 1.0,
        max_parallel=int(max_parallel),
        heartbeat=table.duration("heartbeat", defaults.heartbeat) or 1.0,
        crawl_command=_command(table.data["crawl_command"], table.where("crawl_command"))
        if "crawl_command" in table.data
        else _default_crawl_command(),
        digest_command=_command(table.data["digest_command"], table.where("digest_command"))
        if "digest_command" in table.data
        else _default_digest_command(),
    )


def _relative_to(config_path: str, value: str) -> Path:
    # A relative path in the file means relative to the file, not to wherever the daemon was started.
    candidate = Path(value).expanduser()
    if not candidate.is_absolute() and config_path:
        candidate = Path(config_path).resolve().parent / candidate
    return candidate


def _groups(table: _Keys, crawl_timeout: float, crawl_memory: float) -> tuple[CrawlGroup, ...]:
    raw_groups = table.data.get("crawl")
    if raw_groups is None:
        return (CrawlGroup(name="all", timeout=crawl_timeout, memory_mb=crawl_memory),)
    if not isinstance(raw_groups, list) or not raw_groups:
        raise ConfigError(f"{table.path}: [[daemon.crawl]] must be one or more tables")
    groups: list[CrawlGroup] = []
    for index, raw in enumerate(raw_groups, 1):
        name_hint = raw.get("name", f"#{index}") if isinstance(raw, dict) else f"#{index}"
        keys = _Keys(table.path, f"daemon.crawl {name_hint}", raw, _GROUP_KEYS)
        name = keys.string("name", "")
        if not _GROUP_NAME.match(name):
            raise ConfigError(f"{keys.where('name')}: expected a name of letters, digits, '-', '_' or '.'")
        if any(g.name == name for g in groups):
            raise ConfigError(f"{keys.where('name')}: group {name!r} is defined twice")
        sources = keys.data.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources):
            raise ConfigError(f"{keys.where('sources')}: expected a list of source names")
        source_groups = keys.data.get("source_groups", [])
        if not isinstance(source_groups, list) or not all(isinstance(s, str) and s for s in source_groups):
            raise ConfigError(
                f"{keys.where('source_groups')}: expected a list of group names from the sources file"
            )
        every = keys.duration("every", None)
        cron = keys.data.get("cron")
        if (every is None) == (cron is None):
            raise ConfigError(f"{table.path}: [daemon.crawl {name}] needs exactly one of 'every' or 'cron'")
        if cron is not None:
            _check_cron(cron, keys.where("cron"))
        groups.append(
            CrawlGroup(
                name=name,
                sources=tuple(sources),
                source_groups=tuple(source_groups),
                every=every,
                cron=cron,
                timeout=keys.duration("timeout", crawl_timeout) or crawl_timeout,
                memory_mb=keys.number("memory_mb", crawl_memory),
                misfire_grace=keys.duration("misfire_grace", every or 3600.0) or 3600.0,
            )
        )
    return tuple(groups)


def _check_cron(expression: Any, where: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    if not isinstance(expression, str):
        raise ConfigError(f'{where}: expected a crontab string such as "*/30 * * * *"')
    try:
        CronTrigger.from_crontab(expression, timezone=UTC)
    except ValueError as error:
        raise ConfigError(f"{where}: invalid crontab {expression!r}: {error}") from None


def load_config(path: str | None = None) -> DaemonConfig:
    """``path``, else $RAQIB_CONFIG, else the defaults (one hourly crawl of all sources, digest at 07:00)."""
    chosen = path or os.environ.get(CONFIG_ENV, "")
    if not chosen:
        return config_from_mapping({}, "")
    from digests.config import ConfigError as FileError
    from digests.config import read_config_file

    try:
        data = read_config_file(chosen)
    except FileError as error:
        raise ConfigError(str(error)) from None
    return config_from_mapping(data, str(Path(chosen).resolve()))


# ---------------------------------------------------------------------------------------------------
# Single-instance lock: kernel- or server-held, so a killed daemon cannot leave a lock that blocks


def _holder_info() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class FileLock:
    """SQLite: ``flock`` on ``<database>.daemon.lock``; the kernel drops it when the holder dies."""

    def __init__(self, db_path: Path):
        self.path = db_path.with_name(db_path.name + ".daemon.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            os.close(fd)
            raise DaemonLockError(
                f"another Raqib daemon is already running on this database ({_describe(holder)}); lock file {self.path}"
            ) from None
        previous = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        if previous:
            log.warning("taking over the daemon lock left by a daemon that is gone (%s)", _describe(previous))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_holder_info()).encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def alive(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        # The file stays: unlinking a lock file lets a waiter lock an orphaned inode.
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        return f"pid {info['pid']} on host {info['host']} since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


class AdvisoryLock:
    """PostgreSQL: a session advisory lock on a dedicated connection; the server drops it when the
    connection ends, however the daemon died."""

    KEY = (0x52415142, 1)  # "RAQB", daemon

    def __init__(self, engine: Engine):
        self.engine = engine
        self._engine: Engine | None = None
        self._conn: Any = None

    def acquire(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        info = _holder_info()
        name = f"raqib-daemon pid={info['pid']} host={info['host']}"[:63]
        self._engine = create_engine(
            self.engine.url, poolclass=NullPool, connect_args={"connect_timeout": 5, "application_name": name}
        )
        conn = self._engine.connect()
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": self.KEY[0], "b": self.KEY[1]}
        ).scalar()
        conn.commit()
        if not got:
            row = conn.execute(
                text(
                    "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.classid = :a AND l.objid = :b AND l.objsubid = 2 "
                    "AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"a": self.KEY[0], "b": self.KEY[1]},
            ).first()
            conn.close()
            self._engine.dispose()
            who = (
                f"{row[0] or 'unnamed session'} from {row[1] or 'local socket'} since {row[2]:%Y-%m-%d %H:%M:%S}"
                if row
                else "holder unknown"
            )
            raise DaemonLockError(f"another Raqib daemon is already running on this database ({who})")
        self._conn = conn

    def alive(self) -> bool:
        from sqlalchemy import exc, text

        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except exc.DBAPIError:
            return False

    def release(self) -> None:
        from sqlalchemy import exc, text

        if self._conn is not None:
            try:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:a, :b)"), {"a": self.KEY[0], "b": self.KEY[1]}
                )
                self._conn.commit()
                self._conn.close()
            except exc.DBAPIError:
                pass  # connection already gone, and the lock with it
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class NoLock:
    """An in-memory SQLite database is private to this process: there is nothing to share."""

    def acquire(self) -> None: ...

    def alive(self) -> bool:
        return True

    def release(self) -> None: ...


def make_lock(engine: Engine) -> FileLock | AdvisoryLock | NoLock:
    from storage.db import sqlite_path

    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    path = sqlite_path(engine.url)
    return FileLock(path) if path is not None else NoLock()


# ---------------------------------------------------------------------------------------------------
# The scheduler


def _job_executor_class() -> type:
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
                func="jobs:crawl_job",
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
            func="jobs:digest_job",
            args=("weekly" if config.digest_days else "daily",),
            trigger=trigger,
            misfire_grace=config.digest_misfire_grace,
            fingerprint=f"digest {trigger} {config.timezone}",
            run_at_start=False,
        )
    )
    return specs


def build_scheduler(config: DaemonConfig, engine: Engine, ctx: JobContext) -> BackgroundScheduler:
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
    import jobs

    failures = 0
    # "Due" means due when --once was started, not after the crawls took their time.
    now = datetime.now(config.tz)
    for group in config.groups:
        if ctx.stopping:
            break
        status = jobs.crawl_job(group.name, ctx=ctx)
        failures += status not in {"finished", "skipped"}
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
    job = scheduler.get_job(job_id)
    if job is not None:
        now = datetime.now(config.tz)
        scheduler.modify_job(job_id, next_run_time=job.trigger.get_next_fire_time(None, now))


# ---------------------------------------------------------------------------------------------------
# Entry points


def main(args: argparse.Namespace) -> int:
    """``raqib daemon``: build everything, run until SIGTERM/SIGINT (or once), exit 0."""
    import jobs
    from storage.db import connect_checked, resolve_database_url, session_factory, upgrade

    config = load_config(args.config)
    if args.sources:
        config = _replace(config, sources_file=str(Path(args.sources).resolve()))
    url = resolve_database_url(args.db)
    engine = connect_checked(url)
    ctx = jobs.JobContext(url, config, session_factory(engine))
    stop = threading.Event()
    # Before anything slow: a SIGTERM during start-up must also end in a clean exit 0.
    _install_signal_handlers(stop, ctx, config)
    lock = make_lock(engine)
    lock.acquire()
    # Alembic narrates every migration step at INFO; a daemon's log wants the outcome only.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        upgrade(engine)
        recovered = jobs.recover_stale_runs(ctx)
        if recovered:
            log.warning("%d crawl run(s) left by a previous daemon marked killed", recovered)
        scheduler = build_scheduler(config, engine, ctx)
        scheduler.start(paused=True)
        try:
            reconcile_jobs(scheduler, config)
            log.info(
                "daemon started: pid %d, time zone %s, %d crawl group(s), config %s",
                os.getpid(),
                config.timezone,
                len(config.groups),
                config.path or "defaults",
            )
            if args.once:
                failures = run_once(scheduler, config, ctx)
                return 1 if failures else 0
            scheduler.resume()
            while not stop.wait(config.heartbeat):
                if not lock.alive():
                    log.error("lost the single-instance lock (database connection gone?); stopping")
                    ctx.request_stop(0)
                    scheduler.pause()
                    return 1
            log.info("stopping: no new jobs; running jobs get %.0f s to finish", config.shutdown_grace)
            scheduler.pause()
        finally:
            ctx.request_stop(config.shutdown_grace)
            scheduler.shutdown(wait=True)
        log.info("daemon stopped")
        return 0
    finally:
        lock.release()
        engine.dispose()


def _replace(config: DaemonConfig, **changes: Any) -> DaemonConfig:
    from dataclasses import replace

    return replace(config, **changes)


def _install_signal_handlers(stop: threading.Event, ctx: JobContext, config: DaemonConfig) -> None:
    def handle(signum: int, _frame: Any) -> None:
        if stop.is_set() or ctx.stopping:
            # Second signal: no more patience for running children.
            log.warning("%s again: stopping running jobs now", signal.Signals(signum).name)
            ctx.request_stop(0)
            return
        log.info("%s received", signal.Signals(signum).name)
        ctx.request_stop(config.shutdown_grace)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `raqib daemon`."""
    from storage.location import add_db_argument

    parser = subparsers.add_parser(
        "daemon",
        help="crawl on a schedule and send the daily digest",
        description=(
            "Run scheduled crawls (one child process each, with a time limit and a memory ceiling) and the "
            "digest at its local time. Jobs are kept in the database, so a restart runs what was missed, once. "
            "Stops cleanly on SIGTERM/SIGINT. Only one daemon may run per database."
        ),
    )
    add_db_argument(parser)
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help=f"the Raqib TOML file (default: ${CONFIG_ENV}, else built-in defaults)",
    )
    parser.add_argument(
        "--sources",
        metavar="FILE",
        default=None,
        help="sources file for the crawls (overrides [daemon] sources)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="crawl every group once, send the digest if it is due, and exit (for cron); exit 1 if a job failed",
    )
    parser.set_defaults(func=main)


def standalone(argv: list[str] | None = None) -> int:
    """``python -m scheduler [daemon options]``: the daemon without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="python -m scheduler")
    parser.add_argument("--debug", action="store_true")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["daemon", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return main(args)
    except (ConfigError, DaemonLockError) as error:
        print(f"raqib: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - same one-line contract as cli.main
        from storage.db import DatabaseError

        if args.debug or not isinstance(error, DatabaseError):
            raise
        print(f"raqib: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(standalone())
