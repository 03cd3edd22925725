"""Set-up shared by the cluster-mode tests: a TOML file with [cluster], workers as real processes, and
the job and crawl-run rows read back through the project's storage layer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.procs import toml_list

WORKER = [sys.executable, "-m", "cli", "worker"]
DAEMON = [sys.executable, "-m", "cli", "daemon"]
STATUS = [sys.executable, "-m", "cli", "cluster", "status"]
# The demo site lives on loopback, which the crawler refuses by default; the rest keeps crawls quick.
REAL_CRAWL = [
    sys.executable,
    "-m",
    "cli",
    "crawl",
    "-s",
    "RAQIB_ALLOWED_NETWORKS=127.0.0.1/32",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "RETRY_TIMES=0",
    "-s",
    "LOG_LEVEL=WARNING",
]


def write_config(
    path: Path,
    *,
    broker_url: str,
    queue: str,
    sources: Path | None = None,
    crawl_command: list[str] | None = None,
    batch: int = 3,
    max_tries: int = 3,
    extra_daemon: str = "",
    groups: str = '[[daemon.crawl]]\nname = "all"\nevery = "1h"\ntimeout = "5m"\n',
) -> Path:
    path.write_text(
        f"""
[daemon]
{f'sources = "{sources}"' if sources else ""}
digest_at = ""
heartbeat = "0.5s"
kill_wait = "2s"
crawl_command = {toml_list(crawl_command or REAL_CRAWL)}
{extra_daemon}

{groups}

[cluster]
broker_url = "{broker_url}"
queue = "{queue}"
batch = {batch}
max_tries = {max_tries}
heartbeat = "1s"
lease_ttl = "30s"
""",
        encoding="utf-8",
    )
    return path


def write_sources(path: Path, *names: str) -> Path:
    """A sources file of feeds named ``names`` on a loopback port nothing listens on (the tests that use
    it run a stand-in crawl command, or only need the names)."""
    path.write_text(
        "sources:\n"
        + "".join(
            f'  - name: {name}\n    outlet: Test\n    kind: feed\n    start_urls: ["http://127.0.0.1:9/{name}.xml"]\n'
            for name in names
        ),
        encoding="utf-8",
    )
    return path


def daemon_once(config: Path, db: str) -> str:
    """One tick of every crawl group: `raqib daemon --once` publishes the jobs and exits 0; its log."""
    done = subprocess.run(
        [*DAEMON, "--config", str(config), "--db", db, "--once"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cluster mode" in done.stderr
    return done.stderr


def cloned_sources(
    site: Any, path: Path, copies: int, *, kinds: tuple[str, ...] = ("feed",), download_timeout: float = 10.0
) -> list[str]:
    """The demo site's sources of ``kinds`` ``copies`` times over (names suffixed, ``?copy=k`` on the
    start URLs: the site ignores the query), so many sources meet the same articles. Returns the names."""
    base = yaml.safe_load(site.sources_yaml(download_timeout=download_timeout))
    records = []
    for k in range(copies):
        for record in base["sources"]:
            if record["kind"] not in kinds:
                continue
            clone = dict(record)
            clone["name"] = f"{record['name']}-c{k}"
            clone["start_urls"] = [f"{url}{'&' if '?' in url else '?'}copy={k}" for url in record["start_urls"]]
            records.append(clone)
    path.write_text(yaml.safe_dump({**base, "sources": records}, allow_unicode=True), encoding="utf-8")
    return [record["name"] for record in records]


def jobs(db_url: str) -> list[Any]:
    from sqlalchemy import select

    from storage.db import make_engine, session_factory
    from storage.models import ClusterJob

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(ClusterJob).order_by(ClusterJob.id)))
    finally:
        engine.dispose()


def all_final(db_url: str) -> list[Any] | None:
    found = jobs(db_url)
    return found if found and all(job.state not in ("pending", "queued", "running") for job in found) else None


def prepare_database(db_url: str) -> None:
    """The schema at head, as `raqib db upgrade` leaves it (workers refuse an old schema)."""
    from storage.db import make_engine, upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
