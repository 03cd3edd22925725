"""The forkserver a crawl's workers fork from, started as early as a crawl knows it will run.

Kept free of Scrapy so that the commands can start it before they import Scrapy: it warms up
(crawler/worker_preload.py) on one core while the crawl process starts on the other.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
from multiprocessing.context import BaseContext

PRELOAD = ["crawler.worker_preload"]

_reaper_registered_in: set[int] = set()  # pids of the processes whose exit stops their forkserver


def warm_forkserver() -> BaseContext:
    """Start this process's forkserver, which warms up in the background; idempotent.

    The process that starts it also stops and reaps it when it exits (``stop_forkserver``).
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    multiprocessing.forkserver.ensure_running()
    pid = os.getpid()
    if pid not in _reaper_registered_in:
        _reaper_registered_in.add(pid)
        atexit.register(stop_forkserver, pid)
    return context


def stop_forkserver(owner: int | None = None, grace: float = 10.0) -> None:
    """Stop this process's forkserver and reap it; a no-op when none runs (or in a forked child of ``owner``).

    Run at exit by the process that started it, after its worker pools have shut down (each worker
    is reaped by the forkserver when the pool joins it). Left alone, the forkserver would notice its
    parent's exit a moment later, as an orphan: still holding the crawl's stdout open, and taking its
    CPU time, and that of every worker it reaped, out of the crawl's accounting. Reaped here, all of
    it counts in this process's children's usage (what ``wait4`` and ``getrusage(RUSAGE_CHILDREN)``
    report; the crawl benchmark reads it). The forkserver exits as soon as its "alive" pipe closes,
    once warmed up; one still busy after ``grace`` seconds is killed.
    """
    if owner is not None and os.getpid() != owner:
        return
    server = multiprocessing.forkserver._forkserver  # the module's own instance (3.11–3.13)
    pid = getattr(server, "_forkserver_pid", None)
    stop = getattr(server, "_stop", None)
    if pid is None or stop is None:
        return

    def kill() -> None:
        try:
            os.kill(pid, signal.SIGKILL)  # not reaped yet, so the pid is still ours
        except OSError:
            pass

    timer = threading.Timer(grace, kill)
    timer.daemon = True
    timer.start()
    try:
        stop()  # closes the "alive" pipe, waits for the forkserver, removes its socket
    except OSError:  # already reaped elsewhere (ChildProcessError), or its socket is gone
        pass
    finally:
        timer.cancel()
