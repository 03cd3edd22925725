"""A seeded archive for the Sources and Digests pages: sources (one outlet name hostile), crawl runs
that end ok, failed and silent, articles over several days, and a digest written by the real digest
code (digests.run.run_digest) into a dated folder."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from digests.config import DigestSettings, HealthSettings
from storage import db
from storage import repository as repo
from storage.models import CrawlRun
from storage.users import add_user

PASSWORD = "kalimat-sirr-2026"
NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
HOSTILE_OUTLET = '<script>window.__pwned=1</script><img src=x onerror="alert(1)"> صحيفة الخطر'
TEXT = (
    "أعلنت السلطات ضبط محافظ بيتكوين استخدمت في تمويل الإرهاب لصالح تنظيم داعش.\n"
    "وقال المحققون إن التبرعات بالعملات المشفرة وصلت إلى التنظيم عبر منصات تداول."
)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client: TestClient, name: str = "view") -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def settings_for(out_dir: Path) -> DigestSettings:
    return DigestSettings(
        formats=("html", "md"),
        out_dir=out_dir,
        timezone="Asia/Riyadh",
        health=HealthSettings(window_hours=24, max_silence_hours=48),
    )


@pytest.fixture
def ops(tmp_path: Path) -> dict[str, object]:
    from classifiers import load_classifier
    from digests.run import run_digest

    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = db.session_factory(engine)
    classifier = load_classifier()
    decision = classifier.classify(TEXT, title="ضبط محافظ بيتكوين لتمويل تنظيم داعش", language="ar")
    with db.unit_of_work(factory) as session:
        repo.upsert_sources(
            session,
            [
                repo.SourceRecord("alive", "وكالة سليمة", "MA", "ar", "feed"),
                repo.SourceRecord("broken", HOSTILE_OUTLET, "EG", "ar", "sitemap"),
                repo.SourceRecord("quiet", "جريدة صامتة", "TN", "ar", "listing"),
                repo.SourceRecord("forgotten", "نشرة منسية", "DZ", "ar", "feed"),
            ],
        )
        ok_run = CrawlRun(
            sources="alive,quiet",
            status="finished",
            started_at=NOW - timedelta(hours=3),
            finished_at=NOW - timedelta(hours=3) + timedelta(minutes=5),
            pages_fetched=12,
            articles_stored=3,
            stats={},
            errors=[],
        )
        old_ok = CrawlRun(
            sources="broken",
            status="finished",
            started_at=NOW - timedelta(days=5),
            finished_at=NOW - timedelta(days=5) + timedelta(minutes=2),
            pages_fetched=4,
            articles_stored=1,
            stats={},
            errors=[],
        )
        bad_run = CrawlRun(
            sources="broken",
            status="failed",
            started_at=NOW - timedelta(hours=2),
            finished_at=NOW - timedelta(hours=2) + timedelta(minutes=1),
            pages_fetched=2,
            articles_stored=0,
            stats={"raqib/fetch/failed/http_503": 2, "raqib/extract/failed/empty": 1},
            errors=[
                {"url": "https://broken.example/a", "source": "broken", "reason": "http_503", "detail": "x"},
                {"url": "https://broken.example/b", "source": "broken", "reason": "http_503", "detail": "y"},
                {
                    "url": "https://broken.example/c",
                    "source": "broken",
                    "reason": "<b>evil</b>",
                    "detail": "",
                },
            ],
        )
        session.add_all([ok_run, old_ok, bad_run])
        session.flush()
        runs = {"ok": ok_run.id, "old": old_ok.id, "failed": bad_run.id}
        records = []
        # alive: 3 articles today (one flagged), 1 six days ago, 2 ten days ago; broken: 1 five days ago.
        for n, (source, age) in enumerate(
            [("alive", timedelta(hours=2))] * 3
            + [("alive", timedelta(days=6)), ("alive", timedelta(days=10)), ("alive", timedelta(days=10))]
            + [("broken", timedelta(days=5))]
        ):
            flagged = n == 0
            records.append(
                repo.ArticleRecord(
                    canonical_url=f"https://news.example/{source}/{n}",
                    source_name=source,
                    title="ضبط محافظ بيتكوين لتمويل تنظيم داعش" if flagged else f"خبر عادي {n}",
                    text=TEXT if flagged else "تتوقع الأرصاد أمطارا غزيرة على السواحل الشمالية.",
                    sitename=source,
                    language="ar",
                    published_at=NOW - age,
                    fetched_at=NOW - age,
                    date_confidence="high",
                    classification=repo.ClassificationRecord.from_decision(decision, classifier.rules_version)
                    if flagged
                    else None,
                )
            )
        repo.store_articles(session, records)
        for name, role in (("rev", "reviewer"), ("view", "viewer")):
            add_user(session, name, role, PASSWORD)
    out_dir = tmp_path / "digests-out"
    settings = settings_for(out_dir)
    result = run_digest(factory, settings, now=NOW - timedelta(minutes=30))
    assert result.ok and result.paths, result.as_json()
    engine.dispose()
    return {
        "url": url,
        "runs": runs,
        "settings": settings,
        "digest_run": result.outcomes[0].run_id,
        "paths": result.paths,
        "out_dir": out_dir,
        "tmp": tmp_path,
    }


@pytest.fixture
def ops_client(ops):
    from web.app import create_app

    app = create_app(ops["url"], secret_key="test-secret")
    app.state.now = lambda: NOW
    app.state.digest_settings = ops["settings"]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client
    app.state.engine.dispose()
