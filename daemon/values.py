"""Values of the Raqib TOML file's daemon and cluster tables: durations and times of day, and the
error that names where a bad one is. Its own module so that ``daemon.config`` and
``daemon.cluster_config`` share them without importing each other."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class ConfigError(ValueError):
    """A bad value in the [daemon] tables, named with its file, table and key."""


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


def parse_time(value: Any, where: str) -> time:
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
