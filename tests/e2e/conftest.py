"""Fixtures for the daemon tests: real daemon processes, a SQLite file or a throwaway PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.procs import DaemonProcess


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Any]:
    """``start_daemon(args, command=None, env=None)`` → a running :class:`DaemonProcess`; all are
    killed at the end of the test whatever happened."""
    started: list[DaemonProcess] = []

    def start(args: list[str], **kwargs: Any) -> DaemonProcess:
        daemon = DaemonProcess(tmp_path, args, **kwargs)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'raqib.sqlite'}"


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database of its own, so the daemon's tables never meet other tests' tables."""
    from sqlalchemy import create_engine, make_url, text

    name = f"raqib_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def demo_site() -> Iterator[Any]:
    """The bundled offline news site, served on a free loopback port."""
    from crawler.demo_site import DemoSite

    with DemoSite() as site:
        yield site


@pytest.fixture
def broker_url() -> str:
    """URL of the real RabbitMQ, or skip (fail under CI) when it is unreachable."""
    import os

    from kombu import Connection

    from tests.conftest import missing

    url = os.environ.get("RAQIB_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no broker"
        missing(f"RabbitMQ at {url} unreachable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return url


@pytest.fixture
def cluster_queue(broker_url: str) -> Iterator[str]:
    """A queue of this test's own on the real RabbitMQ, deleted afterwards."""
    from kombu import Connection

    name = f"raqib.test.{uuid.uuid4().hex[:10]}"
    yield name
    with Connection(broker_url, connect_timeout=3) as conn:
        try:
            conn.channel().queue_delete(queue=name)
        except Exception:  # noqa: BLE001 - a queue never declared is not an error here
            pass
