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
import os
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, CancelledError, Executor, ProcessPoolExecutor
from typing import Any, TypeVar

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler.forkserver import warm_forkserver
from crawler.worker_process import die_with_parent, warm_up

T = TypeVar("T")


def make_executor(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, forked from a forkserver that starts warming up now.

    Not fork: forking a process that runs a reactor and threads copies their locks mid-use. The
    forkserver is a fresh interpreter; it imports and warms up while the crawl process starts Scrapy
    and fetches its first feeds (crawler/worker_preload.py).
    """
    return ProcessPoolExecutor(
        max_workers=max(1, workers),
        mp_context=warm_forkserver(),
        initializer=die_with_parent,
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


def start_workers(executor: Executor, workers: int, rules_dir: str | None) -> None:
    """Start every worker now, while the first pages download (a pool starts its processes lazily)."""
    for _ in range(max(1, workers)):
        executor.submit(warm_up, rules_dir)
