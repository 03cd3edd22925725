"""Real daemon processes for the end-to-end tests: start, watch the log, signal, wait."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FAKE_CRAWL = Path(__file__).resolve().parent / "fake_crawl.py"
# The daemon alone (robust to the rest of the CLI being mid-change) or through `raqib daemon`.
STANDALONE = [sys.executable, "-m", "scheduler"]
CLI = [sys.executable, "-m", "cli", "daemon"]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class DaemonProcess:
    """One `raqib daemon` child with its combined output in a file the test can read at any time."""

    def __init__(
        self,
        workdir: Path,
        args: list[str],
        *,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path = REPO,
    ):
        self.log_path = workdir / f"daemon-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        full_env = dict(os.environ)
        full_env.pop("RAQIB_CONFIG", None)
        full_env.pop("RAQIB_DATABASE_URL", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [*(command or STANDALONE), *args],
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def wait_log(self, pattern: str, timeout: float = 30.0, count: int = 1) -> str:
        regex = re.compile(pattern)

        def seen() -> bool:
            if self.proc.poll() is not None and len(regex.findall(self.log())) < count:
                raise AssertionError(
                    f"daemon exited ({self.proc.returncode}) before logging {pattern!r}:\n{self.log()[-3000:]}"
                )
            return len(regex.findall(self.log())) >= count

        try:
            wait_for(seen, timeout, f"{pattern!r} x{count} in the daemon log")
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- daemon log ---\n{self.log()[-3000:]}") from None
        return self.log()

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def stop(self) -> None:
        """Cleanup: make sure nothing outlives the test."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def toml_list(items: list[str]) -> str:
    return (
        "["
        + ", ".join('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
        + "]"
    )


def fake_crawl_command(*options: str) -> str:
    return toml_list(["python", str(FAKE_CRAWL), *options])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def crawl_runs(url: str) -> list[Any]:
    """Every crawl run, oldest first, read through the project's own storage layer."""
    from sqlalchemy import select

    from storage.db import make_engine, session_factory
    from storage.models import CrawlRun

    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    finally:
        engine.dispose()
