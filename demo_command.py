"""`raqib demo`: serve the bundled offline news site, crawl it into a fresh SQLite file, write a digest
of the flagged stories and print a summary (see cli.py). With ``--web``, then open the analysts'
workspace on that database, with a demo user whose password is printed, until Ctrl-C.

The one command that runs a crawl and then a digest, so it lives here, in the command layer beside
cli.py, and not in either package: crawler/ never imports digests/ (tests/unit/test_layers.py).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("var/demo")
DB_NAME = "raqib-demo.sqlite"
DEMO_USER = "demo"
# A reviewer reads everything and marks stories relevant or false alarms: the workspace's whole
# workflow. Not admin: the password is printed on a terminal, and an admin can also apply rule changes.
DEMO_ROLE = "reviewer"
WEB_HOST = "127.0.0.1"

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
        default=DEFAULT_OUT,
        help="working folder (default: %(default)s); its database is recreated",
    )
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument(
        "--workers", type=int, default=0, help="extraction worker processes (default: one per core)"
    )
    demo.add_argument(
        "--web",
        action="store_true",
        help=(
            f"then open the analysts' workspace on the demo database at http://127.0.0.1:PORT/, with a "
            f"user {DEMO_USER!r} ({DEMO_ROLE}) whose new password is printed; Ctrl-C stops it"
        ),
    )
    demo.add_argument(
        "--no-crawl",
        action="store_true",
        help="with --web: open the workspace on the demo database an earlier `raqib demo` left in --out",
    )
    demo.add_argument("--port", type=int, default=8080, help="the workspace's port (default: %(default)s)")
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
                session.execute(
                    select(Classification.label, func.count()).group_by(Classification.label)
                ).all()
            )
            stored = (
                session.scalar(
                    select(func.count()).select_from(Article).where(Article.extraction_status == "ok")
                )
                or 0
            )
            failures = Counter(e.get("reason", "unknown") for e in run.errors or [])
            return {
                "pages_fetched": run.pages_fetched,
                "articles_stored": stored,
                "by_language": {
                    k or "unknown": v for k, v in sorted(by_language.items(), key=lambda kv: -kv[1])
                },
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


def crawl_demo(args: argparse.Namespace, out: Path, db_path: Path, url: str) -> None:
    """Serve the bundled site, crawl it into a fresh ``db_path``, write the digest, print the summary."""
    from crawler.forkserver import warm_forkserver

    warm_forkserver()  # the workers' imports, on the other core, while this process imports Scrapy
    from crawler.commands import crawl_into
    from crawler.demo_site import DemoSite
    from crawler.sources import load_sources, select_sources
    from storage.db import upgrade

    for stale in out.glob(f"{DB_NAME}*"):
        stale.unlink()
    shutil.rmtree(out / "digest", ignore_errors=True)
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
        print(json.dumps(summary, ensure_ascii=False, indent=2), flush=True)
        return
    print(f"Pages fetched:    {summary['pages_fetched']}")
    print(f"Articles stored:  {summary['articles_stored']}")
    print("By language:      " + ", ".join(f"{k} {v}" for k, v in summary["by_language"].items()))
    print(f"Flagged:          {summary['flagged']['core']} core, {summary['flagged']['related']} related")
    print("Failures:         " + (", ".join(f"{k} {v}" for k, v in summary["failures"].items()) or "none"))
    print(f"Database:         {db_path}")
    for path in digest_paths:
        print(f"Digest:           {path}")
    if not args.web:
        again = "" if out == DEFAULT_OUT else f" --out {out}"
        print(
            f"Workspace:        raqib demo --web --no-crawl{again}  (these stories in the analysts' workspace)"
        )
    sys.stdout.flush()


def ensure_demo_user(url: str) -> str:
    """Create the demo user, or give it back its role and a fresh password (the demo's database may be
    an old one, where the user already exists); returns the new password."""
    from storage.db import make_engine, session_factory, unit_of_work
    from storage.users import add_user, get_user, hasher

    password = secrets.token_urlsafe(12)
    engine = make_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            user = get_user(session, DEMO_USER)
            if user is None:
                add_user(session, DEMO_USER, DEMO_ROLE, password)
            else:
                user.role = DEMO_ROLE
                user.password_hash = hasher().hash(password)
                user.failed_logins = 0
                user.locked_until = None
    finally:
        engine.dispose()
    return password


def _check_port(port: int) -> None:
    """A taken port is one line before anything is served (uvicorn would log it and exit)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((WEB_HOST, port))
        except OSError as error:
            raise ValueError(
                f"cannot serve the workspace on {WEB_HOST}:{port} ({error.strerror or error}): "
                "choose another port with --port"
            ) from None


def serve_workspace(url: str, port: int, *, to_stderr: bool = False) -> int:
    """Open the workspace on the demo database with the demo user until Ctrl-C (SIGINT) or SIGTERM."""
    import uvicorn

    from storage.db import open_database
    from web.app import create_app

    if not 0 < port < 65536:
        raise ValueError(f"invalid port {port}: 1–65535")
    _check_port(port)
    open_database(url).dispose()  # migrates an older demo database to the current schema
    password = ensure_demo_user(url)
    app = create_app(url)
    stream = sys.stderr if to_stderr else sys.stdout
    print(f"Workspace:        http://{WEB_HOST}:{port}/  (Ctrl-C stops it)", file=stream)
    print(f"Login:            {DEMO_USER} / {password}  ({DEMO_ROLE})", file=stream, flush=True)
    # Only loopback: the password is on the terminal, and the demo is for this machine's user.
    uvicorn.run(app, host=WEB_HOST, port=port, log_level="warning")
    print("raqib demo: workspace stopped", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    out: Path = args.out
    db_path = out / DB_NAME
    url = f"sqlite:///{db_path.resolve()}"
    if args.no_crawl:
        if not args.web:
            raise ValueError("--no-crawl only makes sense with --web")
        if not db_path.is_file():
            raise ValueError(f"no demo database at {db_path}: run `raqib demo --web` (it crawls first)")
    else:
        out.mkdir(parents=True, exist_ok=True)
        crawl_demo(args, out, db_path, url)
    if args.web:
        return serve_workspace(url, args.port, to_stderr=args.json)
    return 0
