"""``raqib worker``: the command that starts a Celery worker running ``daemon.worker``'s jobs.

Checks first what a worker needs (a broker in the configuration, PostgreSQL at the current schema, the
broker reachable), so a wrong set-up ends in one line instead of a worker that takes jobs and fails
them; then registers the crawl task bound to this process's runtime and runs Celery's worker with the
threads pool (why: ``daemon.worker``), reporting a heartbeat to ``cluster_members`` until it stops.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import threading
from typing import TYPE_CHECKING, Any

from daemon.celery_app import CRAWL_TASK, make_app
from daemon.worker import GiveBack, WorkerOptions, WorkerRuntime, cluster_needs_postgresql, rules_version

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger("raqib.worker")


def register_task(app: Celery, runtime: WorkerRuntime) -> Any:
    """Register the crawl task on ``app``, bound to ``runtime`` (a closure, not a global)."""
    from celery.exceptions import Reject

    @app.task(name=CRAWL_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
    def crawl_job(self: Any, job_id: int) -> str:
        redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
        try:
            return runtime.run_job(int(job_id), redelivered=redelivered)
        except GiveBack:
            raise Reject("worker shutting down", requeue=True) from None

    return crawl_job


def main(args: argparse.Namespace) -> int:
    """``raqib worker``: check the configuration, database and broker, then run the Celery worker."""
    from celery import signals

    from daemon.cluster_config import BROKER_ENV
    from daemon.config import ConfigError, load_config
    from daemon.context import JobContext
    from storage.db import (
        DatabaseError,
        connect_checked,
        require_current,
        resolve_database_url,
        session_factory,
    )

    config = load_config(args.config)
    if args.sources:
        import dataclasses
        from pathlib import Path

        config = dataclasses.replace(config, sources_file=str(Path(args.sources).resolve()))
    if config.cluster is None:
        raise ConfigError(
            f"raqib worker needs a broker: set [cluster] broker_url in {config.path or 'the Raqib TOML file'} "
            f"or ${BROKER_ENV}"
        )
    url = resolve_database_url(args.db)
    engine = connect_checked(url)
    if engine.dialect.name != "postgresql":
        raise DatabaseError(cluster_needs_postgresql(url))
    require_current(engine)
    from daemon.celery_app import check_broker

    check_broker(config.cluster)
    ctx = JobContext(url, config, session_factory(engine))
    options = WorkerOptions(
        concurrency=args.concurrency,
        extract_workers=args.extract_workers,
        rules_dir=args.rules,
        rules_version=rules_version(args.rules),
    )
    runtime = WorkerRuntime(ctx, config.cluster, options)
    app = make_app(config.cluster)
    register_task(app, runtime)
    stop_beat = threading.Event()

    def beat() -> None:
        while True:
            try:
                runtime.heartbeat()
            except Exception as error:  # noqa: BLE001 - the database may blink; the worker goes on
                log.warning("heartbeat not recorded: %s", error)
            if stop_beat.wait(config.cluster.heartbeat if config.cluster else 15.0):
                return

    def shutting_down(**_kwargs: Any) -> None:
        # Celery's warm shutdown waits for running jobs; give their crawls the daemon's grace, then stop
        # them (they go back to the queue, GiveBack).
        ctx.request_stop(config.shutdown_grace)

    signals.worker_shutting_down.connect(shutting_down, weak=False)
    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    log.info(
        "worker %s: broker %s, queue %s, %d job(s) at once, rules %s",
        runtime.name,
        config.cluster.shown_url,
        config.cluster.queue,
        args.concurrency,
        options.rules_version,
    )
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={args.concurrency}",
        f"--hostname=raqib@{socket.gethostname()}-{os.getpid()}",
        f"--queues={config.cluster.queue}",
        f"--loglevel={'DEBUG' if args.debug else 'INFO'}",
        "--without-mingle",
    ]
    try:
        app.worker_main(argv)
    finally:
        stop_beat.set()
        try:
            runtime.heartbeat(stopped=True)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        engine.dispose()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `raqib worker`."""
    from daemon.config import CONFIG_ENV
    from storage.location import add_db_argument

    parser = subparsers.add_parser(
        "worker",
        help="run crawl jobs of the cluster mode (a Celery worker on [cluster] broker_url)",
        description=(
            "Take crawl jobs that `raqib daemon` publishes on the broker of [cluster] broker_url (or "
            "$RAQIB_BROKER_URL) and run each in a child process with the job's time limit and memory "
            "ceiling, writing to the shared PostgreSQL database. Start one per machine; a job held by a "
            "worker that dies is delivered to another. SIGTERM: finish or hand back running jobs, then exit."
        ),
    )
    add_db_argument(parser)
    parser.add_argument("--config", metavar="FILE", default=None, help=f"the Raqib TOML file (default: ${CONFIG_ENV})")
    parser.add_argument("--sources", metavar="FILE", default=None, help="sources file (overrides [daemon] sources)")
    parser.add_argument(
        "--concurrency", type=_positive, default=2, metavar="N", help="jobs run at once (default: 2)"
    )
    parser.add_argument(
        "--extract-workers",
        type=_positive,
        default=1,
        metavar="N",
        help="extraction processes per crawl (default: 1; a worker runs several crawls at once)",
    )
    parser.add_argument(
        "--rules", metavar="DIR", default=None, help="rules folder for the classify stage (default: packaged packs)"
    )
    parser.set_defaults(func=main)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return number
