"""Databases for the storage tests: a fresh SQLite file, and a fresh schema on the real PostgreSQL.

Each PostgreSQL test gets its own schema (``pg_schema_url`` in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage import db

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'raqib.sqlite'}"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database, once per backend."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path)
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def db_url(empty_url: str) -> str:
    """URL of a database migrated to head."""
    db.upgrade(empty_url)
    return empty_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return db.session_factory(engine)
