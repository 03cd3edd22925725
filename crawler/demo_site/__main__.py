"""`python -m crawler.demo_site [--port P] [--bench N]`: serve the demo site in the foreground."""

from __future__ import annotations

import argparse
import datetime
import tempfile
import threading
from pathlib import Path

from .server import DemoSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo_site", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--bench", type=int, default=0, metavar="N", help="also serve N generated pages")
    parser.add_argument("--slow-seconds", type=float, default=5.0, help="delay of the slow-page trap")
    parser.add_argument("--sources", type=Path, help="where to write the sources file (default: a temp dir)")
    parser.add_argument(
        "--today",
        type=datetime.date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the site is dated for: its newest stories are from the day before (default: today, UTC)",
    )
    args = parser.parse_args(argv)

    site = DemoSite(
        args.host, args.port, slow_seconds=args.slow_seconds, bench_articles=args.bench, today=args.today
    )
    with site:
        path = args.sources or Path(tempfile.mkdtemp(prefix="raqib-demo-")) / "sources.yaml"
        site.write_sources(path)
        print(f"demo site: {site.base_url}/", flush=True)
        print(f"other host (must stay unvisited): {site.other_base_url}/", flush=True)
        print(f"sources file: {path}", flush=True)
        print("press Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
