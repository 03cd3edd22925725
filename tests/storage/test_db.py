"""Locating, opening and refusing databases: every failure a user can cause is one readable line."""

from __future__ import annotations

import argparse
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import db
from storage import repository as repo


def _closed_port() -> int:
    """A 127.0.0.1 port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _one_line(error: BaseException) -> str:
    message = str(error)
    assert message and "\n" not in message, f"not one line: {message!r}"
    return message


def test_data_dir_and_url_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("RAQIB_DATA_DIR", "XDG_DATA_HOME", "RAQIB_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert db.default_data_dir() == tmp_path / "home" / ".local" / "share" / "raqib"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert db.default_data_dir() == tmp_path / "xdg" / "raqib"
    monkeypatch.setenv("RAQIB_DATA_DIR", str(tmp_path / "explicit"))
    assert db.default_data_dir() == tmp_path / "explicit"
    assert db.resolve_database_url() == f"sqlite:///{tmp_path / 'explicit' / 'raqib.sqlite'}"

    monkeypatch.setenv("RAQIB_DATABASE_URL", "postgresql+psycopg://u@h/d")
    assert db.resolve_database_url() == "postgresql+psycopg://u@h/d"
    # --db wins over the environment, and a bare path is a SQLite file
    assert db.resolve_database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert db.resolve_database_url("sqlite:///other.db") == "sqlite:///other.db"


def test_db_argument_help_names_environment_and_default() -> None:
    parser = argparse.ArgumentParser()
    db.add_db_argument(parser)
    help_text = parser.format_help()
    assert "RAQIB_DATABASE_URL" in help_text and "raqib.sqlite" in help_text
    assert parser.parse_args(["--db", "x.db"]).db == "x.db"


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dirs" / "raqib.sqlite"
    engine = db.connect_checked(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()
    # the write probe left nothing behind
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u@h/d", "unsupported database URL scheme 'mysql'"),
        ("not a url://x", "invalid database URL"),
    ],
)
def test_unknown_scheme(url: str, expected: str) -> None:
    with pytest.raises(db.DatabaseError) as caught:
        db.connect_checked(url)
    assert expected in _one_line(caught.value)


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgresql", "postgres"])
def test_unreachable_postgresql_is_one_line(scheme: str) -> None:
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(db.DatabaseError) as caught:
        db.connect_checked(f"{scheme}://postgres:secret@127.0.0.1:{port}/test")
    message = _one_line(caught.value)
    assert message.startswith(f"cannot connect to PostgreSQL at 127.0.0.1:{port}: "), message
    assert "refused" in message.lower()
    assert "secret" not in message
    assert time.monotonic() - started < 10


def test_read_only_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite"
    db.upgrade(f"sqlite:///{path}")
    with pytest.raises(db.DatabaseError) as caught:
        db.connect_checked(f"sqlite:///file:{path}?mode=ro&uri=true")
    message = _one_line(caught.value)
    assert "read-only" in message and str(path) in message


def test_sqlite_path_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(db.DatabaseError) as caught:
        db.connect_checked(f"sqlite:///{blocker / 'raqib.sqlite'}")
    assert "cannot create the directory" in _one_line(caught.value)


def test_sqlite_in_read_only_directory(tmp_path: Path) -> None:
    locked_dir = tmp_path / "ro"
    locked_dir.mkdir()
    locked_dir.chmod(0o555)
    try:
        probe = locked_dir / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:  # root ignores permission bits; the mode=ro test above covers this case then
            probe.unlink()
            pytest.skip("running as root: directory permissions are not enforced")
        with pytest.raises(db.DatabaseError) as caught:
            db.connect_checked(f"sqlite:///{locked_dir / 'raqib.sqlite'}")
        assert "SQLite database" in _one_line(caught.value)
    finally:
        locked_dir.chmod(0o755)


def test_locked_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        started = time.monotonic()
        with pytest.raises(db.DatabaseError) as caught:
            db.connect_checked(url, busy_timeout=0.2)
        assert "is locked by another process" in _one_line(caught.value)
        assert 0.15 < time.monotonic() - started < 5

        # the same from a unit of work, as a crawl's store stage would meet it
        engine = db.make_engine(url, busy_timeout=0.2)
        try:
            with pytest.raises(db.DatabaseError) as caught:
                with db.unit_of_work(db.session_factory(engine)) as session:
                    repo.store_articles(session, [repo.ArticleRecord(canonical_url="https://a.example/1")])
            assert "is locked" in _one_line(caught.value)
        finally:
            engine.dispose()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # and once the lock is released, the same database works
    engine = db.connect_checked(url, busy_timeout=0.2)
    engine.dispose()


def test_unit_of_work_commits_or_rolls_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'uow.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.session_factory(engine)
    try:
        with db.unit_of_work(factory) as session:
            repo.upsert_sources(session, [repo.SourceRecord("kept", "Kept")])
        with pytest.raises(RuntimeError):
            with db.unit_of_work(factory) as session:
                repo.upsert_sources(session, [repo.SourceRecord("dropped", "Dropped")])
                raise RuntimeError("boom")
        with engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM sources")).scalars().all()
        assert names == ["kept"]
    finally:
        engine.dispose()


def test_open_database_migrates_or_requires_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'open.sqlite'}"
    with pytest.raises(db.DatabaseError) as caught:
        db.open_database(url, migrate=False)
    assert "raqib db upgrade" in _one_line(caught.value)
    engine = db.open_database(url)
    try:
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()
    db.open_database(url, migrate=False).dispose()


def test_read_only_sessions_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'readers.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url, busy_timeout=0.2)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            repo.store_articles(session, [repo.ArticleRecord(canonical_url="https://a.example/1")])
        holder = sqlite3.connect(tmp_path / "readers.sqlite", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # a crawl in the middle of a write
        try:
            with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
                assert repo.known_url_hashes(session, [repo.url_hash("https://a.example/1")])
                assert repo.count_articles(session) == 1
            with pytest.raises(db.DatabaseError, match="is locked"):
                with db.unit_of_work(db.session_factory(engine)) as session:
                    repo.count_articles(session)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    finally:
        engine.dispose()
