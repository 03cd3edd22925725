"""A crawl's worker processes start lean: what they import to run a page is free of Scrapy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_worker_side_imports_no_scrapy_twisted_or_sqlalchemy() -> None:
    # A fresh interpreter, as the forkserver is: it imports the preload (which warms up), and its
    # workers unpickle tasks from crawler.analysis.
    code = (
        "import sys\n"
        "import crawler.worker_preload\n"
        "import crawler.analysis\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'sqlalchemy'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", f"a worker would import {out.stdout.strip()}"


def test_workers_fork_warm_from_the_forkserver() -> None:
    # Before any task, a worker has the default rules compiled: it inherited them from the forkserver.
    from crawler.worker_process import warm_state
    from crawler.workers import make_executor

    executor = make_executor(1)
    try:
        state = executor.submit(warm_state).result(timeout=120)
    finally:
        executor.shutdown(wait=True)
    assert state == {"rule_sets": 1, "imported": ["langdetect", "lxml", "trafilatura"]}, state
