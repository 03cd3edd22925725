"""The daemon's single-instance lock: one daemon per database, whatever the machine it runs on.

Two daemons on one database would crawl the same sources twice and send every digest twice. The lock
is held by the kernel (SQLite: ``flock`` on a file beside the database) or by the server (PostgreSQL:
a session advisory lock), never by a row or a pid file, so that a daemon killed with SIGKILL cannot
leave behind a lock that blocks its successor.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("raqib.daemon")


class DaemonLockError(RuntimeError):
    """Another daemon holds the single-instance lock on this database."""


def _holder_info() -> dict[str, Any]:
    # Written where the next daemon can read it, so its refusal can say who holds the lock.
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class FileLock:
    """SQLite: ``flock`` on ``<database>.daemon.lock``; the kernel drops it when the holder dies."""

    def __init__(self, db_path: Path):
        self.path = db_path.with_name(db_path.name + ".daemon.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            os.close(fd)
            raise DaemonLockError(
                f"another Raqib daemon is already running on this database ({_describe(holder)}); lock file {self.path}"
            ) from None
        previous = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        if previous:
            log.warning("taking over the daemon lock left by a daemon that is gone (%s)", _describe(previous))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_holder_info()).encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def alive(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        # The file stays: unlinking a lock file lets a waiter lock an orphaned inode.
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        return f"pid {info['pid']} on host {info['host']} since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


class AdvisoryLock:
    """PostgreSQL: a session advisory lock on a dedicated connection; the server drops it when the
    connection ends, however the daemon died."""

    KEY = (0x52415142, 1)  # "RAQB", daemon

    def __init__(self, engine: Engine):
        self.engine = engine
        self._engine: Engine | None = None
        self._conn: Any = None

    def acquire(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        info = _holder_info()
        name = f"raqib-daemon pid={info['pid']} host={info['host']}"[:63]
        self._engine = create_engine(
            self.engine.url, poolclass=NullPool, connect_args={"connect_timeout": 5, "application_name": name}
        )
        conn = self._engine.connect()
        # The server drops the lock when this connection ends; keepalives make it notice within
        # about 25 s that a machine vanished without closing it, so a standby can take over.
        conn.execute(text("SET tcp_keepalives_idle = 10"))
        conn.execute(text("SET tcp_keepalives_interval = 5"))
        conn.execute(text("SET tcp_keepalives_count = 3"))
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": self.KEY[0], "b": self.KEY[1]}
        ).scalar()
        conn.commit()
        if not got:
            row = conn.execute(
                text(
                    "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.classid = :a AND l.objid = :b AND l.objsubid = 2 "
                    "AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"a": self.KEY[0], "b": self.KEY[1]},
            ).first()
            conn.close()
            self._engine.dispose()
            who = (
                f"{row[0] or 'unnamed session'} from {row[1] or 'local socket'} since {row[2]:%Y-%m-%d %H:%M:%S}"
                if row
                else "holder unknown"
            )
            raise DaemonLockError(f"another Raqib daemon is already running on this database ({who})")
        self._conn = conn

    def alive(self) -> bool:
        from sqlalchemy import exc, text

        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except exc.DBAPIError:
            return False

    def release(self) -> None:
        from sqlalchemy import exc, text

        if self._conn is not None:
            try:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:a, :b)"), {"a": self.KEY[0], "b": self.KEY[1]}
                )
                self._conn.commit()
                self._conn.close()
            except exc.DBAPIError:
                pass  # connection already gone, and the lock with it
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class NoLock:
    """An in-memory SQLite database is private to this process: there is nothing to share."""

    def acquire(self) -> None: ...

    def alive(self) -> bool:
        return True

    def release(self) -> None: ...


def make_lock(engine: Engine) -> FileLock | AdvisoryLock | NoLock:
    """The lock that fits the database behind ``engine``; nothing is taken until ``acquire()``."""
    from storage.db import sqlite_path

    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    path = sqlite_path(engine.url)
    return FileLock(path) if path is not None else NoLock()
