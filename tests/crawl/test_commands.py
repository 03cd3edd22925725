"""The crawl commands as users type them: scrapy list/crawl, raqib crawl/demo/sources, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crawler.demo_site import DemoSite
from storage.db import make_engine, session_factory
from storage.models import Article, CrawlRun
from tests.crawl.conftest import FAST, REPO, run_raqib_crawl


def raqib(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_scrapy_list_shows_the_generic_spiders() -> None:
    proc = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["feed", "listing", "sitemap"]


def test_scrapy_crawl_one_source_by_hand(demo_site: DemoSite, tmp_path: Path) -> None:
    sources = demo_site.write_sources(tmp_path / "s.yaml", download_timeout=1.5)
    db = tmp_path / "manual.sqlite"
    raqib("db", "upgrade", "--db", str(db))
    cmd = [
        sys.executable, "-m", "scrapy", "crawl", "feed", "-a", "source=demo-sada-atom",
        "-s", f"RAQIB_SOURCES_FILE={sources}", "-s", f"RAQIB_DATABASE_URL=sqlite:///{db}", *FAST,
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    engine = make_engine(f"sqlite:///{db}")
    try:
        with session_factory(engine)() as session:
            run = session.scalar(select(CrawlRun))
            assert run is not None and run.status == "finished" and run.sources == "demo-sada-atom"
            assert session.scalar(select(func.count()).select_from(Article).where(Article.extraction_status == "ok")) >= 3
    finally:
        engine.dispose()


def test_scrapy_crawl_refuses_a_source_of_another_kind(demo_site: DemoSite, tmp_path: Path) -> None:
    sources = demo_site.write_sources(tmp_path / "s.yaml")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sitemap", "-a", "source=demo-sada-atom", "-s", f"RAQIB_SOURCES_FILE={sources}"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "is a feed source; run it with the 'feed' spider" in proc.stderr


def test_private_address_is_refused_even_when_the_source_allows_the_host(demo_site: DemoSite, tmp_path: Path) -> None:
    # 127.0.0.3 stands in for a private/link-local address: it is in the blocked networks and not
    # in the allowed exceptions, so the guard must refuse it before any connection is attempted.
    port = demo_site.base_url.rsplit(":", 1)[1]
    sources = tmp_path / "private.yaml"
    sources.write_text(
        f"""sources:
  - name: private-feed
    outlet: P
    kind: feed
    start_urls: ["http://127.0.0.3:{port}/nile/rss.xml", "http://127.0.0.2:{port}/nile/rss.xml"]
    allowed_domains: ["127.0.0.3", "127.0.0.2"]
""",
        encoding="utf-8",
    )
    demo_site.reset_requests()
    result = run_raqib_crawl(sources, f"sqlite:///{tmp_path / 'p.sqlite'}", "-s", "RAQIB_ALLOWED_NETWORKS=127.0.0.1/32")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.summary["failures"].get("refused_private_address") == 2
    assert demo_site.other_requests == []


def test_raqib_demo_json_contract(tmp_path: Path) -> None:
    proc = raqib("demo", "--json", "--out", str(tmp_path / "demo"), timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary: dict[str, Any] = json.loads(proc.stdout)
    assert {"pages_fetched", "articles_stored", "by_language", "flagged", "failures", "digest"} <= set(summary)
    assert summary["articles_stored"] >= 35 and summary["pages_fetched"] >= summary["articles_stored"]
    assert summary["by_language"]["ar"] >= 30 and summary["by_language"].get("fa") and summary["by_language"].get("en")
    assert summary["flagged"]["core"] >= 5 and summary["flagged"]["related"] >= 1
    for reason in ("http_404", "http_500", "timeout", "extract_empty", "refused_offsite", "broken_feed"):
        assert summary["failures"].get(reason), reason
    digest_files = [Path(p) for p in summary["digest"]]
    assert {p.suffix for p in digest_files} == {".html", ".md", ".json", ".atom"}
    digest = json.loads(next(p for p in digest_files if p.suffix == ".json").read_text(encoding="utf-8"))
    assert len(digest["items"]) >= summary["flagged"]["core"] // 2
    assert digest["items"][0]["label"] == "core"


def test_sources_list_and_check(demo_site: DemoSite, tmp_path: Path) -> None:
    sources = demo_site.write_sources(tmp_path / "s.yaml")
    listed = raqib("sources", "list", "--sources", str(sources), "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) >= 8
    default = raqib("sources", "list")
    assert default.returncode == 0 and "hespress-rss" in default.stdout
    checked = raqib("sources", "check", "--sources", str(sources), "--fetch", "--json")
    reports = {r["name"]: r for r in json.loads(checked.stdout)}
    assert reports["demo-nile-rss"]["ok"] and reports["demo-nile-rss"]["urls"][0]["items"] >= 5
    assert reports["demo-nile-rss"]["urls"][0]["newest"].startswith("2024-03")
    assert "problem" in reports["demo-nile-breaking"]["urls"][0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "--sources", "/nonexistent/sources.yaml"], "sources file not found"),
        (["crawl", "--source", "no-such-source"], "unknown source(s): no-such-source"),
        (["crawl", "--source", "hespress-rss", "--db", "postgresql+psycopg://u@127.0.0.1:9/x"], "cannot connect"),
        (["crawl", "--source", "hespress-rss", "--db", "sqlite:////proc/raqib/x.sqlite"], "raqib: error:"),
        (["sources", "check", "--sources", "/etc/hostname"], "expected a mapping with a 'sources' list"),
    ],
)
def test_bad_input_gives_one_line_and_no_traceback(args: list[str], message: str) -> None:
    proc = raqib(*args, timeout=60)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.startswith("raqib:")]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_read_only_database_file(tmp_path: Path) -> None:
    db = tmp_path / "ro.sqlite"
    assert raqib("db", "upgrade", "--db", str(db)).returncode == 0
    proc = raqib("crawl", "--source", "hespress-rss", "--db", f"sqlite:///file:{db}?mode=ro&uri=true")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("raqib: error:") and "read-only" in proc.stderr


def _one_source(demo_site: DemoSite, tmp_path: Path, name: str, **overrides: str) -> Path:
    """A sources file with one demo source, some of its fields replaced (YAML flow values)."""
    import yaml

    doc = yaml.safe_load(demo_site.sources_yaml(download_timeout=1.5))
    (source,) = [s for s in doc["sources"] if s["name"] == name]
    for key, value in overrides.items():
        source[key] = yaml.safe_load(value)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"sources": [source]}, allow_unicode=True), encoding="utf-8")
    return path


def test_sitemap_entries_older_than_the_window_are_not_downloaded(demo_site: DemoSite, tmp_path: Path) -> None:
    # The demo's news sitemaps are dated March 2024: a one-day window keeps none of them.
    sources = _one_source(demo_site, tmp_path, "demo-sada-sitemap", max_age_days="1")
    demo_site.reset_requests()
    result = run_raqib_crawl(sources, f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.summary["pages_fetched"] == 0
    assert not [r for r in demo_site.requests if r.path.endswith(".html")]


def test_per_source_delay_spaces_the_requests(demo_site: DemoSite, tmp_path: Path) -> None:
    sources = _one_source(demo_site, tmp_path, "demo-sada-rss", politeness="{download_timeout: 2, download_delay: 0.5, concurrency: 1}")
    demo_site.reset_requests()
    result = run_raqib_crawl(sources, f"sqlite:///{tmp_path / 'd.sqlite'}")
    assert result.returncode == 0, result.stderr[-2000:]
    times = sorted(r.time for r in demo_site.requests if r.path.endswith(".html"))
    assert len(times) >= 4
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # Scrapy jitters a delay by ±50 %, so 0.5 s means at least 0.25 s between two requests.
    assert min(gaps) >= 0.24, gaps


def test_a_page_over_the_size_limit_is_cancelled_and_recorded(demo_site: DemoSite, tmp_path: Path) -> None:
    sources = _one_source(demo_site, tmp_path, "demo-sada-rss")
    result = run_raqib_crawl(sources, f"sqlite:///{tmp_path / 'm.sqlite'}", "-s", "DOWNLOAD_MAXSIZE=12000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.summary["failures"].get("too_large", 0) >= 1, result.summary


def test_a_locked_database_delays_the_crawl_but_loses_nothing(demo_site: DemoSite, tmp_path: Path) -> None:
    import sqlite3
    import threading
    import time

    sources = _one_source(demo_site, tmp_path, "demo-sada-rss")
    db = tmp_path / "locked.sqlite"
    assert raqib("db", "upgrade", "--db", str(db)).returncode == 0
    locked = threading.Event()

    def hold_write_lock() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(4)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    locked.wait(5)
    result = run_raqib_crawl(sources, f"sqlite:///{db}")
    holder.join()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.summary["articles_stored"] >= 4
    engine = make_engine(f"sqlite:///{db}")
    try:
        with session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == result.summary["articles_stored"]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_crawl_into_postgresql_twice_stores_once(demo_site: DemoSite, tmp_path: Path, pg_schema_url: str) -> None:
    sources = _one_source(demo_site, tmp_path, "demo-nile-rss")
    first = run_raqib_crawl(sources, pg_schema_url)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.summary["articles_stored"] >= 5
    demo_site.reset_requests()
    second = run_raqib_crawl(sources, pg_schema_url)
    assert second.returncode == 0 and second.summary["articles_stored"] == 0
    # Only transient failures (timeouts, 5xx) are worth another try.
    from crawler.demo_site import expected_pages

    transient = {p.path for p in expected_pages(demo_site.base_url, today=demo_site.today) if p.expect in ("timeout", "http_500")}
    assert not [r.path for r in demo_site.requests if "/nile/20" in r.path and r.path not in transient]
    engine = make_engine(pg_schema_url)
    try:
        with session_factory(engine)() as session:
            rows = session.scalar(select(func.count()).select_from(Article))
            assert rows == first.summary["articles_stored"]
            flagged = session.scalar(select(func.count()).select_from(Article).where(Article.classification.has()))
            assert flagged and flagged >= 5
    finally:
        engine.dispose()


def test_workers_die_with_a_killed_crawl(demo_site: DemoSite, tmp_path: Path) -> None:
    """SIGKILL gives a crawl no chance to shut its pool down; its workers must not linger."""
    import signal
    import time

    import psutil

    sources = demo_site.write_sources(tmp_path / "s.yaml", download_timeout=1.5)
    cmd = [sys.executable, "-m", "cli", "crawl", "--sources", str(sources), "--db", f"sqlite:///{tmp_path / 'k.sqlite'}", *FAST]
    proc = psutil.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline and len(workers) < 3:
            # The forkserver and the two workers forked from it (their command line is the server's).
            workers = [c for c in proc.children(recursive=True) if "multiprocessing.forkserver" in " ".join(c.cmdline())]
            time.sleep(0.2)
        assert len(workers) == 3, "the crawl never started its forkserver and worker processes"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"workers outlived their crawl: {[p.pid for p in alive]}"
    finally:
        if proc.is_running():
            proc.kill()


def test_a_database_that_refuses_writes_loses_no_article(demo_site: DemoSite, tmp_path: Path) -> None:
    """Article inserts fail (a trigger stands in for a full disk): the batch is retried, then spilled
    to a file with the reason recorded; the pages are not marked stored, so the next crawl stores them."""
    import sqlite3

    sources = _one_source(demo_site, tmp_path, "demo-sada-rss")
    db = tmp_path / "refusing.sqlite"
    spill = tmp_path / "spill"
    assert raqib("db", "upgrade", "--db", str(db)).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    conn.commit()
    first = run_raqib_crawl(sources, f"sqlite:///{db}", "-s", f"RAQIB_SPILL_DIR={spill}")
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.summary["articles_stored"] == 0 and first.summary["failures"].get("store_failed", 0) >= 4
    spilled = [json.loads(line) for f in spill.glob("*.jsonl") for line in f.read_text(encoding="utf-8").splitlines()]
    assert len(spilled) >= 4 and all(r["text"] and r["canonical_url"] for r in spilled)

    conn.execute("DROP TRIGGER refuse")
    conn.commit()
    conn.close()
    second = run_raqib_crawl(sources, f"sqlite:///{db}")
    assert second.returncode == 0 and second.summary["articles_stored"] == len(spilled)
