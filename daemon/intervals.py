"""Adaptive intervals: how often to poll a source, from how often it publishes.

Pure functions of timestamps (no clock is read here; callers pass ``now``), used by the crawl job of a
group that sets ``min_interval`` / ``max_interval`` (``daemon.config``) to crawl only its due sources.

The rate is the number of the source's last ``K`` items over the time from the oldest of them to *now*
(not to the newest): a steady outlet's estimate is its mean gap, a burst long ago is spread over the
whole window, and an outlet that has gone quiet drifts towards the maximum as the silence grows (the
gap is taken as at least half the time since the newest item, so a silence of a day reaches six hours
and the first new story brings the rate back). The interval is half the gap (headroom: a new story waits on average a quarter
of a gap), clamped to ``[min_interval, max_interval]``. A source with no item yet gets the minimum, so
a new source is learnt quickly.

The due time is the start of the last *finished* crawl run that covered the source plus its interval;
a source never crawled, or whose last crawl failed or was stopped, is due at once (failures stay the
health report's business, not hidden by the schedule). Nothing is stored: everything comes from the
articles and crawl runs already in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# How many of a source's newest items the rate is measured on.
RECENT_ITEMS = 20
# Poll twice per expected gap between two items.
HEADROOM = 2.0


def next_interval(
    published: Iterable[datetime],
    now: datetime,
    min_interval: float,
    max_interval: float,
    *,
    recent: int = RECENT_ITEMS,
) -> float:
    """Seconds until the source's next poll, from its items' publication times (aware datetimes)."""
    if min_interval <= 0 or max_interval < min_interval:
        raise ValueError(f"need 0 < min_interval <= max_interval, got {min_interval}, {max_interval}")
    # An item dated in the future (a wrong clock, a time-zone slip) counts as published now.
    times = sorted((min(t, now) for t in published), reverse=True)[:recent]
    if not times:
        return min_interval
    window = (now - times[-1]).total_seconds()
    silence = (now - times[0]).total_seconds()
    # Half the current silence bounds the gap from below, so a source gone quiet backs off
    # geometrically (a day of silence reaches six hours) instead of by 1/K of the silence.
    gap = max(window / len(times), silence / HEADROOM)
    return min(max(gap / HEADROOM, min_interval), max_interval)


@dataclass(frozen=True)
class Due:
    """One source's place in the schedule at ``now``."""

    source: str
    interval: float  # seconds
    last_polled: datetime | None  # start of its last finished crawl run
    next_due: datetime  # last_polled + interval, or now when never polled

    def is_due(self, now: datetime, slack: float = 0.0) -> bool:
        """Due now, or due within ``slack`` seconds (closer to now than to the group's next run)."""
        return self.next_due <= now + timedelta(seconds=slack)


def schedule(
    source: str,
    published: Iterable[datetime],
    last_polled: datetime | None,
    now: datetime,
    min_interval: float,
    max_interval: float,
) -> Due:
    """When ``source`` is next due, given its publication times and its last finished poll."""
    interval = next_interval(published, now, min_interval, max_interval)
    next_due = now if last_polled is None else last_polled + timedelta(seconds=interval)
    return Due(source=source, interval=interval, last_polled=last_polled, next_due=next_due)
