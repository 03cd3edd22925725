"""Peak resident memory of a whole process tree, and the CPU time of each of its processes, sampled
from a background thread."""

from __future__ import annotations

import threading
import time

import psutil


class TreeMemorySampler:
    """Samples the summed RSS of a process and all its descendants every ``interval`` seconds, and
    keeps each one's CPU time as last seen (``cpu_seconds``).

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
