"""The Raqib daemon's entry point (``raqib daemon``, ``python -m scheduler``). Nothing is built at import time.

``main`` reads the ``[daemon]`` table of the Raqib TOML file, takes the single-instance lock on the
database, marks crawl runs a dead daemon left behind, and runs an APScheduler 3 scheduler whose jobs
live in the same database, so a restart keeps the schedule and runs what it missed, once. The parts
are in the ``daemon`` package, each with one job and none importing this file:

    daemon/config.py    the [daemon] and [[daemon.crawl]] tables, validated (keys documented there)
    daemon/lock.py      one daemon per database: SQLite file lock / PostgreSQL advisory lock
    daemon/context.py   what running jobs share: database, configuration, shutdown flag
    daemon/jobs.py      which jobs the configuration asks for, and what a crawl or digest job does
    daemon/runs.py      the daemon's crawl runs in the database: opened, closed with a reason, recovered
    daemon/local.py     the local runner: a watched child process (time limit, memory ceiling)
    daemon/schedule.py  the APScheduler scheduler: job store, stable job ids, reconcile, --once
    daemon/cluster.py   cluster mode: jobs written to PostgreSQL and published to Celery/RabbitMQ
    daemon/worker.py    what a cluster job does on a worker; worker_command.py: `raqib worker`
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.celery_app import BrokerError
from daemon.config import CONFIG_ENV, ConfigError, load_config
from daemon.lock import DaemonLockError

if TYPE_CHECKING:
    from daemon.config import DaemonConfig
    from daemon.context import JobContext

log = logging.getLogger("raqib.daemon")


def main(args: argparse.Namespace) -> int:
    """``raqib daemon``: build everything, run until SIGTERM/SIGINT (or once), exit 0."""
    from daemon.context import JobContext
    from daemon.lock import make_lock
    from daemon.runs import recover_stale_runs
    from daemon.schedule import build_scheduler, reconcile_jobs, run_once
    from storage.db import connect_checked, resolve_database_url, session_factory, upgrade

    config = load_config(args.config)
    if args.sources:
        config = dataclasses.replace(config, sources_file=str(Path(args.sources).resolve()))
    url = resolve_database_url(args.db)
    engine = connect_checked(url)
    dispatcher = _cluster_dispatcher(config, engine, url) if config.cluster else None
    ctx = JobContext(url, config, session_factory(engine), dispatcher)
    stop = threading.Event()
    # Before anything slow: a SIGTERM during start-up must also end in a clean exit 0.
    _install_signal_handlers(stop, ctx, config)
    lock = make_lock(engine)
    if args.standby:
        if not _wait_for_lock(lock, stop, args.standby_poll):
            engine.dispose()
            return 0
    else:
        lock.acquire()
    # Alembic narrates every migration step at INFO; a daemon's log wants the outcome only.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        upgrade(engine)
        recovered = recover_stale_runs(ctx)
        if recovered:
            log.warning("%d crawl run(s) left by a previous daemon marked killed", recovered)
        scheduler = build_scheduler(config, engine, ctx)
        scheduler.start(paused=True)
        try:
            reconcile_jobs(scheduler, config)
            log.info(
                "daemon started: pid %d, time zone %s, %d crawl group(s), config %s, %s",
                os.getpid(),
                config.timezone,
                len(config.groups),
                config.path or "defaults",
                f"cluster mode (broker {config.cluster.shown_url})" if config.cluster else "local mode",
            )
            if args.once:
                failures = run_once(scheduler, config, ctx)
                return 1 if failures else 0
            scheduler.resume()
            _cluster_beat(ctx)
            while not stop.wait(config.heartbeat):
                _cluster_beat(ctx)
                if not lock.alive():
                    log.error("lost the single-instance lock (database connection gone?); stopping")
                    ctx.request_stop(0)
                    scheduler.pause()
                    return 1
            log.info("stopping: no new jobs; running jobs get %.0f s to finish", config.shutdown_grace)
            scheduler.pause()
        finally:
            ctx.request_stop(config.shutdown_grace)
            scheduler.shutdown(wait=True)
        log.info("daemon stopped")
        return 0
    finally:
        if dispatcher is not None:
            _cluster_beat(ctx, stopped=True)
            dispatcher.close()
        lock.release()
        engine.dispose()


def _cluster_dispatcher(config: DaemonConfig, engine: Any, url: str) -> Any:
    """Cluster mode's checks (PostgreSQL, a reachable broker) and its job publisher."""
    from daemon.celery_app import check_broker
    from daemon.cluster import Dispatcher
    from daemon.worker import cluster_needs_postgresql, rules_version
    from storage.db import DatabaseError, session_factory

    assert config.cluster is not None
    if engine.dialect.name != "postgresql":
        engine.dispose()
        raise DatabaseError(cluster_needs_postgresql(url))
    try:
        check_broker(config.cluster)
    except Exception:
        engine.dispose()
        raise
    return Dispatcher(config.cluster, session_factory(engine), rules_version(None))


def _cluster_beat(ctx: JobContext, *, stopped: bool = False) -> None:
    """Cluster mode: publish jobs left pending by a broker outage, and report this daemon alive."""
    import socket

    from storage import cluster as store
    from storage.db import unit_of_work

    dispatcher = ctx.dispatcher
    if dispatcher is None:
        return
    if not stopped:
        dispatcher.flush()
    try:
        with unit_of_work(ctx.sessions) as session:
            store.heartbeat(
                session,
                name=f"daemon:{socket.gethostname()}:{os.getpid()}",
                role="daemon",
                host=socket.gethostname(),
                pid=os.getpid(),
                concurrency=ctx.config.max_parallel,
                rules_version=dispatcher.rules_version,
                running=0,
                stopped=stopped,
            )
    except Exception as error:  # noqa: BLE001 - a missed heartbeat must not stop the daemon
        log.warning("cluster heartbeat not recorded: %s", error)


def _wait_for_lock(lock: Any, stop: threading.Event, poll: float) -> bool:
    """Hot standby: try the single-instance lock every ``poll`` seconds until it is ours (True) or
    the standby is told to stop (False)."""
    announced = False
    while True:
        try:
            lock.acquire()
        except DaemonLockError as error:
            if not announced:
                log.info("standby: %s; taking over when it stops (checking every %.0f s)", error, poll)
                announced = True
        else:
            if announced:
                log.warning("standby: the active daemon is gone; taking over")
            return True
        if stop.wait(poll):
            log.info("standby stopped before taking over")
            return False


def _install_signal_handlers(stop: threading.Event, ctx: JobContext, config: DaemonConfig) -> None:
    def handle(signum: int, _frame: Any) -> None:
        if stop.is_set() or ctx.stopping:
            # Second signal: no more patience for running children.
            log.warning("%s again: stopping running jobs now", signal.Signals(signum).name)
            ctx.request_stop(0)
            return
        log.info("%s received", signal.Signals(signum).name)
        ctx.request_stop(config.shutdown_grace)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `raqib daemon`."""
    from storage.location import add_db_argument

    parser = subparsers.add_parser(
        "daemon",
        help="crawl on a schedule and send the daily digest",
        description=(
            "Run scheduled crawls (one child process each, with a time limit and a memory ceiling) and the "
            "digest at its local time. Jobs are kept in the database, so a restart runs what was missed, once. "
            "Stops cleanly on SIGTERM/SIGINT. Only one daemon may run per database."
        ),
    )
    add_db_argument(parser)
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help=f"the Raqib TOML file (default: ${CONFIG_ENV}, else built-in defaults)",
    )
    parser.add_argument(
        "--sources",
        metavar="FILE",
        default=None,
        help="sources file for the crawls (overrides [daemon] sources)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="crawl every group once, send the digest if it is due, and exit (for cron); exit 1 if a job failed",
    )
    parser.add_argument(
        "--standby",
        action="store_true",
        help="hot standby: if another daemon holds this database, wait and take over when it stops or dies",
    )
    parser.add_argument(
        "--standby-poll",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often a standby tries to take over (default: 5)",
    )
    parser.set_defaults(func=main)


def standalone(argv: list[str] | None = None) -> int:
    """``python -m scheduler [daemon options]``: the daemon without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="python -m scheduler")
    parser.add_argument("--debug", action="store_true")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["daemon", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return main(args)
    except (ConfigError, DaemonLockError, BrokerError) as error:
        print(f"raqib: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - same one-line contract as cli.main
        from storage.db import DatabaseError

        if args.debug or not isinstance(error, DatabaseError):
            raise
        print(f"raqib: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(standalone())
