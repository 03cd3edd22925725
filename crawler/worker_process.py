"""What runs inside a crawl's worker processes: their initializer, warm-up and classifier.

Nothing here imports Scrapy: the forkserver the workers fork from imports this module to warm up
(crawler/worker_preload.py), and Scrapy would add half a second and its memory to it for nothing
(crawler/workers.py is the crawl process's side of the pool).
"""

from __future__ import annotations

import functools
from typing import Any


def die_with_parent(crawl_pid: int) -> None:
    """Worker initializer: a worker must not outlive its crawl.

    A crawl stopped with SIGKILL (the daemon's timeout or memory ceiling, an operator) cannot shut its
    pool down, and idle workers would wait on their queue for ever, 170 MB each. A worker's parent is
    the forkserver, which exits as soon as the crawl process is gone (its "alive" pipe closes); Linux
    then delivers SIGKILL to the worker. A thread also watches the crawl's pid, for other systems
    and for a forkserver that is slow to notice.
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

    def crawl_alive() -> bool:
        try:
            os.kill(crawl_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # alive, and someone else's: the pid was reused, the crawl is gone
            return False
        return True

    if not crawl_alive():  # the crawl died before we got here
        os._exit(1)

    def watch() -> None:
        while crawl_alive():
            time.sleep(2.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="raqib-parent-watch").start()


@functools.lru_cache(maxsize=4)
def classifier_for(rules_dir: str | None) -> Any:
    # One compiled rule set per worker process (and per rules folder), built on first use.
    from pathlib import Path

    from classifiers import load_classifier

    return load_classifier(rules_dir=Path(rules_dir)) if rules_dir else load_classifier()


def classify_in_worker(rules_dir: str | None, text: str, title: str, language: str) -> dict[str, Any]:
    decision = classifier_for(rules_dir).classify(text, title=title, language=language)
    return decision.to_dict()


def warm_up(rules_dir: str | None) -> None:
    """Import the heavy libraries and compile the rules, so the first pages do not pay for it."""
    from crawler.extraction import extract_article
    from crawler.language import detect_language

    extract_article(b"<html><body><p>warm up</p></body></html>", "http://localhost/")
    detect_language("هذا نص قصير لتحميل نماذج اللغة")
    classifier_for(rules_dir)


def warm_state() -> dict[str, Any]:
    """What this process has ready for pages: rule sets compiled, heavy libraries imported."""
    import sys

    return {
        "rule_sets": classifier_for.cache_info().currsize,
        "imported": sorted({"trafilatura", "langdetect", "lxml"} & {m.split(".")[0] for m in sys.modules}),
    }
