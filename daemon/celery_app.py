"""The Celery application of the cluster mode, built from ``[cluster]`` (nothing at import time).

Delivery policy — why a job is neither lost nor run twice at once:

- ``task_acks_late``: a job is acknowledged when it ends, not when a worker takes it, so the broker
  still holds every job a worker was running when it died.
- RabbitMQ requeues a dead worker's unacknowledged jobs as soon as its connection closes (a killed
  process: at once; a machine gone: after two missed AMQP heartbeats, ``broker_heartbeat`` = 30 s).
- ``task_reject_on_worker_lost``: the same for the prefork pool, whose child may die alone.
- ``worker_prefetch_multiplier = 1``: a worker reserves no more jobs than it runs, so a queue of
  small jobs spreads over all workers and a dead worker holds few.
- Each delivery is counted in ``cluster_jobs.attempts`` (PostgreSQL); past ``max_tries`` the job is
  parked instead of killing one more worker.
- A job is acknowledged only at its end, so it must end within RabbitMQ's ``consumer_timeout``
  (30 min by default), or the broker closes the channel and redelivers it: keep crawl timeouts of
  cluster groups under it, or raise ``consumer_timeout`` in rabbitmq.conf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    from daemon.cluster_config import ClusterConfig

CRAWL_TASK = "raqib.crawl_job"


def make_app(cluster: ClusterConfig) -> Celery:
    """A Celery app on the configured broker; tasks are registered by the worker that runs them."""
    from celery import Celery
    from kombu import Queue

    app = Celery("raqib", broker=cluster.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A job that raised has recorded its failure in its crawl run; running it again at once would
        # fail the same way, and the next poll retries it anyway.
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        broker_heartbeat=30,
        broker_connection_retry_on_startup=False,
        broker_connection_max_retries=None,
        task_default_queue=cluster.queue,
        task_queues=(Queue(cluster.queue, durable=True),),
        task_routes={CRAWL_TASK: {"queue": cluster.queue}},
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
        task_send_sent_event=True,
        # The only thing in a message is a job id; the job itself is in PostgreSQL.
        task_default_delivery_mode="persistent",
    )
    return app


def check_broker(cluster: ClusterConfig, timeout: float = 5.0) -> None:
    """Connect once to the broker, raising ``BrokerError`` with the (password-less) URL if it cannot."""
    from kombu import Connection

    try:
        with Connection(cluster.broker_url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - kombu raises many kinds; all mean "unreachable"
        raise BrokerError(f"cannot reach the broker at {cluster.shown_url}: {_why(error)}") from None


def queue_depth(cluster: ClusterConfig, timeout: float = 5.0) -> tuple[int, int] | None:
    """(messages ready, consumers) of the crawl queue, or None when the broker cannot be asked."""
    from kombu import Connection

    try:
        with Connection(cluster.broker_url, connect_timeout=timeout) as conn:
            channel = conn.channel()
            _name, messages, consumers = channel.queue_declare(queue=cluster.queue, passive=True)
            return int(messages), int(consumers)
    except Exception:  # noqa: BLE001 - status must report, not crash, when the broker is away
        return None


class BrokerError(RuntimeError):
    """The broker of ``[cluster] broker_url`` cannot be reached."""


def _why(error: Any) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
