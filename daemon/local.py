"""The local runner: one job in a watched child process on this machine.

Each crawl and digest runs in its own process (Scrapy's reactor cannot restart, as scrapyd found),
in its own session so that the whole process tree can be stopped, with ``PR_SET_PDEATHSIG`` so that
a daemon killed with SIGKILL does not leave orphans behind that would crawl on unsupervised. The
runner enforces the job's wall-clock limit and memory ceiling and the daemon's shutdown grace, and
reports how the child ended; what the job means (a crawl run, a digest) is ``daemon.jobs``'s business.
A runner that sends crawls elsewhere (``daemon/cluster.py``, Celery) would sit beside this one.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daemon.context import JobContext

log = logging.getLogger("raqib.daemon")

# Runs in the fresh child before exec: ask the kernel to SIGKILL it when the daemon thread that
# started it dies (SIGKILL of the daemon included), then check the daemon did not die already.
# Done in a tiny launcher rather than a preexec_fn, which is unsafe in a threaded parent.
_LAUNCHER = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(70)\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)
POLL_SECONDS = 0.5


@dataclass
class ChildResult:
    """How a child process ended. ``stopped`` is why we stopped it (None when it ended by itself)."""

    argv: list[str]
    pid: int
    returncode: int
    seconds: float
    stopped: str | None = None  # "timeout" | "memory" | "shutdown"
    peak_rss_mb: float = 0.0
    tail: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The child's last output line: by the CLI convention, the one-line reason of a failure."""
        return self.tail[-1] if self.tail else f"exit status {self.returncode}"


def _tree_rss_mb(proc: Any) -> float:
    import psutil

    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total / (1024 * 1024)


def signal_group(pgid: int, sig: int) -> None:
    """Signal a whole process group; a group that is already gone is not an error."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_process_group(proc: subprocess.Popen[Any], wait_seconds: float) -> None:
    """SIGTERM the child, then SIGKILL its whole process group after ``wait_seconds``.

    Only the child gets the SIGTERM: it shuts its own workers down (Scrapy stops gracefully and
    records its run); signalling them too would break its pool under it.
    """
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=wait_seconds)
    except subprocess.TimeoutExpired:
        log.warning("pid %d did not stop within %.0f s of SIGTERM; sending SIGKILL", proc.pid, wait_seconds)
    signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def run_child(
    argv: list[str],
    *,
    label: str,
    env: dict[str, str],
    timeout: float,
    memory_mb: float,
    kill_wait: float,
    ctx: JobContext,
    on_start: Any = None,
) -> ChildResult:
    """Run ``argv`` in its own session; stop it on timeout, memory overrun or shutdown past grace."""
    import psutil

    child_log = logging.getLogger(f"raqib.daemon.{label}")
    launched = [sys.executable, "-c", _LAUNCHER, str(os.getpid()), *argv]
    started = time.monotonic()
    proc = subprocess.Popen(
        launched,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    tail: collections.deque[str] = collections.deque(maxlen=40)

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                tail.append(line)
                child_log.debug("%s", line)

    reader = threading.Thread(target=pump, name=f"{label}-output", daemon=True)
    reader.start()
    if on_start is not None:
        on_start(proc)
    watched = psutil.Process(proc.pid)
    stopped: str | None = None
    peak = 0.0
    while True:
        try:
            proc.wait(timeout=POLL_SECONDS)
            break
        except subprocess.TimeoutExpired:
            pass
        rss = _tree_rss_mb(watched)
        peak = max(peak, rss)
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            stopped = "timeout"
            log.warning("%s: over its %.0f s time limit; stopping pid %d", label, timeout, proc.pid)
        elif rss > memory_mb:
            stopped = "memory"
            log.warning(
                "%s: uses %.0f MB, over its %.0f MB ceiling; stopping pid %d", label, rss, memory_mb, proc.pid
            )
        elif ctx.grace_expired():
            stopped = "shutdown"
            log.warning(
                "%s: still running when the shutdown grace period ended; stopping pid %d", label, proc.pid
            )
        if stopped:
            stop_process_group(proc, kill_wait)
            break
    # Grandchildren of a child that exited on its own would otherwise live on unsupervised.
    signal_group(proc.pid, signal.SIGKILL)
    reader.join(timeout=5)
    return ChildResult(
        argv=argv,
        pid=proc.pid,
        returncode=proc.returncode,
        seconds=time.monotonic() - started,
        stopped=stopped,
        peak_rss_mb=peak,
        tail=list(tail),
    )


def process_alive(pid: int | None, create_time: float | None) -> bool:
    """Whether ``pid`` still runs the process that started at ``create_time`` (pids get reused)."""
    import psutil

    if not pid:
        return False
    try:
        proc = psutil.Process(int(pid))
        if create_time is not None and abs(proc.create_time() - float(create_time)) > 1.0:
            return False  # the pid was reused by another process
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
