"""What the cluster benchmark runs against: a throwaway PostgreSQL database, a throwaway RabbitMQ
queue, per-source sitemaps over the demo site's generated pages, and the Raqib TOML file.

Each source gets a sitemap of its own slice of the bench pages, served by a tiny server beside the
demo site: sources that shared one sitemap would race for the same articles, and the pages a run
stored would then depend on which job got there first.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Settings of every crawl the benchmark starts, local or in a worker: the same as benchmarks/crawl.py.
CRAWL_SETTINGS = (
    "RAQIB_ALLOWED_NETWORKS=127.0.0.1/32",
    "AUTOTHROTTLE_ENABLED=False",
    "DOWNLOAD_DELAY=0",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "LOG_LEVEL=WARNING",
    "ROBOTSTXT_OBEY=False",
    # Generated pages reuse a pool of paragraphs, which template learning would rightly call a template.
    "RAQIB_CHROME_LEARN=False",
)


def crawl_command() -> list[str]:
    command = [sys.executable, "-m", "cli", "crawl"]
    for setting in CRAWL_SETTINGS:
        command += ["-s", setting]
    return command


@dataclass(frozen=True)
class Services:
    pg_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"


class ServiceMissing(RuntimeError):
    """PostgreSQL or RabbitMQ cannot be reached."""


def check_services(services: Services) -> None:
    """Raise ``ServiceMissing`` naming the service that does not answer."""
    from kombu import Connection
    from sqlalchemy import create_engine, text

    engine = create_engine(services.pg_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001 - any failure to connect means "no server"
        raise ServiceMissing(f"PostgreSQL at {services.pg_url} unreachable: {str(error).splitlines()[0]}") from None
    finally:
        engine.dispose()
    try:
        with Connection(services.broker_url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # noqa: BLE001 - kombu raises many kinds; all mean "unreachable"
        raise ServiceMissing(f"RabbitMQ at {services.broker_url} unreachable: {error}") from None


@contextmanager
def throwaway_database(pg_url: str) -> Iterator[str]:
    """A fresh database on the server of ``pg_url`` (dropped afterwards); yields its URL."""
    from sqlalchemy import create_engine, make_url, text

    name = f"raqib_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def delete_queue(broker_url: str, queue: str) -> None:
    from kombu import Connection

    try:
        with Connection(broker_url, connect_timeout=3) as conn:
            conn.channel().queue_delete(queue=queue)
    except Exception as error:  # noqa: BLE001 - a queue never declared is nothing to delete
        print(f"cluster bench: queue {queue} not deleted: {error}", file=sys.stderr)


def queue_consumers(broker_url: str, queue: str) -> int:
    """Consumers of ``queue`` now (0 while it does not exist yet)."""
    from kombu import Connection

    try:
        with Connection(broker_url, connect_timeout=3) as conn:
            return int(conn.channel().queue_declare(queue=queue, passive=True)[2])
    except Exception:  # noqa: BLE001 - not declared yet
        return 0


class SitemapServer:
    """``/s/<k>.xml``: a sitemap of bench pages ``k*per .. k*per+per-1`` of the demo site at ``site_url``."""

    def __init__(self, site_url: str, per_source: int) -> None:
        site, per = site_url.rstrip("/"), per_source

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                name = self.path.removeprefix("/s/").removesuffix(".xml")
                if not name.isdigit():
                    self.send_error(404)
                    return
                k = int(name)
                urls = "".join(
                    f"<url><loc>{site}/bench/article/{i}.html</loc></url>" for i in range(k * per, (k + 1) * per)
                )
                body = (
                    '<?xml version="1.0" encoding="UTF-8"?>'
                    f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SitemapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _source(name: str, kind: str, start_urls: list[str]) -> dict[str, object]:
    return {
        "name": name,
        "outlet": "Bench",
        "country": "XX",
        "language": "ar",
        "kind": kind,
        "start_urls": start_urls,
        "allowed_domains": ["127.0.0.1"],
        "max_age_days": 36500,
    }


def write_sitemap_sources(path: Path, sitemaps_url: str, count: int) -> list[str]:
    """``count`` sitemap sources ``bench-<k>``, each over its own slice of pages; returns their names."""
    sources = [_source(f"bench-{k}", "sitemap", [f"{sitemaps_url}/s/{k}.xml"]) for k in range(count)]
    # JSON is YAML: no quoting to get wrong.
    path.write_text(json.dumps({"sources": sources}, ensure_ascii=False), encoding="utf-8")
    return [str(s["name"]) for s in sources]


def write_feed_sources(path: Path, site_url: str, feeds: int) -> None:
    """Source ``polls`` with ``feeds`` copies of one demo feed (``?copy=k``: the site ignores the query,
    the crawler keeps one set of validators per URL as requested), and ``one-feed`` with a single copy:
    the smallest job there is."""
    feed = f"{site_url.rstrip('/')}/sada/rss.xml"
    sources = [
        _source("polls", "feed", [f"{feed}?copy={k}" for k in range(feeds)]),
        _source("one-feed", "feed", [f"{feed}?copy=single"]),
    ]
    path.write_text(json.dumps({"sources": sources}, ensure_ascii=False), encoding="utf-8")


def write_config(path: Path, sources: Path, broker_url: str, queue: str, batch: int) -> None:
    command = ", ".join(json.dumps(part) for part in crawl_command())
    path.write_text(
        f"""[daemon]
sources = {json.dumps(str(sources))}
digest_at = ""
crawl_command = [{command}]

[[daemon.crawl]]
name = "all"
every = "1h"
timeout = "20m"

[cluster]
broker_url = {json.dumps(broker_url)}
queue = {json.dumps(queue)}
batch = {batch}
heartbeat = "5s"
""",
        encoding="utf-8",
    )
