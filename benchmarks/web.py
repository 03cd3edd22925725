"""The workspace's server time: ``python -m benchmarks.web [--articles N] [--repeats R] [--json]``.

Generates an archive of N articles (benchmarks/web_archive.py: bulk inserts, the real classifier's
labels, reviews, the search index) into a fresh SQLite file and into a fresh PostgreSQL schema
($RAQIB_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test; skipped with a
message when unreachable), signs in as an admin and requests each page R times with the app
in-process (Starlette's TestClient). *Server time* is measured inside the ASGI stack, from the
request entering the outermost middleware to its last body byte leaving it: the page's queries,
templates and middleware, without the HTTP client.

Baseline in the same run: the login page (``GET /login``, signed in), which goes through the same
middleware, session and template machinery as every page but reads nothing from the database. A page's
time minus the baseline is what the archive costs it.

Budgets (issue #9): inbox and story pages under 200 ms, search under 300 ms, as medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchmarks.web_archive import (
    BENCH_PASSWORD,
    BENCH_USER,
    RARE_WORD,
    ArchiveFacts,
    build_rows,
    facts,
    load,
)

ENV_PG_URL = "RAQIB_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BUDGET_MS = {"inbox": 200.0, "story": 200.0, "search": 300.0}
COMMON_WORD = "الحكومة"
# «وبالعملات» is indexed nowhere as such: it is found through its variant «العملات» (و + بال stripped).
CLITIC_FORM = "وبالعملات"


class ServerTimer:
    """Wraps the app; ``last_ms`` is the server time of the last request that finished."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last_ms: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last_ms = (time.perf_counter() - start) * 1000
            await send(message)

        await self.app(scope, receive, timed)


def requests_for(archive: ArchiveFacts) -> list[tuple[str, str, list[str]]]:
    """(name, budget kind, paths to rotate through) for each measured request."""
    stories = [f"/story/{i}" for i in archive.story_ids]
    return [
        ("baseline: login page", "", ["/login"]),
        ("inbox, first page", "inbox", ["/"]),
        (
            "inbox, filtered (core, 30 days, one outlet, awaiting review)",
            "inbox",
            [
                "/?"
                + urlencode({"label": "core", "period": "30", "outlet": archive.outlet, "state": "awaiting"})
            ],
        ),
        ("inbox, page 40", "inbox", ["/?page=40"]),
        ("story (10 flagged stories in turn)", "story", stories),
        (f"search, common word ({COMMON_WORD})", "search", ["/search?" + urlencode({"q": COMMON_WORD})]),
        (f"search, rare word ({RARE_WORD})", "search", ["/search?" + urlencode({"q": RARE_WORD})]),
        (f"search, clitic form ({CLITIC_FORM})", "search", ["/search?" + urlencode({"q": CLITIC_FORM})]),
        (
            "search, two words, flagged only, 30 days",
            "search",
            ["/search?" + urlencode({"q": f"{COMMON_WORD} بيتكوين", "label": "core", "period": "30"})],
        ),
    ]


def _login(client: Any) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    answer = client.post(
        "/login",
        data={"csrf": token.group(1), "name": BENCH_USER, "password": BENCH_PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"benchmark login failed: HTTP {answer.status_code}")


def measure(url: str, archive: ArchiveFacts, repeats: int) -> dict[str, Any]:
    """Median server time of each request (after one warm-up each), and a check of what it returned."""
    from starlette.testclient import TestClient

    from web.app import create_app

    timer = ServerTimer(create_app(url, secret_key="benchmark-secret"))
    out: dict[str, Any] = {}
    with TestClient(timer, base_url="http://127.0.0.1") as client:
        _login(client)
        for name, kind, paths in requests_for(archive):
            times = []
            for n in range(repeats + 1):
                path = paths[n % len(paths)]
                answer = client.get(path, follow_redirects=False)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {answer.status_code}")
                if n:  # the first one warms caches (templates, rule packs, the database's pages)
                    assert timer.last_ms is not None
                    times.append(timer.last_ms)
            median = statistics.median(times)
            budget = BUDGET_MS.get(kind)
            out[name] = {
                "kind": kind,
                "median_ms": round(median, 1),
                "min_ms": round(min(times), 1),
                "max_ms": round(max(times), 1),
                "budget_ms": budget,
                "within_budget": None if budget is None else median < budget,
                "results": _result_count(answer.text) if kind == "search" else None,
            }
    return out


def _result_count(html: str) -> int | None:
    found = re.search(r"(\d[\d,]*)\s*نتيجة", html)
    return int(found.group(1).replace(",", "")) if found else None


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'web-bench.sqlite'}"


@contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    """A fresh schema chosen by ``search_path`` in the URL (as tests/conftest.py does), dropped after."""
    from sqlalchemy import create_engine, make_url, text

    schema = f"raqib_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            admin.dispose()


def pg_unreachable(base_url: str) -> str:
    """Why PostgreSQL cannot be used ("" when it can)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(base_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return ""
    except Exception as error:  # noqa: BLE001 - any failure to connect means "no server"
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    finally:
        engine.dispose()


def run_backend(url: str, rows: Any, repeats: int) -> dict[str, Any]:
    from storage import db

    started = time.perf_counter()
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        load(engine, rows)
    finally:
        engine.dispose()
    loaded = time.perf_counter() - started
    archive = facts(url, rows)
    return {
        "load_s": round(loaded, 1),
        "requests": measure(url, archive, repeats),
        "archive": {
            "articles": archive.articles,
            "flagged": archive.flagged,
            "reviews": archive.reviews,
            "rare_word_articles": archive.rare_articles,
        },
    }


def run(
    articles: int = 100_000,
    repeats: int = 15,
    backends: Sequence[str] = ("sqlite", "postgresql"),
    pg_url: str | None = None,
    seed: int = 7,
) -> dict[str, Any]:
    """Generate the archive once, load it into each backend, measure; returns the figures."""
    started = time.perf_counter()
    rows = build_rows(articles, datetime.now(UTC), seed)
    result: dict[str, Any] = {
        "articles": articles,
        "repeats": repeats,
        "generate_s": round(time.perf_counter() - started, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "backends": {},
        "skipped": {},
    }
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="raqib-web-bench-") as tmp, sqlite_database(Path(tmp)) as url:
            result["backends"]["sqlite"] = run_backend(url, rows, repeats)
    if "postgresql" in backends:
        base = pg_url or os.environ.get(ENV_PG_URL, DEFAULT_PG_URL)
        why = pg_unreachable(base)
        if why:
            result["skipped"]["postgresql"] = f"PostgreSQL at {base} unreachable ({why})"
        else:
            with pg_schema(base) as url:
                result["backends"]["postgresql"] = run_backend(url, rows, repeats)
    return result


def format_table(r: dict[str, Any]) -> str:
    lines = [
        f"web benchmark — {r['articles']:,} articles, server time, median of {r['repeats']} requests "
        f"(after one warm-up); archive generated in {r['generate_s']} s",
        f"machine: {r['machine']}",
    ]
    for backend, data in r["backends"].items():
        a = data["archive"]
        lines.append(
            f"\n{backend}: loaded in {data['load_s']} s; {a['flagged']['core']:,} core, "
            f"{a['flagged']['related']:,} related, {a['reviews']:,} reviews"
        )
        lines.append(f"  {'request':64} {'median':>9} {'min–max':>15} {'budget':>8}  results")
        for name, m in data["requests"].items():
            budget = f"{m['budget_ms']:.0f} ms" if m["budget_ms"] else "—"
            verdict = "" if m["within_budget"] is None else (" ok" if m["within_budget"] else " OVER")
            results = "" if m["results"] is None else f"{m['results']:,}"
            lines.append(
                f"  {name:64} {m['median_ms']:>6.1f} ms {m['min_ms']:>6.1f}–{m['max_ms']:<7.1f} {budget:>8}{verdict:5} {results}"
            )
    for backend, why in r["skipped"].items():
        lines.append(f"\n{backend}: skipped — {why}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="archive size (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=15, help="requests per page (default: %(default)s)")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), action="append", help="only this backend (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.articles < 50 or args.repeats < 1:
        parser.error("--articles must be at least 50 and --repeats at least 1")
    result = run(args.articles, args.repeats, tuple(args.backend or ("sqlite", "postgresql")))
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else format_table(result))
    over = [
        f"{backend}: {name}"
        for backend, data in result["backends"].items()
        for name, m in data["requests"].items()
        if m["within_budget"] is False
    ]
    if over:
        print("over budget: " + "; ".join(over), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
