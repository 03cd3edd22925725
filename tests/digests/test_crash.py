"""`raqib digest` as a real process, SIGKILLed at controlled points; the next run delivers exactly once.

``RAQIB_DIGEST_PAUSE=<point>:<seconds>`` makes the command announce the point on stderr and sleep
there; the test kills it while it sleeps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.digests.conftest import LAUNDERING, WIRE, WIRE_COPY, ArticleSpec
from tests.smtp_server import free_port


def write_config(path: Path, port: int, out: Path) -> Path:
    path.write_text(
        f"""
[digest]
formats = ["html", "json"]
out_dir = "{out}"
timezone = "Asia/Riyadh"

[email]
recipients = ["analyst@example.org"]
sender_name = "رقيب"
sender_address = "raqib@example.org"
smtp_host = "127.0.0.1"
smtp_port = {port}
timeout_seconds = 5
""",
        encoding="utf-8",
    )
    return path


def digest(db_url: str, config: Path, *args: str, pause: str = "") -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"RAQIB_CONFIG", "RAQIB_DIGEST_PAUSE"}}
    if pause:
        env["RAQIB_DIGEST_PAUSE"] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "digest", "--db", db_url, "--config", str(config), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_paused(proc: subprocess.Popen, point: str) -> None:
    deadline = time.monotonic() + 60
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if f"paused at {point}" in line:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)  # reaped: the pid is gone, so the next run sees a dead holder at once
            return
    proc.kill()
    pytest.fail(f"digest process never paused at {point}: {proc.communicate()}")


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


@pytest.fixture
def articles(store):
    return store.add(
        ArticleSpec("https://one.example/a", "ضبط محافظ عملات مشفرة لخلية إرهابية", WIRE),
        ArticleSpec("https://two.example/b", "السلطات تضبط عملات مشفرة", WIRE_COPY, source="wire-two"),
        ArticleSpec(
            "https://two.example/c", "شبكة غسل أموال ببيتكوين", LAUNDERING, source="wire-two", label="related"
        ),
    )


def test_kill_after_claim_then_next_run_delivers_once(tmp_path, db_url, store, articles, smtp):
    inbox, port = smtp
    config = write_config(tmp_path / "raqib.toml", port, tmp_path / "out")

    kill_when_paused(digest(db_url, config, "--email", "--format", "none", pause="claimed:60"), "claimed")
    assert inbox.messages == []
    assert set(store.deliveries("email").values()) == {"claimed"}

    code, out, err = finish(digest(db_url, config, "--email", "--format", "none"))
    assert code == 0, err
    assert "e-mailed 2 stories (3 articles) to analyst@example.org" in out
    assert len(inbox.messages) == 1
    assert store.deliveries("email") == {i: "sent" for i in articles.values()}

    code, out, err = finish(digest(db_url, config, "--email", "--format", "none"))
    assert code == 0 and len(inbox.messages) == 1


def test_kill_between_smtp_accept_and_confirm_resends_with_the_same_message_id(
    tmp_path, db_url, store, articles, smtp
):
    """The one window left (see digests/select.py): the resend carries the first Message-ID."""
    inbox, port = smtp
    config = write_config(tmp_path / "raqib.toml", port, tmp_path / "out")

    kill_when_paused(digest(db_url, config, "--email", "--format", "none", pause="accepted:60"), "accepted")
    assert len(inbox.messages) == 1
    code, _, err = finish(digest(db_url, config, "--email", "--format", "none"))
    assert code == 0, err
    assert len(inbox.messages) == 2
    assert inbox.messages[0][1]["Message-ID"] == inbox.messages[1][1]["Message-ID"]
    assert store.deliveries("email") == {i: "sent" for i in articles.values()}
    code, _, _ = finish(digest(db_url, config, "--email", "--format", "none"))
    assert code == 0 and len(inbox.messages) == 2


def test_files_killed_before_confirm_are_rewritten_in_place(tmp_path, db_url, store, articles, smtp):
    _, port = smtp
    out = tmp_path / "out"
    config = write_config(tmp_path / "raqib.toml", port, out)

    kill_when_paused(digest(db_url, config, pause="accepted:60"), "accepted")
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert len(first) == 2
    code, stdout, err = finish(digest(db_url, config))
    assert code == 0, err
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == first
    assert [Path(line).relative_to(out) for line in stdout.split()] == first
    assert store.deliveries("files") == {i: "sent" for i in articles.values()}


def test_dead_smtp_exits_non_zero_with_one_line(tmp_path, db_url, store, articles, smtp):
    inbox, port = smtp
    dead = write_config(tmp_path / "dead.toml", free_port(), tmp_path / "out")
    code, out, err = finish(digest(db_url, dead, "--email"))
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("raqib: error: SMTP 127.0.0.1:")
    assert "connection refused" in err and "Traceback" not in err
    # The files channel is independent and went out; the e-mail items stay pending.
    assert len([line for line in out.split() if line.endswith((".html", ".json"))]) == 2
    assert set(store.deliveries("email").values()) == {"claimed"}

    live = write_config(tmp_path / "live.toml", port, tmp_path / "out")
    code, _, err = finish(digest(db_url, live, "--email"))
    assert code == 0, err
    assert len(inbox.messages) == 1
