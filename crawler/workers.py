"""The worker processes that do the CPU-bound work of a crawl (extraction, language, classification).

trafilatura alone takes most of a core per page, so doing it in the Scrapy process would leave the
other cores idle and stall the downloader. One pool serves every spider of a crawl process: the
``raqib crawl`` command hands its own to each spider (the ``raqib_executor`` spider argument; settings
are deep-copied per crawler, an executor cannot be); a lone
``scrapy crawl`` gets one of its own, shut down when the spider closes.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, CancelledError, Executor, ProcessPoolExecutor
from typing import Any, TypeVar

from scrapy import signals
from scrapy.exceptions import DropItem

T = TypeVar("T")


def _die_with_parent(parent_pid: int) -> None:
    """Worker initializer: a worker must not outlive its crawl.

    A crawl stopped with SIGKILL (the daemon's timeout or memory ceiling, an operator) cannot shut its
    pool down, and idle workers would wait on their queue for ever, 170 MB each. Linux delivers
    SIGKILL to the worker when its parent dies; elsewhere a thread watches the parent's pid.
    """
    import os
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(2.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="raqib-parent-watch").start()


def make_executor(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: forking a process that runs a reactor and threads copies their locks mid-use.
    import os

    return ProcessPoolExecutor(
        max_workers=max(1, workers),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


def get_executor(crawler: Any) -> Executor:
    shared = getattr(crawler.spider, "raqib_executor", None)
    if shared is not None:
        return shared
    own = getattr(crawler, "_raqib_executor", None)
    if own is None:
        own = make_executor(crawler.settings.getint("RAQIB_WORKERS", 1))
        crawler._raqib_executor = own
        crawler.signals.connect(lambda: own.shutdown(wait=True, cancel_futures=True), signal=signals.engine_stopped)
    return own


class WorkerUnavailable(DropItem):
    """The worker pool is gone (a worker was killed, or the crawl is shutting down).

    The item is dropped, not stored with an error: it was never judged, so the next crawl must
    download it again rather than skip it as already stored.
    """


async def run_in_worker(executor: Executor, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(executor, functools.partial(func, *args, **kwargs))
    except (BrokenExecutor, CancelledError, asyncio.CancelledError) as exc:
        raise WorkerUnavailable(f"worker unavailable ({type(exc).__name__}); retried next crawl") from exc
    except RuntimeError as exc:
        if "shutdown" in str(exc):  # "cannot schedule new futures after shutdown"
            raise WorkerUnavailable(f"worker pool shut down ({exc}); retried next crawl") from exc
        raise


@functools.lru_cache(maxsize=4)
def _classifier(rules_dir: str | None) -> Any:
    # One compiled rule set per worker process (and per rules folder), built on first use.
    from pathlib import Path

    from classifiers import load_classifier

    return load_classifier(rules_dir=Path(rules_dir)) if rules_dir else load_classifier()


def classify_in_worker(rules_dir: str | None, text: str, title: str, language: str) -> dict[str, Any]:
    decision = _classifier(rules_dir).classify(text, title=title, language=language)
    return decision.to_dict()


def warm_up(rules_dir: str | None) -> None:
    """Import the heavy libraries and compile the rules, so the first pages do not pay for it."""
    from crawler.extraction import extract_article
    from crawler.language import detect_language

    extract_article(b"<html><body><p>warm up</p></body></html>", "http://localhost/")
    detect_language("هذا نص قصير لتحميل نماذج اللغة")
    _classifier(rules_dir)


def start_workers(executor: Executor, workers: int, rules_dir: str | None) -> None:
    """Start every worker now, while the first feeds are downloading (spawned workers start lazily)."""
    for _ in range(max(1, workers)):
        executor.submit(warm_up, rules_dir)


def rules_version(rules_dir: str | None) -> str:
    return _classifier(rules_dir).rules_version
