"""The daemon's configuration: the ``[daemon]`` and ``[[daemon.crawl]]`` tables of the Raqib TOML file.

Validated whole at start-up, so that a typo stops the daemon with one line naming the file, the table
and the key, instead of surfacing hours later when a job first runs. Nothing here touches the database
or the scheduler; APScheduler is imported only to check a crontab line.

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
    min_interval = "10m"                # adaptive intervals (either key turns them on): each source is
    max_interval = "6h"                 # polled from its publication rate, within these bounds; the
                                        # group runs every min_interval unless every/cron says otherwise
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.cluster_config import ClusterConfig, cluster_from_mapping
from daemon.values import ConfigError, parse_duration, parse_time

CONFIG_ENV = "RAQIB_CONFIG"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUP_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class CrawlGroup:
    """One ``[[daemon.crawl]]`` table: which sources, how often, and the limits of one crawl."""

    name: str
    sources: tuple[str, ...] = ()  # empty: every enabled source (of source_groups, if any)
    source_groups: tuple[str, ...] = ()  # the `group` field of sources.yaml
    every: float | None = 3600.0  # seconds; None when cron is used
    cron: str | None = None
    timeout: float = 1800.0
    memory_mb: float = 1536.0
    misfire_grace: float = 3600.0
    # Adaptive intervals (daemon.intervals): None = off, every run crawls all the group's sources.
    min_interval: float | None = None
    max_interval: float | None = None

    @property
    def adaptive(self) -> bool:
        return self.min_interval is not None and self.max_interval is not None


# Adaptive bounds when a group sets only one of them.
DEFAULT_MIN_INTERVAL = 600.0
DEFAULT_MAX_INTERVAL = 6 * 3600.0


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
    # [cluster]: None = local mode (crawls are child processes of the daemon).
    cluster: ClusterConfig | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def group(self, name: str) -> CrawlGroup | None:
        return next((group for group in self.groups if group.name == name), None)


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
_GROUP_KEYS = {
    "name",
    "sources",
    "source_groups",
    "every",
    "cron",
    "timeout",
    "memory_mb",
    "misfire_grace",
    "min_interval",
    "max_interval",
}


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
        digest_at = None if raw in ("", False) else parse_time(raw, table.where("digest_at"))
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
        raise ConfigError(
            f"{table.where('reclassify_before_digest')}: expected true or false, got {reclassify!r}"
        )
    return DaemonConfig(
        cluster=cluster_from_mapping(data, shown),
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
        min_interval, max_interval = _adaptive_bounds(keys, name)
        if min_interval is not None and every is None and cron is None:
            every = min_interval  # an adaptive group runs at its minimum unless told otherwise
        if min_interval is not None and every is not None and every > min_interval:
            raise ConfigError(
                f"{keys.where('every')}: {keys.data.get('every')!r} is longer than min_interval "
                f"{keys.data.get('min_interval', '10m')!r}: the group's sources cannot be polled more "
                "often than the group runs (shorten every, or drop it to run every min_interval)"
            )
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
                min_interval=min_interval,
                max_interval=max_interval,
            )
        )
    return tuple(groups)


def _adaptive_bounds(keys: _Keys, name: str) -> tuple[float | None, float | None]:
    """(min_interval, max_interval) of an adaptive group, or (None, None) when it sets neither."""
    if "min_interval" not in keys.data and "max_interval" not in keys.data:
        return None, None
    low = keys.duration("min_interval", DEFAULT_MIN_INTERVAL) or DEFAULT_MIN_INTERVAL
    high = keys.duration("max_interval", max(DEFAULT_MAX_INTERVAL, low)) or DEFAULT_MAX_INTERVAL
    if high < low:
        raise ConfigError(
            f"{keys.where('max_interval')}: {keys.data.get('max_interval')!r} is shorter than min_interval "
            f"{keys.data.get('min_interval', '10m')!r}"
        )
    return low, high


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
