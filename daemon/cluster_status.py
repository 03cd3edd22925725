"""``raqib cluster status [--json]``: what the cluster is doing, from PostgreSQL and the broker.

Workers and daemons report a heartbeat to ``cluster_members``; jobs live in ``cluster_jobs``; the
queue depth comes from RabbitMQ (a passive declare, which changes nothing). Exit status 1 when
something needs a look: no worker alive, a parked job, or a worker judging with other rules than the
daemon's.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from daemon.cluster_config import ClusterConfig


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    alive: bool
    running: int
    concurrency: int
    rules_version: str
    seen_at: str


@dataclass(frozen=True)
class ClusterStatus:
    broker: str
    queue: str
    queue_depth: int | None  # None: the broker could not be asked
    consumers: int | None
    members: list[Member]
    jobs: dict[str, int]
    oldest_waiting: str | None
    parked: list[dict[str, Any]]
    rules_mismatch: list[str]
    last_success: dict[str, str | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def workers_alive(self) -> int:
        return sum(1 for m in self.members if m.role == "worker" and m.alive)


def gather(session: Session, cluster: ClusterConfig, *, hours: float = 24.0, now: datetime | None = None) -> ClusterStatus:
    """The status as of ``now``; final jobs are counted over the last ``hours``."""
    from daemon.celery_app import queue_depth
    from storage import cluster as store

    now = now or datetime.now(UTC)
    stale = timedelta(seconds=3 * cluster.heartbeat)
    members = [
        Member(
            name=row.name,
            role=row.role,
            alive=row.stopped_at is None and row.seen_at >= now - stale,
            running=row.running,
            concurrency=row.concurrency,
            rules_version=row.rules_version,
            seen_at=row.seen_at.isoformat(timespec="seconds"),
        )
        for row in store.members(session)
        if row.stopped_at is None or row.stopped_at >= now - timedelta(hours=hours)
    ]
    counts = store.job_counts(session, now - timedelta(hours=hours))
    depth = queue_depth(cluster)
    daemons = [m for m in members if m.role == "daemon" and m.alive]
    reference = daemons[0].rules_version if daemons else ""
    mismatch = [
        f"{m.name} judges with rules {m.rules_version}, the daemon with {reference}"
        for m in members
        if m.role == "worker" and m.alive and reference and m.rules_version != reference
    ]
    problems = []
    if not any(m.role == "worker" and m.alive for m in members):
        problems.append("no worker alive")
    if depth is None:
        problems.append(f"broker {cluster.shown_url} unreachable")
    if counts.parked:
        problems.append(f"{len(counts.parked)} parked job(s)")
    problems += mismatch
    return ClusterStatus(
        broker=cluster.shown_url,
        queue=cluster.queue,
        queue_depth=depth[0] if depth else None,
        consumers=depth[1] if depth else None,
        members=members,
        jobs=counts.by_state,
        oldest_waiting=counts.oldest_waiting.isoformat(timespec="seconds") if counts.oldest_waiting else None,
        parked=[{"job": i, "group": g, "sources": s, "reason": r} for i, g, s, r in counts.parked],
        rules_mismatch=mismatch,
        last_success=last_success(session),
        problems=problems,
    )


def last_success(session: Session) -> dict[str, str | None]:
    """Each known source's newest finished crawl run (None: never)."""
    from sqlalchemy import func, select

    from storage.models import CrawlRun, Source

    found: dict[str, str | None] = {name: None for name in session.scalars(select(Source.name))}
    rows = session.execute(
        select(CrawlRun.sources, func.max(CrawlRun.finished_at))
        .where(CrawlRun.status == "finished")
        .group_by(CrawlRun.sources)
    )
    for sources, finished in rows:
        for name in (n.strip() for n in (sources or "").split(",") if n.strip()):
            stamp = finished.isoformat(timespec="seconds") if finished else None
            if stamp and (found.get(name) is None or stamp > (found[name] or "")):
                found[name] = stamp
    return found


def render(status: ClusterStatus) -> str:
    lines = [
        f"broker {status.broker}, queue {status.queue}: "
        + (
            f"{status.queue_depth} waiting, {status.consumers} consumer(s)"
            if status.queue_depth is not None
            else "UNREACHABLE"
        )
    ]
    workers = [m for m in status.members if m.role == "worker"]
    lines.append(f"workers: {status.workers_alive} alive of {len(workers)} seen")
    for m in status.members:
        lines.append(
            f"  {m.role:6} {m.name}: {'alive' if m.alive else 'GONE'}, {m.running}/{m.concurrency} running, "
            f"rules {m.rules_version}, last seen {m.seen_at}"
        )
    order = ("pending", "queued", "running", "finished", "failed", "skipped", "dropped", "parked")
    lines.append("jobs: " + ", ".join(f"{status.jobs.get(s, 0)} {s}" for s in order))
    lines.append(f"oldest waiting job: {status.oldest_waiting or 'none'}")
    for job in status.parked:
        lines.append(f"  parked job #{job['job']} ({job['group']}: {', '.join(job['sources'])}): {job['reason']}")
    never = sorted(name for name, stamp in status.last_success.items() if stamp is None)
    lines.append(
        f"sources: {len(status.last_success) - len(never)} with a finished crawl"
        + (f", {len(never)} never: {', '.join(never[:10])}{' …' if len(never) > 10 else ''}" if never else "")
    )
    lines.append("problems: " + ("; ".join(status.problems) if status.problems else "none"))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from daemon.cluster_config import BROKER_ENV
    from daemon.config import ConfigError, load_config
    from storage.db import open_database, session_factory

    config = load_config(args.config)
    if config.cluster is None:
        raise ConfigError(
            f"no cluster configured: set [cluster] broker_url in {config.path or 'the Raqib TOML file'} or ${BROKER_ENV}"
        )
    engine = open_database(args.db, migrate=False)
    try:
        with session_factory(engine)() as session:
            status = gather(session, config.cluster, hours=args.hours)
    finally:
        engine.dispose()
    if args.json:
        data = asdict(status)
        data["workers_alive"] = status.workers_alive
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(render(status))
    return 1 if status.problems else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `raqib cluster status`."""
    from daemon.config import CONFIG_ENV
    from storage.location import add_db_argument

    parser = subparsers.add_parser("cluster", help="see the cluster mode's workers, queue and jobs")
    sub = parser.add_subparsers(dest="cluster_command", metavar="SUBCOMMAND", required=True)
    status = sub.add_parser(
        "status",
        help="workers alive, queue depth, jobs by state, parked jobs, each source's last success",
        description=(
            "Report the cluster from the shared database and the broker: workers and daemons with their "
            "last heartbeat and rules version, the queue's depth, jobs by state over the last HOURS, the "
            "oldest waiting job, parked jobs and each source's last finished crawl. Exit status 1 when "
            "something needs a look (no worker alive, a parked job, a rules mismatch, broker unreachable)."
        ),
    )
    add_db_argument(status)
    status.add_argument("--config", metavar="FILE", default=None, help=f"the Raqib TOML file (default: ${CONFIG_ENV})")
    status.add_argument("--hours", type=float, default=24.0, help="count finished jobs over this many hours (default 24)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(func=main)
