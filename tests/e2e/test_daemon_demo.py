"""`raqib daemon` end to end on the bundled demo site: real crawls, real digests, a real SMTP server.

The clock is compressed (crawl and digest every few seconds). The kill test SIGKILLs the daemon at
several points of a crawl and of a digest run and restarts it; whatever happened, every flagged
article reaches the files and the mailbox exactly once (e-mails counted by Message-ID, as mail
clients de-duplicate a resent message).
"""

from __future__ import annotations

import json
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.procs import CLI, crawl_runs, pid_alive, toml_list, wait_for

pytestmark = pytest.mark.slow

# The demo site lives on loopback, which the crawler's URL guard refuses by default; the rest
# makes the crawl as quick as `raqib demo`'s.
CRAWL = [
    "python",
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
    "RETRY_TIMES=1",
    "-s",
    "LOG_LEVEL=WARNING",
]
DEBUG_CLI = [sys.executable, "-m", "cli", "--debug", "daemon"]
URL_RE = re.compile(r"https?://127\.0\.0\.1:\d+/[^\s<>\")\]]*")


def demo_config(tmp_path: Path, site: Any, smtp_port: int, *, crawl_every: str, digest_every: str) -> Path:
    # 4 s rather than 2: pages must not time out on a busy 2-core machine; the 5 s slow page still does.
    sources = site.write_sources(tmp_path / "demo-sources.yaml", download_timeout=4.0)
    config = tmp_path / "raqib.toml"
    config.write_text(
        f"""
[daemon]
timezone = "Africa/Casablanca"
sources = "{sources.name}"
heartbeat = "0.5s"
kill_wait = "2s"
shutdown_grace = "60s"
max_parallel = 2
digest_every = "{digest_every}"
crawl_command = {toml_list(CRAWL)}

[[daemon.crawl]]
name = "demo"
every = "{crawl_every}"
timeout = "120s"

[digest]
out_dir = "{tmp_path / "digests"}"
formats = ["html", "md", "json", "atom"]
timezone = "Africa/Casablanca"
claim_timeout_minutes = 0.05

[email]
enabled = true
recipients = ["analyst@example.org"]
sender_address = "raqib@example.org"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
timeout_seconds = 5
""",
        encoding="utf-8",
    )
    return config


def flagged_urls(url: str) -> set[str]:
    """The URL the digests show for every core/related article in the database."""
    from sqlalchemy import select

    from storage.db import make_engine, session_factory
    from storage.models import Article, Classification

    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(Article.final_url, Article.canonical_url)
                .join(Classification, Classification.article_id == Article.id)
                .where(Classification.label.in_(("core", "related")))
            )
            return {final or canonical for final, canonical in rows}
    finally:
        engine.dispose()


def file_counts(out: Path) -> Counter[str]:
    """How many digest files (JSON, one per delivered digest) list each article URL."""
    counts: Counter[str] = Counter()
    for path in out.rglob("*.json"):
        for item in json.loads(path.read_text("utf-8"))["items"]:
            counts.update(item["urls"])
    return counts


def mail_counts(inbox: Any) -> Counter[str]:
    """How many distinct e-mails (by Message-ID) list each article URL in their text part."""
    by_message: dict[str, set[str]] = {}
    for _rcpts, message in inbox.snapshot():
        text = message.get_body(preferencelist=("plain",)).get_content()
        by_message.setdefault(message["Message-ID"], set()).update(URL_RE.findall(text))
    counts: Counter[str] = Counter()
    for urls in by_message.values():
        counts.update(urls)
    return counts


def delivered_everywhere(url: str, out: Path, inbox: Any) -> bool:
    expected = flagged_urls(url)
    return bool(expected) and expected <= set(file_counts(out)) and expected <= set(mail_counts(inbox))


def test_daemon_crawls_the_demo_site_twice_and_delivers_the_digest(tmp_path, start_daemon, demo_site, smtp):
    inbox, port = smtp
    url = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    config = demo_config(tmp_path, demo_site, port, crawl_every="3s", digest_every="8s")
    daemon = start_daemon(["--config", str(config), "--db", url], command=CLI)
    daemon.wait_log(r"daemon started")

    def two_crawls_and_everything_delivered() -> bool:
        finished = [run for run in crawl_runs(url) if run.status == "finished"]
        return len(finished) >= 2 and delivered_everywhere(url, tmp_path / "digests", inbox)

    wait_for(
        two_crawls_and_everything_delivered,
        150,
        "two crawls and a digest of every flagged article",
        interval=0.5,
    )
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=120) == 0
    log = daemon.log()
    assert "SIGTERM received" in log and "daemon stopped" in log
    assert re.search(
        r"crawl demo: run #1 finished in [\d.]+ s: [1-9]\d* pages fetched, [1-9]\d* articles stored \([1-9]\d* core, \d+ related\)",
        log,
    ), log[-3000:]
    assert re.search(r"digest \(daily\): done in [\d.]+ s", log)

    runs = crawl_runs(url)
    assert runs[0].articles_stored > 0
    # The second crawl of an unchanged site downloads no article page again.
    assert runs[1].status == "finished" and runs[1].pages_fetched == 0 and runs[1].articles_stored == 0
    assert all(run.status in {"finished", "killed"} for run in runs)

    expected = flagged_urls(url)
    files, mails = file_counts(tmp_path / "digests"), mail_counts(inbox)
    assert {u: files[u] for u in expected} == dict.fromkeys(expected, 1)
    assert {u: mails[u] for u in expected} == dict.fromkeys(expected, 1)
    _rcpts, first = inbox.snapshot()[0]
    assert first.get_body(preferencelist=("html",)) is not None
    assert {p.suffix for p in (tmp_path / "digests").rglob("digest-*")} == {".html", ".md", ".json", ".atom"}


def test_sigkill_during_crawls_and_digests_then_restart_delivers_every_article_once(
    tmp_path, start_daemon, demo_site, smtp
):
    inbox, port = smtp
    out = tmp_path / "digests"
    url = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    config = demo_config(tmp_path, demo_site, port, crawl_every="2s", digest_every="2s")
    args = ["--config", str(config), "--db", url]

    def killed(daemon: Any) -> None:
        daemon.signal(signal.SIGKILL)
        daemon.wait()
        # Its children die with it (PR_SET_PDEATHSIG): nothing crawls or mails unsupervised.
        for run in crawl_runs(url):
            pid = (run.stats or {}).get("daemon/pid")
            if pid:
                wait_for(lambda pid=pid: not pid_alive(pid), 10, f"crawl child {pid} to die with the daemon")

    # 1. Right as the first crawl starts.
    daemon = start_daemon(args, command=DEBUG_CLI)
    daemon.wait_log(r"crawl demo: started run #1")
    killed(daemon)

    # 2. In the middle of a crawl, once it has stored some articles.
    daemon = start_daemon(args, command=DEBUG_CLI)
    wait_for(
        lambda: any(r.articles_stored > 0 and r.status == "running" for r in crawl_runs(url)),
        90,
        "a crawl half way",
    )
    killed(daemon)

    # 3. A digest run that has claimed its items, before it delivered them.
    daemon = start_daemon(args, command=DEBUG_CLI, env={"RAQIB_DIGEST_PAUSE": "claimed:60"})
    daemon.wait_log(r"raqib-digest: paused at claimed", timeout=90)
    killed(daemon)

    # 4. A digest run whose delivery was accepted (files written or SMTP 250) but not yet confirmed.
    daemon = start_daemon(args, command=DEBUG_CLI, env={"RAQIB_DIGEST_PAUSE": "accepted:60"})
    daemon.wait_log(r"raqib-digest: paused at accepted", timeout=90)
    killed(daemon)

    # 5. Let it run to the end: a whole crawl after the last kill, and a digest of everything flagged.
    last_killed = max(run.id for run in crawl_runs(url))
    daemon = start_daemon(args, command=DEBUG_CLI)

    def settled() -> bool:
        # A finished crawl that found nothing new: the whole site is stored (pages that timed out
        # under load in an earlier crawl included).
        after = [r for r in crawl_runs(url) if r.id > last_killed and r.status == "finished"]
        return any(r.articles_stored == 0 for r in after) and delivered_everywhere(url, out, inbox)

    wait_for(settled, 150, "every flagged article delivered", interval=0.5)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=120) == 0

    statuses = Counter(run.status for run in crawl_runs(url))
    assert statuses["killed"] >= 2 and statuses["finished"] >= 1 and statuses["running"] == 0, statuses
    expected = flagged_urls(url)
    runs = [
        (r.id, r.status, r.pages_fetched, r.articles_stored, r.started_at, r.finished_at)
        for r in crawl_runs(url)
    ]
    assert len(expected) >= 10, f"flagged articles lost after the kills? crawl runs: {runs}"
    files, mails = file_counts(out), mail_counts(inbox)
    assert {u: files[u] for u in expected} == dict.fromkeys(expected, 1), (
        "each article in exactly one digest file"
    )
    assert {u: mails[u] for u in expected} == dict.fromkeys(expected, 1), "each article in exactly one e-mail"
    assert set(files) == expected and set(mails) == expected


def test_real_crawl_over_its_time_limit_is_stopped_and_recorded_as_timeout(
    tmp_path, start_daemon, demo_site, smtp
):
    _inbox, port = smtp
    url = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    config = demo_config(tmp_path, demo_site, port, crawl_every="1h", digest_every="1h")
    config.write_text(config.read_text().replace('timeout = "120s"', 'timeout = "3s"'))
    once = start_daemon(["--config", str(config), "--db", url, "--once"], command=CLI)
    assert once.wait(timeout=90) == 1
    (run,) = crawl_runs(url)
    assert run.status == "timeout" and run.finished_at is not None
    assert run.errors[-1]["reason"] == "timeout"
    assert not pid_alive(run.stats["daemon/pid"])
    assert "crawl demo: run #1 timeout" in once.log()
