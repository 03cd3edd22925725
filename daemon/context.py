"""What the daemon's jobs share at run time: the database, the configuration, the shutdown flag.

APScheduler pickles each job's function reference and arguments into the database, so job
functions take only plain strings; this context reaches them as the ``ctx`` keyword, added by the
daemon's executor (``daemon.schedule``). Nothing secret (the database URL) is pickled, and no module
keeps global state. Its own module so that the jobs, the runners and the scheduler can all use it
without importing one another.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from daemon.cluster import Dispatcher
    from daemon.config import DaemonConfig


class JobContext:
    """Run-time state shared by the daemon's jobs; built by ``scheduler.main`` only."""

    def __init__(
        self,
        db_url: str,
        config: DaemonConfig,
        sessions: sessionmaker[Session],
        dispatcher: Dispatcher | None = None,
    ):
        self.db_url = db_url
        self.config = config
        self.sessions = sessions
        # Cluster mode: crawls are published to workers instead of run here (daemon.cluster).
        self.dispatcher = dispatcher
        self._stopping = threading.Event()
        self._stop_deadline: float | None = None
        self._lock = threading.Lock()

    def request_stop(self, grace_seconds: float) -> None:
        """Take no new job; running children get ``grace_seconds`` more (a second call shortens it)."""
        with self._lock:
            deadline = time.monotonic() + grace_seconds
            if self._stop_deadline is None or deadline < self._stop_deadline:
                self._stop_deadline = deadline
            self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def grace_expired(self) -> bool:
        with self._lock:
            return self._stop_deadline is not None and time.monotonic() >= self._stop_deadline

    def child_env(self) -> dict[str, str]:
        # The URL travels in the environment, not argv: argv is visible to every local user in ps.
        env = dict(os.environ)
        env["RAQIB_DATABASE_URL"] = self.db_url
        if self.config.path:
            env["RAQIB_CONFIG"] = self.config.path
        return env
