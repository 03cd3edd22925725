"""The ``[cluster]`` table of the Raqib TOML file: whether crawls go to Celery workers, and how.

Without a broker URL (neither ``[cluster] broker_url`` nor ``$RAQIB_BROKER_URL``) Raqib is in local
mode and nothing here is used. Keys::

    [cluster]
    broker_url = "amqp://raqib:secret@mq.example.org:5672//"   # or $RAQIB_BROKER_URL (wins)
    batch = 5               # sources per job: one crawl process per job, so small sources share one
    max_tries = 3           # deliveries of a job that kill their worker before it is parked
    lease_ttl = "90s"       # a source's lease lapses this long after its worker's last renewal
    heartbeat = "15s"       # how often workers (and the daemon) report to cluster_members
    queue = "raqib.crawl"   # the RabbitMQ queue of crawl jobs
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from daemon.values import ConfigError, parse_duration

BROKER_ENV = "RAQIB_BROKER_URL"
_KEYS = {"broker_url", "batch", "max_tries", "lease_ttl", "heartbeat", "queue"}
# RabbitMQ closes a channel whose delivery stays unacknowledged past its consumer_timeout (30 min by
# default); a crawl job acknowledged only at its end must fit inside it.
RABBITMQ_CONSUMER_TIMEOUT = 1800.0


@dataclass(frozen=True)
class ClusterConfig:
    broker_url: str
    batch: int = 5
    max_tries: int = 3
    lease_ttl: float = 90.0
    heartbeat: float = 15.0
    queue: str = "raqib.crawl"

    @property
    def shown_url(self) -> str:
        """The broker URL without its password, for logs and errors."""
        from kombu.utils.url import maybe_sanitize_url

        return str(maybe_sanitize_url(self.broker_url))


def cluster_from_mapping(data: dict[str, Any], shown: str) -> ClusterConfig | None:
    """The validated ``[cluster]`` table of a parsed TOML document; None in local mode."""
    error = ConfigError
    table = data.get("cluster", {})
    if not isinstance(table, dict):
        raise error(f"{shown}: [cluster]: expected a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise error(f"{shown}: [cluster]: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    url = os.environ.get(BROKER_ENV, "").strip() or table.get("broker_url", "")
    if not isinstance(url, str):
        raise error(f"{shown}: [cluster] broker_url: expected a string such as \"amqp://guest@127.0.0.1:5672//\"")
    if not url:
        return None
    if not url.startswith(("amqp://", "amqps://", "pyamqp://")):
        raise error(f"{shown}: [cluster] broker_url: {url.split('://')[0]!r} is not an AMQP URL (amqp://…)")

    def whole(key: str, default: int, low: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise error(f"{shown}: [cluster] {key}: expected a whole number ≥ {low}, got {value!r}")
        return value

    return ClusterConfig(
        broker_url=url,
        batch=whole("batch", ClusterConfig.batch, 1),
        max_tries=whole("max_tries", ClusterConfig.max_tries, 1),
        lease_ttl=parse_duration(table.get("lease_ttl", "90s"), f"{shown}: [cluster] lease_ttl"),
        heartbeat=parse_duration(table.get("heartbeat", "15s"), f"{shown}: [cluster] heartbeat"),
        queue=str(table.get("queue", ClusterConfig.queue)),
    )
