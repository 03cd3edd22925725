"""What the daemon's jobs do: run one crawl or one digest in a watched child process.

The scheduler (``scheduler.py``) decides *when*; this module decides *how*. Job functions are
top-level functions whose stored arguments are plain strings (APScheduler pickles references to
them into its job store). What they need at run time — the database, the configuration, the
shutdown flag — arrives as a :class:`JobContext` that the daemon's executor adds as the ``ctx`` keyword, so nothing secret (the database URL) is pickled and no module keeps global state.

Each crawl and digest runs in its own process (Scrapy's reactor cannot restart), in its own session
so that the whole process tree can be stopped, with ``PR_SET_PDEATHSIG`` so that a daemon killed
with SIGKILL does not leave orphans behind that would crawl on unsupervised.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from scheduler import CrawlGroup, DaemonConfig

log = logging.getLogger("raqib.daemon")

# Keys the daemon adds to a crawl run's ``stats`` so that a restarted daemon can tell its own
# unfinished runs (and their processes) from a crawl somebody started by hand.
STAT_GROUP = "daemon/group"
STAT_HOST = "daemon/host"
STAT_PID = "daemon/pid"
STAT_PID_STARTED = "daemon/pid_create_time"

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


class JobContext:
    """Run-time state shared by the daemon's jobs; built by ``scheduler.main`` only."""

    def __init__(self, db_url: str, config: DaemonConfig, sessions: sessionmaker[Session]):
        self.db_url = db_url
        self.config = config
        self.sessions = sessions
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


# ---------------------------------------------------------------------------------------------------
# Child processes


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


def _signal_group(pgid: int, sig: int) -> None:
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
    _signal_group(proc.pid, signal.SIGKILL)
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
    _signal_group(proc.pid, signal.SIGKILL)
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


# ---------------------------------------------------------------------------------------------------
# Crawl runs in the database


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _host() -> str:
    return socket.gethostname()


def _names(sources: str) -> set[str]:
    return {name.strip() for name in (sources or "").split(",") if name.strip() and name.strip() != "*"}


def _overlaps(group_sources: tuple[str, ...], run_sources: str) -> bool:
    mine, theirs = set(group_sources), _names(run_sources)
    # An empty list on either side means "every enabled source".
    return not mine or not theirs or bool(mine & theirs)


def _process_alive(pid: int | None, create_time: float | None) -> bool:
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


def _finish_run(run: Any, status: str, reason: str, detail: str) -> None:
    run.status = status
    run.finished_at = _utcnow()
    run.errors = [*(run.errors or []), {"url": "", "source": run.sources, "reason": reason, "detail": detail}]


def recover_stale_runs(ctx: JobContext) -> int:
    """Mark crawl runs a dead daemon left "running" as killed, killing any orphan still alive.

    Called with the single-instance lock held, so no other daemon owns them.
    """
    from sqlalchemy import select

    from storage.db import unit_of_work
    from storage.models import CrawlRun

    recovered = 0
    with unit_of_work(ctx.sessions) as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            stats = run.stats or {}
            if STAT_GROUP not in stats:
                continue  # a crawl started by hand; not ours to judge
            pid, created = stats.get(STAT_PID), stats.get(STAT_PID_STARTED)
            if stats.get(STAT_HOST) == _host() and _process_alive(pid, created):
                log.warning("crawl run #%d: orphan process %s still alive; killing its group", run.id, pid)
                _signal_group(int(pid), signal.SIGKILL)
            _finish_run(run, "killed", "daemon_died", "the daemon stopped before this crawl ended")
            log.warning(
                "crawl run #%d (group %s) was left running by a dead daemon: marked killed",
                run.id,
                stats[STAT_GROUP],
            )
            recovered += 1
    return recovered


def _busy_with(ctx: JobContext, group: CrawlGroup) -> Any:
    """A running crawl run that covers some of the group's sources, or None."""
    from sqlalchemy import select

    from storage.models import CrawlRun

    recent = _utcnow() - timedelta(seconds=group.timeout + ctx.config.kill_wait + 60)
    with ctx.sessions() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            stats = run.stats or {}
            if STAT_GROUP in stats:
                alive = stats.get(STAT_HOST) != _host() or _process_alive(
                    stats.get(STAT_PID), stats.get(STAT_PID_STARTED)
                )
                if stats[STAT_GROUP] == group.name and alive:
                    return run
                if not alive:
                    continue
            elif run.started_at < recent:
                continue  # a hand-started crawl that never recorded its end
            if _overlaps(group.sources, run.sources):
                return run
    return None


# ---------------------------------------------------------------------------------------------------
# Jobs


def crawl_job(group_name: str, *, ctx: JobContext | None = None) -> str:
    """Crawl one source group in a child process and record how it ended. Returns the run's status."""
    if ctx is None:
        raise TypeError("crawl_job runs inside the daemon, which passes its context")
    from storage.db import unit_of_work
    from storage.models import CrawlRun

    group = ctx.config.group(group_name)
    if group is None:
        log.error(
            "crawl %s: no such group in %s any more; skipped", group_name, ctx.config.path or "the defaults"
        )
        return "skipped"
    if ctx.stopping:
        log.info("crawl %s: not started, the daemon is stopping", group.name)
        return "skipped"
    busy = _busy_with(ctx, group)
    if busy is not None:
        log.warning(
            "crawl %s: skipped, crawl run #%d (%s) is still running on the same sources",
            group.name,
            busy.id,
            busy.sources or "all sources",
        )
        return "skipped"

    with unit_of_work(ctx.sessions) as session:
        run = CrawlRun(
            sources=",".join(group.sources),
            status="running",
            stats={STAT_GROUP: group.name, STAT_HOST: _host(), STAT_PID: None},
            errors=[],
        )
        session.add(run)
        session.flush()
        run_id = run.id

    def record_pid(proc: subprocess.Popen[Any]) -> None:
        import psutil

        try:
            created = psutil.Process(proc.pid).create_time()
        except psutil.Error:
            created = None
        with unit_of_work(ctx.sessions) as session:
            row = session.get(CrawlRun, run_id)
            if row is not None:
                row.stats = {**(row.stats or {}), STAT_PID: proc.pid, STAT_PID_STARTED: created}

    argv = [*ctx.config.crawl_command, "--crawl-run-id", str(run_id)]
    if ctx.config.sources_file:
        argv += ["--sources", ctx.config.sources_file]
    for name in group.sources:
        argv += ["--source", name]
    for name in group.source_groups:
        argv += ["--group", name]
    scope = ", ".join(group.sources) or (
        f"source groups {', '.join(group.source_groups)}" if group.source_groups else "all enabled sources"
    )
    log.info("crawl %s: started run #%d (%s)", group.name, run_id, scope)
    try:
        result = run_child(
            argv,
            label=f"crawl.{group.name}",
            env=ctx.child_env(),
            timeout=group.timeout,
            memory_mb=group.memory_mb,
            kill_wait=ctx.config.kill_wait,
            ctx=ctx,
            on_start=record_pid,
        )
    except OSError as error:
        with unit_of_work(ctx.sessions) as session:
            row = session.get(CrawlRun, run_id)
            _finish_run(row, "failed", "spawn_failed", f"{argv[0]}: {error.strerror or error}")
        log.error("crawl %s: could not start %s: %s", group.name, argv[0], error.strerror or error)
        return "failed"
    return _record_crawl_outcome(ctx, group, run_id, result)


_STOPPED_STATUS = {"timeout": "timeout", "memory": "killed", "shutdown": "killed"}
_STOPPED_DETAIL = {
    "timeout": "over the wall-clock limit of {timeout:.0f} s",
    "memory": "over the memory ceiling of {memory:.0f} MB",
    "shutdown": "stopped by the daemon's shutdown after its grace period",
}


def _record_crawl_outcome(ctx: JobContext, group: CrawlGroup, run_id: int, result: ChildResult) -> str:
    from storage.db import unit_of_work
    from storage.models import CrawlRun

    with unit_of_work(ctx.sessions) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:  # deleted behind our back; nothing to record into
            log.error("crawl %s: run #%d disappeared from the database", group.name, run_id)
            return "failed"
        if result.stopped and run.status != "finished":
            # A crawl stopped by SIGTERM may record itself "failed" (Scrapy's graceful shutdown);
            # only we know it was a time limit, a memory ceiling or our own shutdown.
            detail = _STOPPED_DETAIL[result.stopped].format(timeout=group.timeout, memory=group.memory_mb)
            _finish_run(run, _STOPPED_STATUS[result.stopped], result.stopped, detail)
        elif run.status == "running":
            # The child did not record its end: we know why, it does not.
            if result.returncode != 0:
                _finish_run(run, "failed", f"exit_{result.returncode}", result.reason[:500])
            else:
                _finish_run(
                    run, "failed", "unrecorded", "the crawl process exited without recording its outcome"
                )
        run.stats = {
            **(run.stats or {}),
            "daemon/seconds": round(result.seconds, 2),
            "daemon/peak_rss_mb": round(result.peak_rss_mb, 1),
        }
        status, pages, stored, errors = (
            run.status,
            run.pages_fetched,
            run.articles_stored,
            len(run.errors or []),
        )
        stats = run.stats or {}
        core, related = int(stats.get("raqib/classify/core", 0)), int(stats.get("raqib/classify/related", 0))
    level = logging.INFO if status == "finished" else logging.ERROR
    why = "" if status == "finished" else f": {result.stopped or result.reason}"
    log.log(
        level,
        "crawl %s: run #%d %s in %.1f s: %d pages fetched, %d articles stored (%d core, %d related), %d errors%s",
        group.name,
        run_id,
        status,
        result.seconds,
        pages,
        stored,
        core,
        related,
        errors,
        why,
    )
    return status


def digest_job(kind: str = "daily", *, ctx: JobContext | None = None) -> str:
    """Run ``raqib digest`` in a child process (files, and e-mail when ``[email] enabled``)."""
    if ctx is None:
        raise TypeError("digest_job runs inside the daemon, which passes its context")
    if ctx.stopping:
        log.info("digest: not started, the daemon is stopping")
        return "skipped"
    config = ctx.config
    argv = list(config.digest_command)
    if config.path:
        argv += ["--config", config.path]
    if config.email:
        argv.append("--email")
    if config.reclassify:
        argv.append("--reclassify")
    log.info("digest (%s): started", kind)
    try:
        result = run_child(
            argv,
            label="digest",
            env=ctx.child_env(),
            timeout=config.digest_timeout,
            memory_mb=config.digest_memory_mb,
            kill_wait=config.kill_wait,
            ctx=ctx,
        )
    except OSError as error:
        log.error("digest (%s): could not start %s: %s", kind, argv[0], error.strerror or error)
        return "failed"
    if result.stopped:
        log.error("digest (%s): stopped (%s) after %.1f s", kind, result.stopped, result.seconds)
        return result.stopped
    if result.returncode != 0:
        log.error("digest (%s): failed in %.1f s: %s", kind, result.seconds, result.reason)
        return "failed"
    summary = " | ".join(result.tail[-5:]) if result.tail else "no output"
    log.info("digest (%s): done in %.1f s: %s", kind, result.seconds, summary)
    return "finished"
