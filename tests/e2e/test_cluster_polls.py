"""Conditional GET through the cluster: a worker's poll of an unchanged feed is one 304 and nothing
else; once the site publishes a story the next job parses the feed and stores it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster_env import WORKER, all_final, daemon_once, prepare_database, write_config
from tests.e2e.procs import crawl_runs, wait_for

pytestmark = pytest.mark.slow

FEED = "/sada/rss.xml"


def _story() -> Any:
    from crawler.demo_site.model import Entry

    return Entry(
        id="cluster-poll-story",
        outlet="sada",
        section="economy",
        published=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30),
        slug="exchange-freezes-wallets-after-alert",
        title="منصة تداول تجمّد محافظ رقمية بعد تنبيه من وحدة التحريات المالية",
        text=(
            "الرباط – جمّدت منصة محلية لتداول العملات الرقمية عشرين محفظة بعد تنبيه من وحدة التحريات المالية "
            "بشأن تحويلات صغيرة متكررة قالت الوحدة إنها قد تكون مرتبطة بجمع أموال لجماعة مسلحة.\n"
            "وذكرت المنصة في بيان أنها سلّمت سجلات المعاملات إلى المحققين، وأنها ستطلب من أصحاب المحافظ "
            "إثبات مصدر الأموال قبل رفع التجميد.\n"
            "وقال خبير في الامتثال إن مثل هذه التنبيهات صارت أسرع منذ أن ألزمت السلطات مزودي خدمات الأصول "
            "الافتراضية بالتسجيل والإبلاغ عن العمليات المشبوهة."
        ),
        topic="core",
        listed_in=("rss",),
    )


def _tick(config: Path, db: str, expected_jobs: int) -> Any:
    daemon_once(config, db)
    final = wait_for(
        lambda: (found := all_final(db)) and len(found) == expected_jobs and found, 180, "the job to end", interval=0.3
    )
    assert final[-1].state == "finished", final[-1].reason
    return next(run for run in crawl_runs(db) if run.id == final[-1].crawl_run_id)


def test_a_worker_polls_an_unchanged_feed_with_one_304_and_a_changed_one_in_full(
    tmp_path: Path, pg_db: str, broker_url: str, cluster_queue: str, start_daemon: Any
) -> None:
    from crawler.demo_site import DemoSite

    with DemoSite() as site:
        site.write_sources(tmp_path / "sources.yaml", download_timeout=10.0)
        config = write_config(
            tmp_path / "raqib.toml",
            broker_url=broker_url,
            queue=cluster_queue,
            sources=tmp_path / "sources.yaml",
            groups='[[daemon.crawl]]\nname = "sada"\nsources = ["demo-sada-rss"]\nevery = "1h"\ntimeout = "5m"\n',
        )
        prepare_database(pg_db)
        start_daemon(["--config", str(config), "--db", pg_db, "--concurrency", "1"], command=WORKER)

        first = _tick(config, pg_db, 1)
        assert first.articles_stored > 0 and first.stats["raqib/poll/new_articles"] > 0

        site.reset_requests()
        unchanged = _tick(config, pg_db, 2)
        # The poll, and nothing else (a new crawl process reads robots.txt once, as any crawl does).
        requests = [r for r in site.requests if r.path != "/robots.txt"]
        assert [(r.path, r.status) for r in requests] == [(FEED, 304)]
        assert requests[0].if_none_match or requests[0].if_modified_since
        assert unchanged.stats["raqib/poll/not_modified"] == 1
        assert unchanged.stats.get("raqib/poll/new_articles", 0) == 0 and unchanged.articles_stored == 0

        new_url = site.publish(_story())
        site.reset_requests()
        changed = _tick(config, pg_db, 3)
        assert (FEED, 200) in [(r.path, r.status) for r in site.requests]
        assert changed.stats.get("raqib/poll/not_modified", 0) == 0
        # The new story is stored; the feed's stories that failed before are tried again with it.
        assert changed.articles_stored == 1 and changed.stats["raqib/poll/new_articles"] >= 1
        assert any(new_url.endswith(r.path) for r in site.requests if r.status == 200)
