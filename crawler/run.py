"""Run a crawl of some sources in this process (Scrapy's reactor: once per process)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.sources import Source
from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import SitemapSpider
from crawler.template_learning import TemplateLearner
from crawler.workers import make_executor

SPIDERS = {"feed": FeedSpider, "sitemap": SitemapSpider, "listing": ListingSpider}
logger = logging.getLogger(__name__)


@dataclass
class CrawlOutcome:
    run_id: int
    status: str
    stats: dict[str, Any] = field(default_factory=dict)


def build_settings(overrides: Mapping[str, Any]) -> Settings:
    settings = get_project_settings()
    # get_project_settings finds scrapy.cfg only from the project folder; set the module explicitly
    # so `raqib crawl` works from any directory.
    settings.setmodule("crawler.settings", priority="project")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    sources: Sequence[Source],
    database_url: str,
    *,
    run_id: int,
    overrides: Mapping[str, Any] | None = None,
) -> CrawlOutcome:
    """Crawl ``sources`` concurrently into ``database_url``, reporting into crawl run ``run_id``."""
    from storage import repository as repo
    from storage.db import make_engine, session_factory, unit_of_work
    from storage.models import CrawlRun

    settings = build_settings(
        {**(overrides or {}), "RAQIB_DATABASE_URL": database_url, "RAQIB_CRAWL_RUN_ID": run_id}
    )
    executor = make_executor(settings.getint("RAQIB_WORKERS", 1))
    # cli.py has configured logging already; Scrapy's own root handler would print every line twice.
    level = settings.get("LOG_LEVEL", "INFO")
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        handler.setLevel(level)
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = AsyncCrawlerProcess(settings)
    # Scrapy has just set its own logger to DEBUG: every "Crawled"/"Scraped" record would be built,
    # then thrown away by the handler. Dropped at the logger, they cost nothing.
    logging.getLogger("scrapy").setLevel(level)
    crawlers = []
    seen: set[str] = set()
    # One template memory per host for the whole run: an outlet's feed, sitemap and sections teach it together.
    learner = TemplateLearner(
        database_url,
        threshold=settings.getint("RAQIB_CHROME_TEMPLATE_THRESHOLD", 3),
        enabled=settings.getbool("RAQIB_CHROME_LEARN", True),
        rules_dir=settings.get("RAQIB_RULES_DIR") or None,
    )
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source.kind])
        crawlers.append(crawler)
        process.crawl(crawler, source=source, raqib_executor=executor, raqib_seen=seen, raqib_templates=learner)
    status = "finished"
    try:
        process.start()
    except KeyboardInterrupt:
        status = "killed"
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    try:
        learner.drain()
    finally:
        learner.close()
    for crawler in crawlers:
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        # No reason at all: the spider never ran (a SIGTERM during start-up, as the daemon sends at
        # its time limit, stops Scrapy before any spider opens). That crawl did not finish.
        if reason != "finished":
            status = "failed" if status == "finished" else status
    engine = make_engine(database_url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            repo.finish_crawl_run(session, run_id, status=status)
            # Every spider has added its stats to the run (crawler.extensions): the totals are there.
            run = session.get(CrawlRun, run_id)
            totals = dict(run.stats or {}) if run is not None else {}
    finally:
        engine.dispose()
    return CrawlOutcome(run_id=run_id, status=status, stats=totals)
