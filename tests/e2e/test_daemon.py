"""The daemon as real processes: lock, timeouts, memory ceiling, SIGTERM, restart, --once.

Crawls here are `tests/e2e/fake_crawl.py` (a stand-in we control: sleep, ignore SIGTERM, grab
memory) so each behaviour is provoked on purpose; test_daemon_demo.py runs the real `raqib crawl`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.procs import crawl_runs, fake_crawl_command, pid_alive, toml_list, wait_for

STARTED = r"daemon started: pid"


def write_config(
    path: Path,
    *,
    crawl: str,
    every: str = "1h",
    grace: str = "20s",
    group_extra: str = "",
    digest: str = 'digest_at = ""',
) -> Path:
    path.write_text(
        f"""
[daemon]
timezone = "Asia/Riyadh"
heartbeat = "0.5s"
kill_wait = "1s"
shutdown_grace = "{grace}"
crawl_command = {crawl}
{digest}

[[daemon.crawl]]
name = "gulf"
sources = ["outlet-a", "outlet-b"]
every = "{every}"
{group_extra}
""",
        encoding="utf-8",
    )
    return path


def tick_digest(ticks: Path, every: str) -> str:
    """A digest job whose command only appends a line to ``ticks``: counts how often it ran."""
    script = "import sys, time; open(sys.argv[1], 'a').write(repr(time.time()) + chr(10))"
    return f'digest_every = "{every}"\ndigest_command = {toml_list(["python", "-c", script, str(ticks)])}'


def daemon_args(config: Path, url: str, *more: str) -> list[str]:
    return ["--config", str(config), "--db", url, *more]


def markers(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# ---------------------------------------------------------------------------------------------------
# Single-instance lock


def _second_daemon_refused(start_daemon, config: Path, url: str) -> None:
    first = start_daemon(daemon_args(config, url))
    first.wait_log(STARTED)
    second = start_daemon(daemon_args(config, url))
    assert second.wait(timeout=60) == 2
    refusal = second.log()
    assert "another Raqib daemon is already running on this database" in refusal
    assert f"pid={first.pid}" in refusal or f"pid {first.pid}" in refusal, refusal
    assert "Traceback" not in refusal
    assert first.proc.poll() is None, "the first daemon must be unaffected"
    first.signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0


def test_second_daemon_on_same_sqlite_refuses(tmp_path, start_daemon, sqlite_url):
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command())
    _second_daemon_refused(start_daemon, config, sqlite_url)


@pytest.mark.postgres
def test_second_daemon_on_same_postgres_refuses(tmp_path, start_daemon, pg_db):
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command())
    _second_daemon_refused(start_daemon, config, pg_db)


def test_stale_sqlite_lock_of_dead_daemon_is_taken_over(tmp_path, start_daemon, sqlite_url):
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command())
    # A lock file a dead daemon left (no flock held any more, a pid that no longer exists).
    dead = start_daemon(["--help"])
    dead.wait()
    lock_file = tmp_path / "raqib.sqlite.daemon.lock"
    lock_file.write_text(
        json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "2020-01-01T00:00:00+00:00"})
    )
    daemon = start_daemon(daemon_args(config, sqlite_url))
    log = daemon.wait_log(STARTED)
    assert f"taking over the daemon lock left by a daemon that is gone (pid {dead.pid}" in log
    assert json.loads(lock_file.read_text())["pid"] == daemon.pid
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_sigkilled_daemon_leaves_no_lock_and_its_crawl_is_marked_killed(
    tmp_path, start_daemon, request, backend
):
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_db")
    marker = tmp_path / "marker"
    config = write_config(
        tmp_path / "raqib.toml", crawl=fake_crawl_command("--sleep", "60", "--marker", str(marker))
    )
    first = start_daemon(daemon_args(config, url))
    first.wait_log(r"crawl gulf: started run #1")
    wait_for(lambda: markers(marker), 30, "the crawl child to start")
    child_pid = int(markers(marker)[0].split()[2])
    first.signal(signal.SIGKILL)
    first.wait()
    # PR_SET_PDEATHSIG: the orphaned crawl dies with the daemon instead of crawling on unsupervised.
    wait_for(lambda: not pid_alive(child_pid), 10, "the orphaned crawl child to die")
    assert crawl_runs(url)[0].status == "running"

    second = start_daemon(daemon_args(config, url))
    log = second.wait_log(STARTED)
    assert "crawl run #1 (group gulf) was left running by a dead daemon: marked killed" in log
    first_run = crawl_runs(url)[0]
    assert first_run.status == "killed"
    assert first_run.errors[-1]["reason"] == "daemon_died"
    second.signal(signal.SIGTERM)
    assert second.wait() == 0


# ---------------------------------------------------------------------------------------------------
# Limits on a crawl


def test_crawl_over_its_time_limit_is_killed_and_recorded_as_timeout(tmp_path, start_daemon, sqlite_url):
    # --ignore-term: the child shrugs off SIGTERM, so the daemon must escalate to SIGKILL.
    marker = tmp_path / "marker"
    crawl = fake_crawl_command("--sleep", "60", "--ignore-term", "--marker", str(marker))
    config = write_config(tmp_path / "raqib.toml", crawl=crawl, group_extra='timeout = "2s"')
    started = time.monotonic()
    once = start_daemon(daemon_args(config, sqlite_url, "--once"))
    assert once.wait(timeout=60) == 1  # --once reports the failed job
    assert time.monotonic() - started < 30
    (run,) = crawl_runs(sqlite_url)
    assert run.status == "timeout"
    assert run.finished_at is not None
    assert run.errors[-1]["reason"] == "timeout"
    assert "2 s" in run.errors[-1]["detail"]
    assert run.stats["daemon/group"] == "gulf"
    child_pid = int(markers(marker)[0].split()[2])
    assert not pid_alive(child_pid)
    log = once.log()
    assert "over its 2 s time limit" in log
    assert "did not stop within 1 s of SIGTERM; sending SIGKILL" in log
    assert "run #1 timeout" in log


def test_crawl_over_its_memory_ceiling_is_stopped(tmp_path, start_daemon, sqlite_url):
    crawl = fake_crawl_command("--grab-mb", "300", "--sleep", "30")
    config = write_config(tmp_path / "raqib.toml", crawl=crawl, group_extra="memory_mb = 150")
    once = start_daemon(daemon_args(config, sqlite_url, "--once"))
    assert once.wait(timeout=60) == 1
    (run,) = crawl_runs(sqlite_url)
    assert run.status == "killed"
    assert run.errors[-1]["reason"] == "memory"
    assert run.stats["daemon/peak_rss_mb"] > 150
    assert "over its 150 MB ceiling" in once.log()


def test_failing_crawl_is_recorded_with_its_reason_and_the_daemon_goes_on(tmp_path, start_daemon, sqlite_url):
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command("--fail"), every="1s")
    daemon = start_daemon(daemon_args(config, sqlite_url))
    daemon.wait_log(r"crawl gulf: run #\d+ failed", count=2)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    runs = crawl_runs(sqlite_url)
    assert len(runs) >= 2 and all(run.status == "failed" for run in runs)
    assert runs[0].errors[-1] == {
        "url": "",
        "source": "outlet-a,outlet-b",
        "reason": "exit_2",
        "detail": "raqib: error: sources file broken.yaml: no such file",
    }


# ---------------------------------------------------------------------------------------------------
# Shutdown


def test_sigterm_lets_the_running_crawl_finish_and_exits_0(tmp_path, start_daemon, sqlite_url):
    marker = tmp_path / "marker"
    config = write_config(
        tmp_path / "raqib.toml", crawl=fake_crawl_command("--sleep", "3", "--marker", str(marker))
    )
    daemon = start_daemon(daemon_args(config, sqlite_url))
    wait_for(lambda: markers(marker), 30, "the crawl to start")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    assert [line.split()[0] for line in markers(marker)] == ["start", "end"]
    (run,) = crawl_runs(sqlite_url)
    assert run.status == "finished"
    assert run.stats["fake/sources"] == "outlet-a,outlet-b"
    log = daemon.log()
    assert "SIGTERM received" in log and "daemon stopped" in log


def test_sigterm_stops_a_crawl_that_outlasts_the_grace_period(tmp_path, start_daemon, sqlite_url):
    marker = tmp_path / "marker"
    crawl = fake_crawl_command("--sleep", "60", "--marker", str(marker))
    config = write_config(tmp_path / "raqib.toml", crawl=crawl, grace="1s")
    daemon = start_daemon(daemon_args(config, sqlite_url))
    wait_for(lambda: markers(marker), 30, "the crawl to start")
    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    assert time.monotonic() - started < 20
    (run,) = crawl_runs(sqlite_url)
    assert run.status == "killed"
    assert run.errors[-1]["reason"] == "shutdown"
    assert not pid_alive(int(markers(marker)[0].split()[2]))


# ---------------------------------------------------------------------------------------------------
# Schedule kept in the database


def test_restart_runs_a_missed_job_once(tmp_path, start_daemon, sqlite_url):
    ticks = tmp_path / "ticks"
    digest = tick_digest(ticks, "1s")
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command(), digest=digest)
    daemon = start_daemon(daemon_args(config, sqlite_url))
    daemon.wait_log(r"digest \(daily\): done")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    before = len(markers(ticks))
    time.sleep(5)  # five digest periods pass while the daemon is down

    again = start_daemon(daemon_args(config, sqlite_url))
    log = again.wait_log(r"digest \(daily\): done")
    assert "job raqib-digest missed its run" in log
    time.sleep(1.5)
    after = [float(t) for t in markers(ticks)[before:]]
    assert after, "the missed digest did not run after the restart"
    # Coalesced: five missed periods give one catch-up run; after it the job keeps its 1 s grid, whose
    # next tick may come at any moment. Five catch-up runs in a burst would put 3+ runs in one second.
    burst = max(sum(1 for t in after if start <= t < start + 0.9) for start in after)
    assert burst <= 2, f"missed runs were not coalesced into one: {after}"


def test_once_crawls_every_group_and_runs_the_digest_only_when_due(tmp_path, start_daemon, sqlite_url):
    ticks = tmp_path / "ticks"
    digest = tick_digest(ticks, "1s")
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command(), digest=digest)
    config.write_text(config.read_text() + '\n[[daemon.crawl]]\nname = "maghreb"\ncron = "0 * * * *"\n')

    first = start_daemon(daemon_args(config, sqlite_url, "--once"))
    assert first.wait() == 0
    assert [run.stats["daemon/group"] for run in crawl_runs(sqlite_url)] == ["gulf", "maghreb"]
    assert [run.stats["fake/sources"] for run in crawl_runs(sqlite_url)] == ["outlet-a,outlet-b", "*"]
    assert not ticks.exists(), "a fresh schedule's digest is not due yet"
    assert "digest: not due" in first.log()

    time.sleep(1.2)
    second = start_daemon(daemon_args(config, sqlite_url, "--once"))
    assert second.wait() == 0
    assert len(crawl_runs(sqlite_url)) == 4
    assert len(markers(ticks)) == 1, "the digest that came due ran once"


# ---------------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[daemon]\ntimezone = "Mars/Olympus"\n', "[daemon] timezone: unknown time zone 'Mars/Olympus'"),
        ('[daemon]\ncrawl_timout = "5m"\n', "[daemon] unknown key 'crawl_timout'"),
        (
            '[[daemon.crawl]]\nname = "x"\nevery = "soon"\n',
            "[daemon.crawl x] every: cannot read duration 'soon'",
        ),
        ('[[daemon.crawl]]\nname = "x"\n', "[daemon.crawl x] needs exactly one of 'every' or 'cron'"),
        ('[[daemon.crawl]]\nname = "x"\ncron = "61 * * * *"\n', "[daemon.crawl x] cron: invalid crontab"),
        ('[daemon]\ndigest_at = "25:00"\n', "[daemon] digest_at: no such time of day"),
        ("[daemon\n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_one_line_naming_file_table_and_key(
    tmp_path, start_daemon, sqlite_url, body, message
):
    config = tmp_path / "raqib.toml"
    config.write_text(body)
    daemon = start_daemon(daemon_args(config, sqlite_url))
    assert daemon.wait() == 2
    out = daemon.log().strip()
    assert out.startswith(f"raqib: error: {config}") and message in out, out
    assert len(out.splitlines()) == 1


def test_unreachable_database_is_one_line(tmp_path, start_daemon):
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command())
    daemon = start_daemon(daemon_args(config, "postgresql+psycopg://nobody@127.0.0.1:9/none"))
    assert daemon.wait() == 2
    out = daemon.log().strip()
    assert out.startswith("raqib: error: cannot connect to PostgreSQL at 127.0.0.1:9"), out
    assert os.linesep not in out


def test_installed_daemon_runs_outside_the_source_tree(tmp_path, start_daemon, sqlite_url):
    """`raqib daemon` as a user runs it: from any folder, through the installed console script."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = write_config(tmp_path / "raqib.toml", crawl=fake_crawl_command())
    raqib = Path(sys.executable).with_name("raqib")
    once = start_daemon(
        daemon_args(config, sqlite_url, "--once"), command=[str(raqib), "daemon"], cwd=elsewhere
    )
    status = once.wait()
    # "No module named 'daemon'" here: pyproject.toml's [tool.setuptools.packages.find] must include "daemon*".
    assert status == 0, once.log()[-2000:]
    assert [run.status for run in crawl_runs(sqlite_url)] == ["finished"]
