"""The Sources page through Starlette's TestClient: health exactly as digests/health.py judges it
(Arabic reasons in Arabic, English in English), last success, articles per day, crawl runs with
their failures by reason, hostile outlet names escaped, login required."""

from __future__ import annotations

import re
from datetime import timedelta

from markupsafe import escape

from digests.health import source_health
from storage import db
from tests.web import ops_seed
from tests.web.ops_seed import HOSTILE_OUTLET, NOW, login

ops = ops_seed.ops
client = ops_seed.ops_client


def verdicts(ops) -> dict[str, object]:
    settings = ops["settings"]
    engine = db.make_engine(ops["url"])
    with db.unit_of_work(db.session_factory(engine)) as session:
        report = source_health(
            session,
            since=NOW - timedelta(hours=settings.health.window_hours),
            until=NOW,
            settings=settings.health,
        )
    engine.dispose()
    return {h.source: h for h in report.sources}


def rows(page: str) -> dict[str, str]:
    found = re.findall(
        r'<tr class="source-row" data-source="([^"]*)" data-status="([^"]*)">(.*?)</tr>', page, re.S
    )
    return {name: (status, body) for name, status, body in found}


def test_logged_out_goes_to_login(client) -> None:
    response = client.get("/sources", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/sources"


def test_health_matches_the_digests_verdicts_in_arabic_and_english(client, ops) -> None:
    login(client)
    expected = verdicts(ops)
    # The seed covers each kind of verdict.
    assert {h.status for h in expected.values()} == {"ok", "failed", "empty", "not_crawled"}
    page = client.get("/sources")
    assert page.status_code == 200
    shown = rows(page.text)
    assert set(shown) == set(expected)
    # Listed worst first, like the digest.
    order = re.findall(r'class="source-row" data-source="([^"]*)"', page.text)
    assert order == list(expected)
    for name, health in expected.items():
        status, body = shown[name]
        assert status == health.status
        assert str(escape(health.reason_ar)) in body
    english = client.get("/sources?lang=en")
    for name, health in expected.items():
        status, body = rows(english.text)[name]
        assert status == health.status
        assert str(escape(health.reason)) in body
        assert str(escape(health.reason_ar)) not in body
    assert "failing" in rows(english.text)["broken"][1] and "silent" in rows(english.text)["quiet"][1]


def test_hostile_outlet_name_and_error_reason_are_text(client) -> None:
    login(client)
    page = client.get("/sources").text
    assert "<script>window.__pwned" not in page and "<img src=x" not in page and "<b>evil</b>" not in page
    assert str(escape(HOSTILE_OUTLET)) in page
    assert "&lt;b&gt;evil&lt;/b&gt;" in page


def test_last_success_and_articles_per_day(client) -> None:
    login(client)
    shown = rows(client.get("/sources?lang=en&weeks=1").text)
    # broken: its latest run failed, its last success was five days earlier.
    assert (NOW - timedelta(days=5) + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M") in shown["broken"][1]
    assert "never" in shown["forgotten"][1]
    alive = shown["alive"][1]
    days = re.findall(r'class="day d(\d)" title="([\d-]+): (\d+)"', alive)
    assert len(days) == 7  # one week
    assert days[-1] == ("4", NOW.date().isoformat(), "3")  # today's three articles: the full bar
    assert days[0] == ("2", (NOW - timedelta(days=6)).date().isoformat(), "1")
    assert "total: 4" in alive  # the two ten-day-old articles are outside the week
    four = rows(client.get("/sources?weeks=4").text)["alive"][1]  # the language stays English
    assert len(re.findall(r'class="day d', four)) == 28 and "total: 6" in four


def test_crawl_runs_with_failures_by_reason(client, ops) -> None:
    login(client)
    page = client.get("/sources?lang=en").text
    runs = dict(re.findall(r'<tr class="run-row" data-run="(\d+)" data-status="([^"]*)">', page))
    assert runs == {
        str(ops["runs"]["failed"]): "failed",
        str(ops["runs"]["ok"]): "finished",
        str(ops["runs"]["old"]): "finished",
    }
    failed = re.search(rf'data-run="{ops["runs"]["failed"]}".*?</tr>', page, re.S).group(0)
    assert "<code>http_503</code> × 2" in failed
    assert (
        "<code>fetch/failed/http_503</code> = 2" in failed
        and "<code>extract/failed/empty</code> = 1" in failed
    )
    ok = re.search(rf'data-run="{ops["runs"]["ok"]}".*?</tr>', page, re.S).group(0)
    assert "<td>12</td>" in ok and "<td>3</td>" in ok and "none" in ok
    # Runs of one source.
    only = client.get("/sources?lang=en&source=quiet").text
    assert re.findall(r'data-run="(\d+)"', only) == [str(ops["runs"]["ok"])]


def test_nav_links(client) -> None:
    login(client)
    page = client.get("/").text
    assert 'href="/sources"' in page and 'href="/digests"' in page
