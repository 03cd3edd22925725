"""`raqib demo --web`: the demo's database opened in the workspace, with a demo user whose password the
command prints — a real uvicorn on a free 127.0.0.1 port, logged in over HTTP, stopped with Ctrl-C.

The demo database is the real `raqib demo`'s, made once for the module (the whole bundled site, as a
new user gets it); the web step then runs with ``--no-crawl`` on it, twice, so the second run shows
that the demo user is created once and its password replaced.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.procs import REPO, wait_for
from tests.smtp_server import free_port

CLI = [sys.executable, "-m", "cli"]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [*CLI, "demo", "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300, env=_env()
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Plain `raqib demo` tells how to open the workspace.
    assert f"raqib demo --web --no-crawl --out {out}" in proc.stdout
    return out


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RAQIB_DATABASE_URL", None)
    return env


class WebStep:
    """`raqib demo --web --no-crawl` in a child process, its stdout read line by line."""

    def __init__(self, out: Path, port: int) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "demo", "--web", "--no-crawl", "--out", str(out), "--port", str(port)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def printed(self, pattern: str) -> re.Match[str]:
        def find() -> re.Match[str] | None:
            if self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"demo --web exited {self.proc.returncode}: {self.stderr()}")
            return next((m for line in self.lines if (m := re.search(pattern, line))), None)

        return wait_for(find, 60, f"a line matching {pattern!r}")

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read()[-3000:]

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


@pytest.fixture
def web_step(demo_out: Path) -> Iterator[type[WebStep]]:
    started: list[WebStep] = []

    def start(port: int) -> WebStep:
        step = WebStep(demo_out, port)
        started.append(step)
        return step

    yield start  # type: ignore[misc]
    for step in started:
        if step.proc.poll() is None:
            step.proc.kill()
            step.proc.wait()


def _login(base: str, user: str, password: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token, "no CSRF token on the login page"
    answer = client.post(
        "/login", data={"csrf": token.group(1), "name": user, "password": password, "next": "/"}
    )
    return client, answer


def _flagged_titles(out: Path) -> list[str]:
    from storage import db
    from storage.models import Article, Classification

    engine = db.make_engine(f"sqlite:///{out / 'raqib-demo.sqlite'}")
    try:
        with db.session_factory(engine)() as session:
            return list(
                session.scalars(
                    select(Article.title)
                    .join(Classification, Classification.article_id == Article.id)
                    .where(Classification.label.in_(("core", "related")))
                )
            )
    finally:
        engine.dispose()


def test_demo_web_opens_the_workspace_with_the_printed_login(demo_out: Path, web_step) -> None:
    titles = _flagged_titles(demo_out)
    assert titles, "the demo crawl flagged nothing"

    port = free_port()
    step = web_step(port)
    url = step.printed(r"^Workspace:\s+(http://127\.0\.0\.1:\d+/)").group(1)
    assert url == f"http://127.0.0.1:{port}/"
    login = step.printed(r"^Login:\s+(\S+) / (\S+)\s+\((\w+)\)")
    user, password, role = login.groups()
    assert (user, role) == ("demo", "reviewer")

    client, answer = wait_for(lambda: _try_login(url, user, password), 30, "the workspace to answer")
    try:
        assert answer.status_code == 200 and str(answer.url) == url, answer.text[:500]
        inbox = answer.text
        shown = [t for t in titles if html.escape(t, quote=False) in inbox or html.escape(t) in inbox]
        assert shown, "no flagged demo story on the inbox"
        # A reviewer sees the review actions on a story.
        story_id = re.search(r'href="/story/(\d+)"', inbox)
        assert story_id
        story = client.get(f"/story/{story_id.group(1)}")
        assert story.status_code == 200 and 'name="verdict"' in story.text
    finally:
        client.close()
    assert step.stop() == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=2)

    # Again on the same database: one demo user, a new password, the old one refused.
    again = web_step(port)
    new_password = again.printed(r"^Login:\s+demo / (\S+)").group(1)
    assert new_password != password
    old_client, refused = wait_for(lambda: _try_login(url, "demo", password), 30, "the workspace to answer")
    old_client.close()
    assert refused.status_code == 401
    new_client, accepted = _login(url, "demo", new_password)
    new_client.close()
    assert accepted.status_code == 200 and str(accepted.url) == url
    assert again.stop() == 0


def _try_login(url: str, user: str, password: str) -> tuple[httpx.Client, httpx.Response] | None:
    try:
        return _login(url, user, password)
    except httpx.TransportError:
        return None


def test_demo_web_without_a_demo_database_says_so(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*CLI, "demo", "--web", "--no-crawl", "--out", str(tmp_path / "none")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("raqib: error: no demo database at")


def test_demo_web_on_a_taken_port_says_so(demo_out: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [*CLI, "demo", "--web", "--no-crawl", "--out", str(demo_out), "--port", str(port)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(),
        )
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"raqib: error: cannot serve the workspace on 127.0.0.1:{port}")
    assert "--port" in last
