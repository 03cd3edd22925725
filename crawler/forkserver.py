"""The forkserver a crawl's workers fork from, started as early as a crawl knows it will run.

Kept free of Scrapy so that the commands can start it before they import Scrapy: it warms up
(crawler/worker_preload.py) on one core while the crawl process starts on the other.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
from multiprocessing.context import BaseContext

PRELOAD = ["crawler.worker_preload"]


def warm_forkserver() -> BaseContext:
    """Start this process's forkserver, which warms up in the background; idempotent."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    multiprocessing.forkserver.ensure_running()
    return context
