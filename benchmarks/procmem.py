"""Peak resident memory of a whole process tree, sampled from a background thread, and the CPU time
of the tree's root and of all its descendants, read from the kernel when the root exits."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import psutil


def wait_cpu_seconds(proc: subprocess.Popen[str]) -> tuple[float, float] | None:
    """Wait for ``proc`` to exit; the CPU seconds of (the process itself, all the descendants it reaped).

    Exact whatever the length of the run, unlike samples: the process is read as a zombie (exited,
    not yet reaped, ``WNOWAIT``), when the kernel holds its own CPU time and the summed time of every
    child it reaped, each of which includes the children that one reaped in turn. A crawl reaps its
    forkserver at exit, and the forkserver has reaped the workers (crawler/forkserver.py), so all
    the workers' time is there, even if they lived less than one sampling interval. ``proc`` is
    left for the caller to reap (``proc.wait()``). None where ``waitid`` is missing (not POSIX) or
    the zombie cannot be read: the caller falls back on the sampled figures.
    """
    if not hasattr(os, "waitid") or not hasattr(os, "WNOWAIT"):
        return None
    while True:
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            break
        except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
            continue
        except ChildProcessError:  # reaped already
            return None
    try:
        times = psutil.Process(proc.pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system, times.children_user + times.children_system


class TreeMemorySampler:
    """Samples the summed RSS of a process and all its descendants every ``interval`` seconds, and
    keeps each one's CPU time as last seen (``cpu_seconds``: a fallback for ``wait_cpu_seconds``,
    short by whatever a process spent after its last sample, and missing any process that lived
    between two rescans).

    It runs on the cores it measures, so it is kept cheap: finding the descendants walks all of
    /proc (~5 ms), so that is redone every ``rescan`` seconds only; reading their RSS is cheap.

    RSS counts a page shared by several processes once in each: workers forked from one forkserver
    share most of theirs. ``peak_pss`` is the tree's proportional set size, which splits shared pages
    between their sharers (what the tree really takes); it costs ~0.6 ms a process, so it is read
    every ``pss_every`` samples only.
    """

    def __init__(self, pid: int, interval: float = 0.25, rescan: float = 2.0, pss_every: int = 4) -> None:
        self.pid = pid
        self.pss_every = pss_every
        self.peak_pss = 0
        self._count = 0
        self.interval = interval
        self.rescan = rescan
        self.peak = 0
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._procs: list[psutil.Process] = []
        self._scanned = 0.0
        # pid → (is the root process, last user+system CPU seconds seen): a process's CPU time can
        # only be read while it lives, so the last sample before it exits is what is kept.
        self.cpu: dict[int, tuple[bool, float]] = {}

    def _tree(self) -> list[psutil.Process]:
        now = time.monotonic()
        if now - self._scanned >= self.rescan or not self._procs:
            try:
                root = psutil.Process(self.pid)
                self._procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                self._procs = []
            self._scanned = now
        return self._procs

    def _tree_rss(self) -> int:
        total = pss = 0
        self._count += 1
        with_pss = self._count % self.pss_every == 0
        for proc in self._tree():
            try:
                with proc.oneshot():
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    if with_pss:
                        pss += proc.memory_full_info().pss
                self.cpu[proc.pid] = (proc.pid == self.pid, times.user + times.system)
            except psutil.Error:
                pass
        self.peak_pss = max(self.peak_pss, pss)
        return total

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds of (the root process, all its descendants), as last sampled."""
        root = sum(t for is_root, t in self.cpu.values() if is_root)
        return root, sum(t for is_root, t in self.cpu.values() if not is_root)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self._tree_rss()
            if rss:
                self.samples.append(rss)
                self.peak = max(self.peak, rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
