"""Cluster mode against local mode, the cost of a poll cycle, and the fixed cost of a crawl job.

Throughput: the demo site's generated pages, split into ``--sources`` sitemap sources of
``--pages-per-source`` pages each, crawled (a) in local mode by one ``raqib crawl`` of every source
(the baseline, measured in the same run) and (b) in cluster mode by ``raqib daemon --once`` writing
jobs of ``--batch`` sources to PostgreSQL and RabbitMQ and 1, 2, 3 ``raqib worker`` processes
(``--concurrency 1`` each: one crawl at a time per process) running them. Each figure is the median
of ``--runs`` runs, each on a fresh database. CPU is that of the worker processes and every process
they started (read from the kernel when they exit: benchmarks/procmem.py), so it includes each job's
crawl-process start; busy cores = those CPU seconds / wall seconds.

Poll cycle: one source with ``--feeds`` copies of one demo feed (``?copy=k``; the site ignores the
query, the crawler keeps validators per URL as requested), crawled once to learn the validators,
then timed answered 304 (conditional GET) and answered in full (``RAQIB_CONDITIONAL_GET=False``).
Fixed cost of a job: ``raqib crawl`` of one source with one unchanged feed (304) — process start,
imports, database, one request — which decides how many sources a job should carry.

Needs PostgreSQL and RabbitMQ (``--pg-url``, ``--broker-url``); every database and queue it makes
is its own and is dropped at the end.

    python -m benchmarks.cluster --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks import cluster_measure as m
from benchmarks import cluster_setup as setup
from benchmarks.procmem import wait_cpu_seconds

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 90.0


@dataclass(frozen=True)
class Sizes:
    sources: int = 12
    pages_per_source: int = 20
    batch: int = 2
    workers: tuple[int, ...] = (1, 2, 3)
    runs: int = 3
    feeds: int = 1000
    fixed_runs: int = 5

    @property
    def pages(self) -> int:
        return self.sources * self.pages_per_source


# -- throughput ---------------------------------------------------------------------------------------


def local_run(services: setup.Services, sources: Path, sizes: Sizes) -> dict[str, Any]:
    """The baseline: one ``raqib crawl`` of every source (its default workers: one per core)."""
    with setup.throwaway_database(services.pg_url) as db_url:
        m.upgrade(db_url)
        site0 = time.process_time()
        measured, stats = m.crawl(db_url, sources, [])
        site_cpu = time.process_time() - site0
        stored = int(m.scalar(db_url, "select count(*) from articles"))
        if stored != sizes.pages:
            raise RuntimeError(f"local crawl stored {stored} of {sizes.pages} pages: {stats['summary']}")
        return {
            "wall_s": measured.wall_s,
            "cpu_s": measured.cpu_s,
            "site_cpu_s": site_cpu,
            "pages": stored,
            "row_bytes": m.row_bytes(db_url, stored),
            "due_ms_per_source": m.due_cost(db_url, sources),
        }


def _cpu_now(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _start_workers(config: Path, db_url: str, count: int, logs: Path) -> list[tuple[subprocess.Popen[str], Any]]:
    started = []
    for i in range(count):
        log = (logs / f"worker-{i}.log").open("w")
        cmd = m.raqib("worker", "--config", str(config), "--concurrency", "1", "--extract-workers", "1")
        started.append((subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True, env=m.env_for(db_url)), log))
    return started


def _stop_workers(workers: list[tuple[subprocess.Popen[str], Any]]) -> list[float]:
    """SIGTERM each worker; the CPU seconds of each and of everything it started (0 if unreadable)."""
    for proc, _log in workers:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    cpu = []
    for proc, log in workers:
        try:
            times = wait_cpu_seconds(proc) if proc.returncode is None else None
        finally:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        cpu.append(sum(times) if times else 0.0)
    return cpu


def _wait(what: str, done: Any, timeout: float, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            tails = "".join(p.read_text(errors="replace")[-1500:] for p in sorted(logs.glob("*.log")))
            raise RuntimeError(f"cluster bench: timed out waiting for {what}; worker logs:\n{tails}")
        time.sleep(0.2)


def cluster_run(services: setup.Services, sources: Path, sizes: Sizes, workers: int, workdir: Path) -> dict[str, Any]:
    """Jobs of every source through RabbitMQ to ``workers`` worker processes, on a fresh database."""
    queue = f"raqib.bench.{uuid.uuid4().hex[:10]}"
    config = workdir / f"cluster-{queue}.toml"
    setup.write_config(config, sources, services.broker_url, queue, sizes.batch)
    logs = workdir / queue
    logs.mkdir()
    with setup.throwaway_database(services.pg_url) as db_url:
        m.upgrade(db_url)
        started = _start_workers(config, db_url, workers, logs)
        try:
            _wait(
                f"{workers} worker(s) on {queue}",
                lambda: setup.queue_consumers(services.broker_url, queue) >= workers
                or any(p.poll() is not None for p, _ in started),
                READY_TIMEOUT,
                logs,
            )
            if any(p.poll() is not None for p, _ in started):
                _wait("a worker that exited", lambda: False, 0, logs)
            cpu0 = sum(_cpu_now(p.pid) for p, _ in started)
            t0 = datetime.now(UTC)
            site0 = time.process_time()
            daemon = m.run_measured(m.raqib("daemon", "--config", str(config), "--once"), m.env_for(db_url))
            expected = -(-sizes.sources // sizes.batch)
            _wait(f"{expected} job(s) to end", _jobs_ended(db_url, expected), max(600.0, sizes.pages * 2.0), logs)
            site_cpu = time.process_time() - site0
        finally:
            worker_cpu = _stop_workers(started)
            setup.delete_queue(services.broker_url, queue)
        end = m.scalar(db_url, "select max(finished_at) from cluster_jobs")
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
        states = m.scalar(db_url, "select string_agg(distinct state, ',') from cluster_jobs")
        rows = m.avg_row_bytes(db_url, ("cluster_jobs", "crawl_runs"))
        jobs = int(m.scalar(db_url, "select count(*) from cluster_jobs"))
        stored = int(m.scalar(db_url, "select count(*) from articles"))
    if states != "finished" or stored != sizes.pages:
        raise RuntimeError(f"cluster run with {workers} worker(s): job states {states}, {stored} of {sizes.pages} pages")
    return {
        "wall_s": (end - t0).total_seconds(),
        "cpu_s": sum(worker_cpu) - cpu0,
        "daemon_cpu_s": daemon.cpu_s,
        "daemon_wall_s": daemon.wall_s,
        "site_cpu_s": site_cpu,
        "jobs": jobs,
        "pages": stored,
        "avg_row_bytes": rows,
    }


def _jobs_ended(db_url: str, expected: int) -> Any:
    """A check that ``expected`` jobs reached a final state, on one engine (this process's CPU is
    counted as the site's, so the poll is kept cheap)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, pool_size=1)
    query = text("select count(*) from cluster_jobs where state in ('finished','failed','parked','dropped','skipped')")

    def ended() -> bool:
        with engine.connect() as conn:
            done = int(conn.execute(query).scalar() or 0) >= expected
        if done:
            engine.dispose()
        return done

    return ended


def _figures(runs: list[dict[str, Any]], pages: int) -> dict[str, Any]:
    """Medians over runs of pages/s, jobs/s, CPU per page and busy cores."""
    rates = [pages / r["wall_s"] for r in runs]
    out = {
        "pages_per_s": round(statistics.median(rates), 1),
        "cpu_ms_per_page": round(statistics.median(r["cpu_s"] / pages * 1000 for r in runs), 1),
        "busy_cores": round(statistics.median(r["cpu_s"] / r["wall_s"] for r in runs), 2),
        "site_cpu_ms_per_page": round(statistics.median(r["site_cpu_s"] / pages * 1000 for r in runs), 2),
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 2),
        "all_pages_per_s": [round(x, 1) for x in rates],
    }
    if "jobs" in runs[0]:
        out["jobs"] = runs[0]["jobs"]
        out["jobs_per_s"] = round(statistics.median(r["jobs"] / r["wall_s"] for r in runs), 3)
        out["daemon_cpu_s"] = round(statistics.median(r["daemon_cpu_s"] for r in runs), 2)
        out["daemon_wall_s"] = round(statistics.median(r["daemon_wall_s"] for r in runs), 2)
    return out


# -- poll cycle and fixed cost ------------------------------------------------------------------------


def _poll_figures(measured: m.Measured, stats: dict[str, Any], feeds: int) -> dict[str, Any]:
    return {
        "wall_s": round(measured.wall_s, 2),
        "cpu_s": round(measured.cpu_s, 2),
        "cpu_ms_per_feed": round(measured.cpu_s / feeds * 1000, 2),
        "bytes_received": int(stats.get("downloader/response_bytes", 0)),
        "bytes_sent": int(stats.get("downloader/request_bytes", 0)),
        "status_200": int(stats.get("downloader/response_status_count/200", 0)),
        "status_304": int(stats.get("downloader/response_status_count/304", 0)),
        "article_pages_fetched": int(stats["summary"]["pages_fetched"]),
    }


def polls_and_fixed_cost(services: setup.Services, site_url: str, sizes: Sizes, workdir: Path) -> dict[str, Any]:
    sources = workdir / "feeds.yaml"
    setup.write_feed_sources(sources, site_url, sizes.feeds)
    cycles: dict[str, list[dict[str, Any]]] = {"not_modified": [], "full": []}
    fixed: list[m.Measured] = []
    with setup.throwaway_database(services.pg_url) as db_url:
        m.upgrade(db_url)
        m.crawl(db_url, sources, ["polls", "one-feed"])  # learns the validators, stores the feed's articles
        for _ in range(sizes.runs):
            measured, stats = m.crawl(db_url, sources, ["polls"])
            cycles["not_modified"].append(_poll_figures(measured, stats, sizes.feeds))
            measured, stats = m.crawl(db_url, sources, ["polls"], "RAQIB_CONDITIONAL_GET=False")
            cycles["full"].append(_poll_figures(measured, stats, sizes.feeds))
        for _ in range(sizes.fixed_runs):
            measured, stats = m.crawl(db_url, sources, ["one-feed"])
            if int(stats.get("downloader/response_status_count/304", 0)) != 1:
                raise RuntimeError(f"the one-feed job was not answered 304: {stats}")
            fixed.append(measured)
        poll_rows = m.avg_row_bytes(db_url, ("poll_validators",))
    for name, runs in cycles.items():
        want = "status_304" if name == "not_modified" else "status_200"
        if any(r[want] < sizes.feeds for r in runs):
            raise RuntimeError(f"poll cycle {name}: expected {sizes.feeds} answers {want}, got {[r[want] for r in runs]}")

    def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {key: statistics.median(r[key] for r in runs) for key in runs[0]} | {
            "all_wall_s": [r["wall_s"] for r in runs]
        }

    return {
        "poll_cycle": {"feeds": sizes.feeds} | {name: median_of(runs) for name, runs in cycles.items()},
        "poll_rows": poll_rows,
        "job_fixed_cost": {
            "wall_s": round(statistics.median(f.wall_s for f in fixed), 2),
            "cpu_s": round(statistics.median(f.cpu_s for f in fixed), 2),
            "all_wall_s": [round(f.wall_s, 2) for f in fixed],
        },
    }


# -- the whole benchmark -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count() or 1,
        "cpu_model": model or platform.processor(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


def run(sizes: Sizes, services: setup.Services | None = None) -> dict[str, Any]:
    """Every measurement; raises ``setup.ServiceMissing`` when PostgreSQL or RabbitMQ is away."""
    from crawler.demo_site import DemoSite

    services = services or setup.Services()
    setup.check_services(services)
    # The machine is shared: its load beside the figures says how far to trust them.
    load_before = os.getloadavg()
    with (
        DemoSite(bench_articles=sizes.pages) as site,
        setup.SitemapServer(site.base_url, sizes.pages_per_source) as sitemaps,
        tempfile.TemporaryDirectory(prefix="raqib-cluster-bench-") as tmp,
    ):
        workdir = Path(tmp)
        site.render_bench_pages()
        sources = workdir / "sources.yaml"
        setup.write_sitemap_sources(sources, sitemaps.base_url, sizes.sources)
        local: list[dict[str, Any]] = []
        cluster: dict[int, list[dict[str, Any]]] = {w: [] for w in sizes.workers}
        for i in range(sizes.runs):
            # Interleaved, so that a drift of the machine's speed touches every mode alike.
            local.append(local_run(services, sources, sizes))
            print(f"run {i + 1}/{sizes.runs}: local {sizes.pages / local[-1]['wall_s']:.1f} pages/s", file=sys.stderr)
            for w in sizes.workers:
                cluster[w].append(cluster_run(services, sources, sizes, w, workdir))
                r = cluster[w][-1]
                print(
                    f"run {i + 1}/{sizes.runs}: {w} worker(s) {sizes.pages / r['wall_s']:.1f} pages/s, "
                    f"{r['jobs'] / r['wall_s']:.2f} jobs/s, {r['cpu_s'] / sizes.pages * 1000:.1f} ms CPU/page, "
                    f"{r['cpu_s'] / r['wall_s']:.2f} cores busy",
                    file=sys.stderr,
                )
        polls = polls_and_fixed_cost(services, site.base_url, sizes, workdir)
    return {
        "machine": machine() | {"loadavg_before": list(load_before), "loadavg_after": list(os.getloadavg())},
        "sizes": {
            "sources": sizes.sources,
            "pages_per_source": sizes.pages_per_source,
            "pages": sizes.pages,
            "batch": sizes.batch,
            "runs": sizes.runs,
            "worker_concurrency": 1,
            "worker_extract_workers": 1,
        },
        "local": _figures(local, sizes.pages),
        "daemon_due_ms_per_source": statistics.median(r["due_ms_per_source"] for r in local),
        "cluster": [{"workers": w} | _figures(cluster[w], sizes.pages) for w in sizes.workers],
        "pg_bytes_per_article": local[-1]["row_bytes"],
        "pg_avg_row_bytes": cluster[sizes.workers[0]][-1]["avg_row_bytes"] | polls.pop("poll_rows"),
        **polls,
    }


def _interrupted(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=Sizes.sources, help="sitemap sources (default: 12)")
    parser.add_argument("--pages-per-source", type=int, default=Sizes.pages_per_source, help="default: 20")
    parser.add_argument("--batch", type=int, default=Sizes.batch, help="sources per job (default: 2)")
    parser.add_argument("--workers", default="1,2,3", help="worker process counts to measure (default: 1,2,3)")
    parser.add_argument("--runs", type=int, default=Sizes.runs, help="runs of each mode (default: 3)")
    parser.add_argument("--feeds", type=int, default=Sizes.feeds, help="feeds of the poll cycle (default: 1000)")
    parser.add_argument("--fixed-runs", type=int, default=Sizes.fixed_runs, help="one-feed jobs timed (default: 5)")
    parser.add_argument("--pg-url", default=setup.Services.pg_url, help="PostgreSQL server (a database is made on it)")
    parser.add_argument("--broker-url", default=setup.Services.broker_url, help="RabbitMQ (a queue is made on it)")
    args = parser.parse_args(argv)
    try:
        workers = tuple(int(w) for w in args.workers.split(","))
    except ValueError:
        parser.error(f"--workers: expected counts such as 1,2,3, got {args.workers!r}")
    if min(args.sources, args.pages_per_source, args.batch, args.runs, args.feeds, args.fixed_runs, *workers) < 1:
        parser.error("every count must be at least 1")
    # SIGTERM unwinds like ^C, so workers are stopped and the database and queue dropped.
    signal.signal(signal.SIGTERM, _interrupted)
    sizes = Sizes(args.sources, args.pages_per_source, args.batch, workers, args.runs, args.feeds, args.fixed_runs)
    try:
        result = run(sizes, setup.Services(args.pg_url, args.broker_url))
    except setup.ServiceMissing as error:
        print(f"python -m benchmarks.cluster: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
