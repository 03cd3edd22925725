"""How the cluster benchmark measures: processes run to their end with their CPU time read from the
kernel, crawls with their crawl run's Scrapy stats, and what PostgreSQL holds after them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import cluster_setup as setup
from benchmarks.procmem import wait_cpu_seconds

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measured:
    """One process (tree) that ran to its end: wall seconds, CPU seconds of it and its descendants."""

    wall_s: float
    cpu_s: float
    out: str


def run_measured(cmd: list[str], env: dict[str, str]) -> Measured:
    """Run ``cmd`` to its end; raise with its error output when it fails."""
    # Files, not pipes: reading pipes to their end would reap the process before its CPU time is read.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=err, text=True, env=env)
        try:
            times = wait_cpu_seconds(proc)
        finally:
            proc.wait()
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, error = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:5])}… failed ({proc.returncode}): {error[-2000:]}")
    return Measured(wall, sum(times) if times else 0.0, text)


def env_for(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["RAQIB_DATABASE_URL"] = db_url
    env.pop("RAQIB_BROKER_URL", None)  # the benchmark's TOML names its own broker and queue
    return env


def raqib(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def crawl(db_url: str, sources: Path, names: list[str], *settings: str, workers: int = 0) -> tuple[Measured, dict]:
    """``raqib crawl`` of ``names`` (all when empty); its measure and its crawl run's Scrapy stats."""
    cmd = [*setup.crawl_command()[3:], "--sources", str(sources), "--json"]
    for setting in settings:
        cmd += ["-s", setting]
    for name in names:
        cmd += ["--source", name]
    if workers:
        cmd += ["--workers", str(workers)]
    measured = run_measured(raqib(*cmd), env_for(db_url))
    summary = json.loads(measured.out[measured.out.index("{") :])
    return measured, run_stats(db_url, int(summary["crawl_run_id"])) | {"summary": summary}


def scalar(db_url: str, sql: str, **params: Any) -> Any:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def run_stats(db_url: str, run_id: int) -> dict[str, Any]:
    stats = scalar(db_url, "select stats from crawl_runs where id = :id", id=run_id)
    return json.loads(stats) if isinstance(stats, str) else dict(stats or {})


def upgrade(db_url: str) -> None:
    """``raqib db upgrade``, in this process (before anything is timed): a process start less per run."""
    from storage.db import upgrade

    upgrade(db_url)


def due_cost(db_url: str, sources: Path, rounds: int = 20) -> float:
    """Milliseconds per source of the daemon's adaptive "which sources are due" (daemon.polling, the
    queries a group's tick makes for each of its sources), over the freshly crawled database."""
    from crawler.sources import load_sources
    from daemon.config import CrawlGroup
    from daemon.polling import due_times
    from storage.db import make_engine, session_factory

    names = [source.name for source in load_sources(sources)]
    group = CrawlGroup(name="all", min_interval=600.0, max_interval=6 * 3600.0)
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            due_times(session, group, names, datetime.now(UTC))  # connection and statement caches
            start = time.perf_counter()
            for _ in range(rounds):
                due_times(session, group, names, datetime.now(UTC))
            return round((time.perf_counter() - start) / (rounds * len(names)) * 1000, 3)
    finally:
        engine.dispose()


PER_ARTICLE_TABLES = ("articles", "article_urls", "classifications", "article_search")


def row_bytes(db_url: str, articles: int) -> dict[str, float]:
    """Bytes per stored article of each table an article writes (pg_total_relation_size: heap,
    TOAST and indexes, after ``VACUUM ANALYZE``), and their sum."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
            sizes = {t: int(conn.execute(text(f"select pg_total_relation_size('{t}')")).scalar() or 0) for t in PER_ARTICLE_TABLES}
    finally:
        engine.dispose()
    per = {t: round(size / articles, 1) for t, size in sizes.items()}
    per["per_article_total"] = round(sum(per.values()), 1)
    return per


def avg_row_bytes(db_url: str, tables: tuple[str, ...]) -> dict[str, float]:
    """Mean stored size of a row of each table (pg_column_size of the whole row: the heap tuple,
    compressed values included, indexes not): for tables too small here for their size on disk to
    mean anything (a table or index takes whole 8 kB pages)."""
    return {t: round(float(scalar(db_url, f"select coalesce(avg(pg_column_size(t.*)), 0) from {t} t")), 1) for t in tables}
