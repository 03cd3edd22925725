"""Fixtures shared by every test folder.

Services (PostgreSQL, Chromium) are real. Outside CI a missing service skips the test with the
reason; under CI=true it fails, because CI must prove the code against them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("RAQIB_SHARED_DATA", REPO.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(reason: str) -> None:
    """Skip outside CI, fail under CI: a skipped check in CI is a check CI lacks."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's real, not-to-be-committed material (../shared/data)."""
    if not SHARED_DATA.is_dir():
        missing(f"shared data folder {SHARED_DATA} not found (real articles are never committed)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the real PostgreSQL server, or skip/fail when it is unreachable."""
    url = os.environ.get("RAQIB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        missing(f"PostgreSQL at {url} unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh schema on the real PostgreSQL, chosen by ``search_path`` in the URL itself (so child
    processes and ``raqib --db URL`` land in it too), dropped afterwards."""
    from sqlalchemy import create_engine, make_url, text

    base = request.getfixturevalue("pg_url")
    schema = f"raqib_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def smtp() -> Iterator[tuple[object, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd): its inbox (tests.smtp_server.Inbox) and port."""
    from aiosmtpd.controller import Controller

    from tests.smtp_server import Inbox, free_port

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
