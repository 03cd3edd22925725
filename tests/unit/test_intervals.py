"""Adaptive intervals (daemon.intervals) and their configuration, on explicit clocks only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.config import ConfigError, config_from_mapping
from daemon.intervals import next_interval, schedule

MIN, MAX = 600.0, 6 * 3600.0  # "10m", "6h"
T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def every(start: datetime, gap: timedelta, until: datetime) -> list[datetime]:
    out, t = [], start
    while t <= until:
        out.append(t)
        t += gap
    return out


def simulate(publications: list[datetime], start: datetime, hours: float) -> list[float]:
    """Poll as the daemon would (each poll sees what was published by then); the intervals used."""
    now, used = start, []
    while now < start + timedelta(hours=hours):
        seen = [t for t in publications if t <= now]
        interval = next_interval(seen, now, MIN, MAX)
        used.append(interval)
        now += timedelta(seconds=interval)
    return used


def test_no_data_gets_the_minimum():
    assert next_interval([], T0, MIN, MAX) == MIN


def test_fast_source_converges_to_the_minimum_and_a_slow_one_to_near_the_maximum():
    # Every ten minutes vs twice a day, over five days, starting with nothing stored.
    end = T0 + timedelta(days=6)
    fast = every(T0, timedelta(minutes=10), end)
    slow = every(T0 + timedelta(hours=7), timedelta(hours=12), end)
    fast_used = simulate(fast, T0 + timedelta(minutes=1), hours=120)
    slow_used = simulate(slow, T0 + timedelta(minutes=1), hours=120)
    assert fast_used[0] == MIN and slow_used[0] == MIN  # nothing known yet: learn fast
    assert all(i == MIN for i in fast_used[-50:])
    assert all(5 * 3600 <= i <= MAX for i in slow_used[-8:]), slow_used
    # Over the last day: about 144 polls of the fast outlet, 4 or 5 of the slow one.
    assert sum(fast_used[-144:]) == pytest.approx(86400)
    last_day, polls = 0.0, 0
    for interval in reversed(slow_used):
        last_day += interval
        polls += 1
        if last_day >= 86400:
            break
    assert 4 <= polls <= 5


def test_intermediate_rate_is_half_the_mean_gap():
    times = [T0 - timedelta(hours=2 * k) for k in range(1, 11)]  # every 2 h, newest 2 h ago
    assert next_interval(times, T0, MIN, MAX) == pytest.approx(3600.0)


def test_clamped_to_the_bounds():
    burst = [T0 - timedelta(seconds=k) for k in range(20)]
    assert next_interval(burst, T0, MIN, MAX) == MIN
    weekly = [T0 - timedelta(days=7 * k) for k in range(1, 5)]
    assert next_interval(weekly, T0, MIN, MAX) == MAX
    assert next_interval(weekly, T0, 60.0, 60.0) == 60.0


def test_silence_drifts_towards_the_maximum():
    # A ten-minute outlet that stopped: the longer the silence, the longer the interval.
    items = [T0 - timedelta(minutes=10 * k) for k in range(20)]
    later = [next_interval(items, T0 + timedelta(hours=h), MIN, MAX) for h in (0, 2, 6, 24)]
    assert later[0] == MIN
    assert later == sorted(later) and later[1] < later[2] < later[3] == MAX


def test_irregular_bursts_count_by_their_average_not_their_inner_gaps():
    # Five stories a minute apart every six hours: about 72 minutes per story on average, so polled
    # about every half hour -- not at the minimum, as the one-minute gaps inside a burst would say.
    bursts = [T0 - timedelta(hours=6 * b) + timedelta(minutes=m) for b in range(4) for m in range(5)]
    interval = next_interval(bursts, T0 + timedelta(minutes=5), MIN, MAX)
    assert 2 * MIN < interval < 3600


def test_only_the_newest_items_count_and_future_dates_count_as_now():
    old = [T0 - timedelta(days=30 + k) for k in range(100)]
    recent = [T0 - timedelta(minutes=5 * k) for k in range(20)]
    assert next_interval(old + recent, T0, MIN, MAX) == MIN
    assert next_interval([T0 + timedelta(days=3)] * 3, T0, MIN, MAX) == MIN


def test_due_time_is_last_poll_plus_interval_and_never_polled_is_due_now():
    items = [T0 - timedelta(hours=2 * k) for k in range(1, 11)]
    due = schedule("x", items, T0 - timedelta(minutes=30), T0, MIN, MAX)
    assert due.next_due == T0 + timedelta(minutes=30)
    assert not due.is_due(T0) and due.is_due(T0, slack=1800) and due.is_due(T0 + timedelta(minutes=30))
    fresh = schedule("y", items, None, T0, MIN, MAX)
    assert fresh.next_due == T0 and fresh.is_due(T0)


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        next_interval([], T0, 0.0, MAX)
    with pytest.raises(ValueError):
        next_interval([], T0, MAX, MIN)


# ---------------------------------------------------------------------------------------------------
# Configuration


def group(**keys: object) -> dict:
    return {"daemon": {"crawl": [{"name": "news", **keys}]}}


def test_adaptive_group_defaults_and_cadence():
    config = config_from_mapping(group(min_interval="5m", max_interval="2h"), "/etc/raqib.toml")
    news = config.group("news")
    assert news.adaptive and (news.min_interval, news.max_interval) == (300.0, 7200.0)
    assert news.every == 300.0, "an adaptive group without every/cron runs every min_interval"
    only_min = config_from_mapping(group(min_interval="1h"), "f.toml").group("news")
    assert (only_min.min_interval, only_min.max_interval, only_min.every) == (3600.0, 6 * 3600.0, 3600.0)
    only_max = config_from_mapping(group(max_interval="12h", every="5m"), "f.toml").group("news")
    assert (only_max.min_interval, only_max.max_interval, only_max.every) == (600.0, 12 * 3600.0, 300.0)
    cron = config_from_mapping(group(min_interval="15m", cron="*/15 * * * *"), "f.toml").group("news")
    assert cron.adaptive and cron.every is None
    plain = config_from_mapping(group(every="1h"), "f.toml").group("news")
    assert not plain.adaptive and plain.min_interval is None


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {"min_interval": "2h", "max_interval": "1h"},
            "/etc/raqib.toml: [daemon.crawl news] max_interval: '1h' is shorter than min_interval '2h'",
        ),
        (
            {"max_interval": "5m"},
            "/etc/raqib.toml: [daemon.crawl news] max_interval: '5m' is shorter than min_interval '10m'",
        ),
        (
            {"min_interval": "soon"},
            "/etc/raqib.toml: [daemon.crawl news] min_interval: cannot read duration 'soon'",
        ),
        ({"max_interval": 0}, "/etc/raqib.toml: [daemon.crawl news] max_interval: must be > 0"),
        (
            {"min_interval": "10m", "every": "1h"},
            "/etc/raqib.toml: [daemon.crawl news] every: '1h' is longer than min_interval '10m'",
        ),
        ({"min_intervall": "10m", "every": "1h"}, "[daemon.crawl news] unknown key 'min_intervall'"),
    ],
)
def test_bad_adaptive_keys_name_file_group_and_key(keys, message):
    with pytest.raises(ConfigError) as error:
        config_from_mapping(group(**keys), "/etc/raqib.toml")
    assert message in str(error.value)


def test_the_example_file_shows_an_adaptive_group():
    from pathlib import Path

    from daemon.config import load_config

    example = Path(__file__).resolve().parents[2] / "config" / "raqib.example.toml"
    group = load_config(str(example)).group("everything-else")
    assert group.adaptive and (group.min_interval, group.max_interval, group.every) == (600.0, 21600.0, 600.0)
