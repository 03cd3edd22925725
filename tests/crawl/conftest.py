"""Crawl fixtures: the bundled site on a free loopback port, and `raqib crawl` as users run it.

Scrapy's reactor runs once per process, so every crawl here is a real child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.demo_site import DATED_AS_OF, DemoSite
from crawler.urls import canonicalize_url, url_hash
from storage.db import make_engine, session_factory
from storage.models import Article, ArticleUrl, CrawlRun

REPO = Path(__file__).resolve().parents[2]
FAST = [
    "-s", "RAQIB_ALLOWED_NETWORKS=127.0.0.1/32",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "RETRY_TIMES=1",
    "-s", "LOG_LEVEL=WARNING",
    "-s", "RAQIB_WORKERS=2",
]


@dataclass
class CrawlResult:
    returncode: int
    summary: dict[str, Any]
    stderr: str


def run_raqib_crawl(sources: Path, db_url: str, *extra: str, timeout: float = 180) -> CrawlResult:
    cmd = [sys.executable, "-m", "cli", "crawl", "--sources", str(sources), "--db", db_url, "--json", *FAST, *extra]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ})
    summary = json.loads(proc.stdout[proc.stdout.index("{"):]) if "{" in proc.stdout else {}
    return CrawlResult(proc.returncode, summary, proc.stderr)


def article_for(session: Session, url: str) -> Article | None:
    key = url_hash(canonicalize_url(url))
    return session.scalar(select(Article).join(ArticleUrl, ArticleUrl.article_id == Article.id).where(ArticleUrl.url_hash == key))


def crawl_run(session: Session, run_id: int) -> CrawlRun:
    run = session.get(CrawlRun, run_id)
    assert run is not None
    return run


@pytest.fixture(scope="module")
def demo_site() -> Iterator[DemoSite]:
    # Pinned to the day articles.yaml is written for: these tests check fixed dates (March 2024).
    with DemoSite(slow_seconds=4.0, today=DATED_AS_OF) as site:
        yield site


@pytest.fixture(scope="module")
def crawled(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole demo site crawled twice into one fresh SQLite file, with the site's request logs."""
    tmp = tmp_path_factory.mktemp("crawl")
    sources = demo_site.write_sources(tmp / "sources.yaml", download_timeout=1.5)
    db_url = f"sqlite:///{tmp / 'raqib.sqlite'}"
    demo_site.reset_requests()
    first = run_raqib_crawl(sources, db_url)
    assert first.returncode == 0, first.stderr[-3000:]
    first_requests = list(demo_site.requests)
    demo_site.reset_requests()
    second = run_raqib_crawl(sources, db_url)
    assert second.returncode == 0, second.stderr[-3000:]
    engine = make_engine(db_url)
    yield {
        "first": first,
        "second": second,
        "first_requests": first_requests,
        "second_requests": list(demo_site.requests),
        "other_requests": list(demo_site.other_requests),
        "sessions": session_factory(engine),
        "sources": sources,
        "db_url": db_url,
    }
    engine.dispose()
