"""`DemoSite`: the demo news site and its "other host" served over real HTTP from daemon threads."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from .links import SiteLinks
from .model import Entry, load_content, utc_today
from .routes import OtherHostApp, Response, SiteApp, conditional
from .sources_file import sources_yaml


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # path including the query string, as sent
    user_agent: str
    time: float  # time.time() when the request line was read
    if_none_match: str = ""  # the conditional-GET headers sent, if any
    if_modified_since: str = ""
    status: int = 0  # what the site answered


class _Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the benchmark opens many connections at once

    def __init__(
        self,
        address: tuple[str, int],
        app: Callable[[str], Response],
        recorder: _Recorder,
        stopping: threading.Event,
    ) -> None:
        self.app = app
        self.recorder = recorder
        self.stopping = stopping
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # Clients hanging up (timeouts, cancelled downloads) are expected here, not worth a traceback.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "RaqibDemoNews/1.0"
    timeout = 30  # idle keep-alive connections are closed after this
    server: _Server

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        arrived = time.time()
        if_none_match = self.headers.get("If-None-Match")
        if_modified_since = self.headers.get("If-Modified-Since")
        response = conditional(self.server.app(self.path), if_none_match, if_modified_since)
        self.server.recorder.add(
            RequestRecord(
                self.command, self.path, self.headers.get("User-Agent", ""), arrived,
                if_none_match or "", if_modified_since or "", response.status,
            )
        )
        if response.delay and self.server.stopping.wait(response.delay):
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            if response.status != 304:  # a 304 has no body, so no content headers
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class DemoSite:
    """The bundled offline Arabic news site. Nothing starts until `start()` or `with DemoSite() as site:`.

    The "other host" server (default 127.0.0.2) binds the same port as the site, so URLs on it can be
    derived from `base_url` alone (see `expected_pages`). It answers everything and records every request:
    a polite crawler of this site never reaches it.

    The site is dated for the day it runs on, ``today`` (default: today in UTC, when the site is
    built): its newest stories are from the day before (see model.py). Tests pin it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        slow_seconds: float = 5.0,
        bench_articles: int = 0,
        other_host: str = "127.0.0.2",
        today: date | None = None,
    ) -> None:
        self.today = today or utc_today()
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self.bench_articles = bench_articles
        self.other_host = other_host
        self._recorder = _Recorder()
        self._other_recorder = _Recorder()
        self._stopping = threading.Event()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._links: SiteLinks | None = None

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> DemoSite:
        if self._servers:
            return self
        content = load_content(self.today)
        main, other = self._bind()
        port = main.server_address[1]
        self._links = SiteLinks(
            base=f"http://{self.host}:{port}",
            other_base=f"http://{self.other_host}:{port}",
            private_base=SiteLinks.for_base(f"http://{self.host}:{port}").private_base,
        )
        site_app = SiteApp(content, self._links, slow_seconds=self.slow_seconds, bench=self.bench_articles)
        main.app = site_app
        self._servers = [main]
        if other is not None:
            other.app = OtherHostApp(site_app.renderer)
            self._servers.append(other)
        self._stopping.clear()
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-site", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def publish(self, entry: Entry) -> str:
        """Publish a story on the running site (between crawls): the feeds, sitemaps and sections of
        its ``listed_in`` channels change (new ETag and Last-Modified), other pages do not. Returns
        its URL."""
        if not self._servers:
            raise RuntimeError("DemoSite is not started")
        self._servers[0].app.publish(entry)
        return self.links.url(entry)

    def render_bench_pages(self) -> None:
        """Render every benchmark page now: a benchmark should not time this site's own rendering,
        which happens in the benchmark's process, on the cores the crawl is measured on."""
        bench = self._servers[0].app.bench if self._servers else None
        for i in range(bench.count if bench is not None else 0):
            bench.page(i)

    def _bind(self) -> tuple[_Server, _Server | None]:
        """Bind the site, then the other host on the same port; retry when that port is taken there.

        Where the other address does not exist (macOS configures only 127.0.0.1 on lo0) the site runs
        without the recording host: links to it still point there, and nothing answers them.
        """

        def unready(_target: str) -> Response:
            return Response(503, b"starting")

        last_error: OSError | None = None
        for _ in range(50):
            main = _Server((self.host, self.port), unready, self._recorder, self._stopping)
            try:
                other = _Server(
                    (self.other_host, main.server_address[1]), unready, self._other_recorder, self._stopping
                )
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL:
                    return main, None
                main.server_close()
                last_error = exc
                if self.port:
                    break
                continue
            return main, other
        raise OSError(f"demo site: cannot bind {self.other_host} on the site's port: {last_error}")

    def stop(self) -> None:
        self._stopping.set()  # wakes slow handlers so shutdown does not wait for them
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses and request logs ------------------------------------------------------------------
    @property
    def links(self) -> SiteLinks:
        if self._links is None:
            raise RuntimeError("DemoSite is not started: use `with DemoSite() as site:` or call start()")
        return self._links

    @property
    def base_url(self) -> str:
        return self.links.base

    @property
    def other_base_url(self) -> str:
        return self.links.other_base

    @property
    def private_base_url(self) -> str:
        return self.links.private_base

    @property
    def other_listening(self) -> bool:
        """Whether the recording "other host" server runs (False where its address is unavailable)."""
        return len(self._servers) == 2

    @property
    def requests(self) -> list[RequestRecord]:
        """Snapshot of every request the site received, in arrival order."""
        return self._recorder.snapshot()

    @property
    def other_requests(self) -> list[RequestRecord]:
        """Snapshot of every request the other host received (should stay empty)."""
        return self._other_recorder.snapshot()

    def reset_requests(self) -> None:
        self._recorder.clear()
        self._other_recorder.clear()

    # --- sources file --------------------------------------------------------------------------------
    def sources_yaml(self, *, download_timeout: float = 2.0) -> str:
        """A sources file (the crawler's schema) pointing at this running site."""
        return sources_yaml(
            self.base_url, download_timeout=download_timeout, bench_articles=self.bench_articles
        )

    def write_sources(self, path: Path, **kw: float) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.sources_yaml(**kw), encoding="utf-8")
        return path
