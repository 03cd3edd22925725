"""Cluster mode on the real RabbitMQ and PostgreSQL: `raqib daemon` publishes crawl jobs, several
`raqib worker` processes run them against the demo site over loopback HTTP."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.e2e.cluster_env import (
    STATUS,
    WORKER,
    all_final,
    cloned_sources,
    daemon_once,
    jobs,
    prepare_database,
    write_config,
)
from tests.e2e.procs import crawl_runs, pid_alive, wait_for

pytestmark = pytest.mark.slow


def _scalar(db: str, query: Any) -> Any:
    from storage.db import make_engine, session_factory

    engine = make_engine(db)
    try:
        with session_factory(engine)() as session:
            return session.execute(query).all()
    finally:
        engine.dispose()


def _sources_of(run: Any) -> list[str]:
    return [name for name in (run.sources or "").split(",") if name]


def test_three_workers_crawl_thirty_sources_each_article_stored_once(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    from crawler.demo_site import DemoSite
    from daemon.cluster import Dispatcher
    from daemon.cluster_config import ClusterConfig
    from storage import cluster as store
    from storage.db import make_engine, session_factory, unit_of_work
    from storage.models import Article

    with DemoSite(slow_seconds=0.2) as site:
        names = cloned_sources(site, tmp_path / "sources.yaml", copies=6)
        assert len(names) >= 30
        config = write_config(
            tmp_path / "raqib.toml", broker_url=broker_url, queue=cluster_queue, sources=tmp_path / "sources.yaml",
            batch=10,
        )
        prepare_database(pg_db)
        # Workers first, so that the broker spreads the jobs over all three as they arrive.
        workers = [
            start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "1"], command=WORKER)
            for _ in range(3)
        ]
        for worker in workers:
            worker.wait_log(r"ready\.", timeout=120)
        daemon_once(config, pg_db)
        # Jobs that overlap the daemon's, as a second scheduler or a hand-made enqueue would publish:
        # the leases must keep any source from being crawled by two workers at once.
        engine = make_engine(pg_db)
        dispatcher = Dispatcher(
            ClusterConfig(broker_url=broker_url, queue=cluster_queue, batch=5), session_factory(engine), "test"
        )
        with unit_of_work(session_factory(engine)) as session:
            store.add_jobs(
                session,
                [store.NewJob("overlap", tuple(names[i : i + 5]), 300, 1536, 3, "test") for i in (0, 12)],
            )
        assert dispatcher.flush(force=True) == 2
        dispatcher.close()
        engine.dispose()

        final = wait_for(lambda: all_final(pg_db), 420, "every job to end", interval=1.0)
        for worker in workers:
            assert worker.proc.poll() is None, worker.log()[-3000:]

        states = Counter(job.state for job in final)
        assert states["finished"] >= len(names) // 10, states
        assert set(states) <= {"finished", "skipped"}, [(j.id, j.state, j.reason) for j in final]
        assert len({job.worker for job in final if job.state == "finished"}) >= 2  # the work was shared

        runs = {run.id: run for run in crawl_runs(pg_db)}
        for job in final:
            if job.state == "finished":
                run = runs[job.crawl_run_id]  # a crawl run recorded per job
                assert run.status == "finished" and run.stats["cluster/job"] == job.id
                assert set(_sources_of(run)) <= set(job.sources)
        # Every source was crawled, and never by two runs at the same time.
        spans: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
        for run in runs.values():
            for name in _sources_of(run):
                spans[name].append((run.started_at, run.finished_at))
        assert set(spans) == set(names)
        for name, periods in spans.items():
            periods.sort()
            for (_s1, end1), (start2, _e2) in zip(periods, periods[1:], strict=False):
                assert end1 <= start2, f"{name} crawled by two runs at once"
        # The site's request log: every source's feed was requested, each time inside one of that
        # source's crawl runs (which, above, never overlap): no crawl of a source outside its lease.
        import yaml

        start_paths = {
            record["name"]: {urlsplit(url)._replace(scheme="", netloc="").geturl() for url in record["start_urls"]}
            for record in yaml.safe_load((tmp_path / "sources.yaml").read_text("utf-8"))["sources"]
        }
        log = site.requests
        for name, paths in start_paths.items():
            times = [record.time for record in log if record.path in paths]
            assert times, f"{name}: its feed was never requested"
            for when in times:
                inside = [
                    (start, end)
                    for start, end in spans[name]
                    if start.timestamp() - 1 <= when <= end.timestamp() + 1
                ]
                assert inside, f"{name}: its feed was requested at {when}, outside every crawl run of it"

        duplicates = _scalar(
            pg_db,
            select(Article.url_hash, func.count()).group_by(Article.url_hash).having(func.count() > 1),
        )
        assert duplicates == []
        stored = _scalar(pg_db, select(func.count()).select_from(Article))[0][0]
        assert stored > 20
        # The clones list the same articles: the later meetings were counted, not stored again.
        met_again = sum(
            int(run.stats.get("raqib/dedup/skipped", 0)) + int(run.stats.get("raqib/store/skipped", 0))
            for run in runs.values()
        )
        assert met_again > 0

        status = subprocess.run(
            [*STATUS, "--config", str(config), "--db", pg_db, "--json"], capture_output=True, text=True, timeout=60
        )
        import json

        report = json.loads(status.stdout)
        assert report["workers_alive"] == 3
        assert report["jobs"].get("finished", 0) == states["finished"]
        assert report["queue_depth"] == 0 and report["consumers"] == 3
        assert all(report["last_success"][name] for name in names)


def test_a_job_held_by_a_sigkilled_worker_is_delivered_again_and_finishes_elsewhere(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    from crawler.demo_site import DemoSite

    # The Nile feed lists the site's slow page: its crawl lasts at least slow_seconds, so the kill
    # lands in the middle of the job on any machine.
    with DemoSite(slow_seconds=8.0) as site:
        site.write_sources(tmp_path / "sources.yaml", download_timeout=30.0)
        config = write_config(
            tmp_path / "raqib.toml",
            broker_url=broker_url,
            queue=cluster_queue,
            sources=tmp_path / "sources.yaml",
            groups='[[daemon.crawl]]\nname = "nile"\nsources = ["demo-nile-rss"]\nevery = "1h"\ntimeout = "5m"\n',
        )
        prepare_database(pg_db)
        first = start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "1"], command=WORKER)
        first.wait_log(r"ready\.", timeout=60)
        daemon_once(config, pg_db)
        # The job is running (its crawl run has its child's pid) on the first worker: kill that worker.
        wait_for(
            lambda: any(run.status == "running" and run.stats.get("daemon/pid") for run in crawl_runs(pg_db)),
            120,
            "the crawl to start on the first worker",
            interval=0.2,
        )
        (job,) = jobs(pg_db)
        assert job.state == "running" and job.worker.endswith(f":{first.pid}")
        crawl_pid = next(run.stats["daemon/pid"] for run in crawl_runs(pg_db) if run.status == "running")
        first.signal(signal.SIGKILL)
        first.wait(timeout=30)
        wait_for(lambda: not pid_alive(crawl_pid), 30, "the dead worker's crawl child to die with it")

        second = start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "1"], command=WORKER)
        (done,) = wait_for(lambda: all_final(pg_db), 300, "the redelivered job to end", interval=0.5)
        assert done.state == "finished", done.reason
        assert done.attempts == 2 and done.worker.endswith(f":{second.pid}")
        killed, finished = crawl_runs(pg_db)
        assert killed.status == "killed" and killed.errors[-1]["reason"] == "worker_lost"
        assert finished.status == "finished" and finished.stats["cluster/attempt"] == 2
        assert finished.id == done.crawl_run_id
        # Nothing lost: the second crawl stored every article page the feed lists, the slow one included.
        stored = {row[0] for row in _scalar(pg_db, select(Article_url()))}
        assert any("somalia" in url for url in stored)
        assert finished.articles_stored + killed.articles_stored >= 8


def Article_url() -> Any:  # noqa: N802 - reads like the column it returns
    from storage.models import Article

    return Article.final_url
