"""The daemon's configuration: the shipped example is valid for every reader of the file."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from daemon.config import ConfigError, config_from_mapping, load_config, parse_duration
from daemon.jobs import job_specs
from tests.e2e.procs import REPO

EXAMPLE = REPO / "config" / "raqib.example.toml"


def test_example_file_is_valid_for_the_daemon_and_the_digests():
    from digests.config import load_settings

    config = load_config(str(EXAMPLE))
    assert config.timezone == "Africa/Casablanca"
    assert config.digest_at == time(7, 0)
    assert [g.name for g in config.groups] == ["maghreb", "gulf-and-levant", "everything-else"]
    assert config.group("maghreb").every == 1800 and config.group("maghreb").timeout == 1200
    assert config.group("gulf-and-levant").cron == "15 * * * *"
    assert config.group("gulf-and-levant").source_groups == ("gulf", "levant")
    assert config.email is False
    settings = load_settings(EXAMPLE, env={})
    assert settings.timezone == "Africa/Casablanca"
    assert settings.email.recipients == ("analyst@example.org",)


def test_every_job_has_a_stable_id_and_the_configured_time_zone():
    specs = job_specs(load_config(str(EXAMPLE)))
    assert [s.id for s in specs] == [
        "raqib-crawl:maghreb",
        "raqib-crawl:gulf-and-levant",
        "raqib-crawl:everything-else",
        "raqib-digest",
    ]
    for spec in specs:
        assert str(spec.trigger.timezone) == "Africa/Casablanca"
        assert spec.misfire_grace > 0
    # 07:00 in Casablanca (UTC+1 in May 2024), whatever the machine's zone.
    fire = specs[-1].trigger.get_next_fire_time(None, datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    assert (fire.hour, fire.minute) == (7, 0)
    assert fire.astimezone(UTC) == datetime(2024, 5, 2, 6, 0, tzinfo=UTC)


def test_defaults_without_a_file():
    config = config_from_mapping({})
    assert [g.name for g in config.groups] == ["all"] and config.groups[0].every == 3600
    assert config.timezone == "UTC" and config.digest_at == time(7, 0)
    # The daemon's zone follows the digest's when only the digest names one.
    assert config_from_mapping({"digest": {"timezone": "Asia/Riyadh"}}).timezone == "Asia/Riyadh"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        (0.5, 0.5),
        ("90s", 90.0),
        ("15m", 900.0),
        ("1h30m", 5400.0),
        ("1d", 86400.0),
        ("250ms", 0.25),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text, "x") == seconds


@pytest.mark.parametrize("text", ["", "soon", "5 minutes", "-5s", 0, True, "1h 30x"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ConfigError, match="^x: "):
        parse_duration(text, "x")


def test_the_digest_reclassifies_first_unless_told_not_to():
    assert config_from_mapping({}).reclassify is True
    assert config_from_mapping({"daemon": {"reclassify_before_digest": False}}).reclassify is False
    with pytest.raises(ConfigError, match=r"\[daemon\] reclassify_before_digest: expected true or false"):
        config_from_mapping({"daemon": {"reclassify_before_digest": "yes"}}, "r.toml")
