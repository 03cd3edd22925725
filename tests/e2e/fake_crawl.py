"""A stand-in for `raqib crawl` that the daemon tests control: it sleeps, may ignore SIGTERM or
grab memory, then fills its crawl run the way the real command does.

Usage (the daemon appends the last options): fake_crawl.py [--sleep S] [--ignore-term] [--grab-mb N]
[--marker FILE] --crawl-run-id N [--sources FILE] [--source NAME ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--grab-mb", type=int, default=0)
    parser.add_argument("--marker", default="")
    parser.add_argument("--fail", action="store_true")
    parser.add_argument("--crawl-run-id", type=int, required=True)
    parser.add_argument("--sources", default="")
    parser.add_argument("--source", action="append", default=[])
    # A cluster worker adds --workers and -s options the real command takes; they do not matter here.
    args, _ignored = parser.parse_known_args()
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    marker = Path(args.marker) if args.marker else None
    if marker:
        with marker.open("a") as fh:
            fh.write(f"start {args.crawl_run_id} {os.getpid()}\n")
    if args.fail:
        print("raqib: error: sources file broken.yaml: no such file", file=sys.stderr)
        return 2
    hog = bytearray(args.grab_mb * 1024 * 1024) if args.grab_mb else b""
    for i in range(0, len(hog), 4096):
        hog[i] = 1  # touch every page so it counts as resident
    deadline = time.monotonic() + args.sleep
    while time.monotonic() < deadline:
        time.sleep(0.05)

    from storage.db import make_engine, resolve_database_url, session_factory, unit_of_work
    from storage.models import CrawlRun

    engine = make_engine(resolve_database_url(None))
    with unit_of_work(session_factory(engine)) as session:
        run = session.get(CrawlRun, args.crawl_run_id)
        run.status = "finished"
        run.finished_at = datetime.now(UTC)
        run.pages_fetched = 3
        run.articles_stored = 2
        run.stats = {**(run.stats or {}), "fake/sources": ",".join(args.source) or "*"}
    engine.dispose()
    if marker:
        with marker.open("a") as fh:
            fh.write(f"end {args.crawl_run_id}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
