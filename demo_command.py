"""`raqib demo`: serve the bundled offline news site, crawl it into a fresh SQLite file, write a digest
of the flagged stories and print a summary (see cli.py).

The one command that runs a crawl and then a digest, so it lives here, in the command layer beside
cli.py, and not in either package: crawler/ never imports digests/ (tests/unit/test_layers.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

DEMO_OVERRIDES: dict[str, Any] = {
    # The demo site is on loopback, which the URL guard refuses by default.
    "RAQIB_ALLOWED_NETWORKS": ["127.0.0.1/32"],
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "RETRY_TIMES": 1,
    # The summary lists every failure by reason; per-page warnings would bury it.
    "LOG_LEVEL": "ERROR",
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
}


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="crawl the bundled offline Arabic news site into a fresh SQLite file and summarise",
        description=(
            "Serve the bundled offline news site on 127.0.0.1, crawl it with the real spiders into a fresh "
            "SQLite file, write a digest of the flagged stories and print a summary."
        ),
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("var/demo"),
        help="working folder (default: %(default)s); its database is recreated",
    )
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument(
        "--workers", type=int, default=0, help="extraction worker processes (default: one per core)"
    )
    demo.set_defaults(func=cmd_demo)


def demo_summary(url: str, run_id: int, digest_paths: list[str]) -> dict[str, Any]:
    """The summary `raqib demo --json` prints (its contract is in DESIGN.md), from the demo's database."""
    from sqlalchemy import func, select

    from storage.db import make_engine, session_factory
    from storage.models import Article, Classification, CrawlRun

    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            run = session.get(CrawlRun, run_id)
            assert run is not None
            by_language = dict(
                session.execute(
                    select(Article.language, func.count())
                    .where(Article.extraction_status == "ok")
                    .group_by(Article.language)
                ).all()
            )
            labels = dict(
                session.execute(select(Classification.label, func.count()).group_by(Classification.label)).all()
            )
            stored = (
                session.scalar(select(func.count()).select_from(Article).where(Article.extraction_status == "ok"))
                or 0
            )
            failures = Counter(e.get("reason", "unknown") for e in run.errors or [])
            return {
                "pages_fetched": run.pages_fetched,
                "articles_stored": stored,
                "by_language": {k or "unknown": v for k, v in sorted(by_language.items(), key=lambda kv: -kv[1])},
                "flagged": {"core": labels.get("core", 0), "related": labels.get("related", 0)},
                "failures": dict(sorted(failures.items())),
                "digest": digest_paths,
                "database": url,
                "crawl_run_id": run_id,
            }
    finally:
        engine.dispose()


def demo_digest(url: str, out: Path) -> list[str]:
    """The demo's digest files (every format), from the demo's own database and default settings."""
    from digests.config import settings_from_mapping
    from digests.run import run_digest
    from storage.db import make_engine, session_factory

    engine = make_engine(url)
    try:
        result = run_digest(
            session_factory(engine),
            settings_from_mapping({}, "<demo>"),
            formats=("html", "md", "json", "atom"),
            out_dir=out,
        )
    finally:
        engine.dispose()
    if not result.ok:
        raise RuntimeError(f"demo digest failed: {result.errors[0]}")
    return [str(p) for p in [*result.paths, *result.feeds]]


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.forkserver import warm_forkserver

    warm_forkserver()  # the workers' imports, on the other core, while this process imports Scrapy
    from crawler.commands import crawl_into
    from crawler.demo_site import DemoSite
    from crawler.sources import load_sources, select_sources
    from storage.db import upgrade

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "raqib-demo.sqlite"
    for stale in out.glob("raqib-demo.sqlite*"):
        stale.unlink()
    shutil.rmtree(out / "digest", ignore_errors=True)
    url = f"sqlite:///{db_path.resolve()}"
    upgrade(url)
    started = time.monotonic()
    with DemoSite() as site, tempfile.TemporaryDirectory() as tmp:
        sources_file = site.write_sources(Path(tmp) / "demo-sources.yaml")
        selected = select_sources(load_sources(sources_file))
        print(
            f"raqib demo: serving the bundled news site at {site.base_url}; crawling {len(selected)} sources…",
            file=sys.stderr,
        )
        overrides = {**DEMO_OVERRIDES, "RAQIB_SOURCES_FILE": str(sources_file)}
        if args.workers:
            overrides["RAQIB_WORKERS"] = args.workers
        result = crawl_into(selected, url, None, overrides)
    print(
        f"raqib demo: crawl {result['status']} in {time.monotonic() - started:.1f}s; writing the digest…",
        file=sys.stderr,
    )
    digest_paths = demo_digest(url, out / "digest")
    summary = demo_summary(url, result["crawl_run_id"], digest_paths)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    print(f"Pages fetched:    {summary['pages_fetched']}")
    print(f"Articles stored:  {summary['articles_stored']}")
    print("By language:      " + ", ".join(f"{k} {v}" for k, v in summary["by_language"].items()))
    print(f"Flagged:          {summary['flagged']['core']} core, {summary['flagged']['related']} related")
    print("Failures:         " + (", ".join(f"{k} {v}" for k, v in summary["failures"].items()) or "none"))
    print(f"Database:         {db_path}")
    for path in digest_paths:
        print(f"Digest:           {path}")
    return 0
