"""The [cluster] table: local mode without a broker, the environment's URL, errors naming the key."""

from __future__ import annotations

import pytest

from daemon.cluster import batches
from daemon.config import ConfigError, config_from_mapping


def test_no_broker_means_local_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAQIB_BROKER_URL", raising=False)
    assert config_from_mapping({}).cluster is None
    assert config_from_mapping({"cluster": {"batch": 3}}).cluster is None


def test_the_environment_url_wins_and_the_password_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAQIB_BROKER_URL", "amqp://raqib:s3cret@mq.example.org:5672//")
    cluster = config_from_mapping({"cluster": {"broker_url": "amqp://other//", "lease_ttl": "2m"}}).cluster
    assert cluster is not None
    assert cluster.broker_url == "amqp://raqib:s3cret@mq.example.org:5672//"
    assert "s3cret" not in cluster.shown_url and "mq.example.org" in cluster.shown_url
    assert (cluster.lease_ttl, cluster.batch, cluster.max_tries) == (120.0, 5, 3)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"broker_url": "redis://127.0.0.1:6379/0"}, "[cluster] broker_url: 'redis' is not an AMQP URL"),
        ({"broker_url": "amqp://x//", "batch": 0}, "[cluster] batch: expected a whole number ≥ 1, got 0"),
        ({"broker_url": "amqp://x//", "max_tries": "3"}, "[cluster] max_tries: expected a whole number ≥ 1"),
        ({"broker_url": "amqp://x//", "lease_ttl": "soon"}, "[cluster] lease_ttl: cannot read duration 'soon'"),
        ({"broker_url": "amqp://x//", "brokr": 1}, "[cluster]: unknown key 'brokr'"),
    ],
)
def test_bad_values_name_file_table_and_key(monkeypatch: pytest.MonkeyPatch, table: dict, message: str) -> None:
    monkeypatch.delenv("RAQIB_BROKER_URL", raising=False)
    with pytest.raises(ConfigError) as error:
        config_from_mapping({"cluster": table}, "/etc/raqib.toml")
    assert str(error.value).startswith("/etc/raqib.toml: ") and message in str(error.value)


def test_sources_are_split_into_jobs_of_batch_size_in_order() -> None:
    assert batches(["a", "b", "c", "d", "e"], 2) == [("a", "b"), ("c", "d"), ("e",)]
    assert batches([], 5) == []


def test_publication_times_of_many_sources_match_one_by_one(tmp_path) -> None:
    """The daemon's batched due check reads the same times as the per-source query."""
    from datetime import UTC, datetime, timedelta

    from daemon.polling import publication_times, publication_times_of
    from storage.db import make_engine, session_factory, unit_of_work, upgrade
    from storage.models import Article, Source

    engine = make_engine(f"sqlite:///{tmp_path / 'raqib.sqlite'}")
    upgrade(engine)
    base = datetime(2026, 12, 1, tzinfo=UTC)
    with unit_of_work(session_factory(engine)) as session:
        for s, name in enumerate(("a", "b", "c")):
            source = Source(name=name, outlet=name, kind="feed")
            session.add(source)
            session.flush()
            for i in range(4 + 3 * s):
                session.add(
                    Article(
                        url_hash=f"{name}{i}",
                        canonical_url=f"http://x/{name}{i}",
                        requested_url=f"http://x/{name}{i}",
                        final_url=f"http://x/{name}{i}",
                        source_id=source.id,
                        published_at=None if i % 3 == 0 else base - timedelta(hours=i * (s + 1)),
                        fetched_at=base + timedelta(minutes=i),
                        extraction_status="ok" if i != 2 else "failed",
                    )
                )
    with session_factory(engine)() as session:
        batched = publication_times_of(session, ["a", "b", "c", "none"], recent=5, chunk=2)
        for name in ("a", "b", "c"):
            assert batched[name] == publication_times(session, name, recent=5)
        assert batched["none"] == []
    engine.dispose()
