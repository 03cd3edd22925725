"""The Search page through TestClient: Arabic variants, escaping, filters, concept search, pagination
bounds, and marking an unflagged article *missed* (CSRF, viewer 403)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from storage import db
from storage import repository as repo
from storage.models import Review
from tests.web.conftest import NOW
from tests.web.test_app import csrf_of, login
from web.app import create_app

HOSTILE_TEXT = 'نص <script>window.__pwned=1</script> عن <b onmouseover="x()">البيتكوين</b> والتبرعات'


@pytest.fixture
def client(archive):
    engine = db.make_engine(archive["url"])
    with db.unit_of_work(db.session_factory(engine)) as session:
        stored = repo.store_articles(
            session,
            [
                repo.ArticleRecord(
                    canonical_url="https://news.example/hostile-text",
                    requested_url="https://news.example/hostile-text",
                    source_name="wire-one",
                    title="<i>مقال</i> عادي",
                    text=HOSTILE_TEXT,
                    language="ar",
                    published_at=NOW - timedelta(days=20),
                    date_confidence="high",
                )
            ],
        )
    engine.dispose()
    archive["ids"]["hostile_text"] = stored.ids[repo.url_hash("https://news.example/hostile-text")]
    app = create_app(archive["url"], secret_key="test-secret")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client
    app.state.engine.dispose()


def result_ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'class="story-row result" data-id="(\d+)"', html)}


def test_search_needs_login(client) -> None:
    response = client.get("/search?q=x", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/search")


def test_arabic_variants_and_marked_snippets(client, archive) -> None:
    login(client, "view")
    ids = archive["ids"]
    page = client.get("/search", params={"q": "والأمطار"})  # «أمطار» with a clitic, hamza written
    assert page.status_code == 200 and result_ids(page.text) == {ids["weather"]}
    assert "<mark>أمطار</mark>" in page.text and "<mark>أمطارا</mark>" not in page.text
    page = client.get("/search", params={"q": "بيتكوين"})
    assert {ids["seizure"], ids["hostile"], ids["hostile_text"]} <= result_ids(page.text)
    assert "<mark>بالبيتكوين</mark>" in page.text
    page = client.get("/search", params={"q": "زلزال"})
    assert result_ids(page.text) == set() and 'id="no-results"' in page.text


def test_hostile_title_and_text_are_escaped(client, archive) -> None:
    login(client, "view")
    page = client.get("/search", params={"q": "بيتكوين"})
    html = page.text
    assert (
        "<script>" not in html and "<img" not in html and "<b onmouseover" not in html and "<i>" not in html
    )
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;<mark>البيتكوين</mark>&lt;/b&gt;" in html
    assert "&lt;i&gt;مقال&lt;/i&gt;" in html


def test_filters_concept_and_bad_queries(client, archive) -> None:
    login(client, "view")
    ids = archive["ids"]
    q = {"q": "بيتكوين"}
    assert result_ids(client.get("/search", params={**q, "outlet": "wire-one"}).text) == {
        ids["seizure"],
        ids["hostile_text"],
    }
    assert result_ids(client.get("/search", params={**q, "label": "none"}).text) == {ids["hostile_text"]}
    assert ids["hostile_text"] not in result_ids(client.get("/search", params={**q, "period": "7"}).text)
    core = result_ids(client.get("/search", params={**q, "label": "core"}).text)
    assert core and ids["hostile_text"] not in core
    by_concept = result_ids(client.get("/search", params={"concept": "crypto"}).text)
    assert {ids["seizure"], ids["hostile"]} <= by_concept and ids["weather"] not in by_concept
    assert result_ids(client.get("/search", params={"concept": "no_such_rule"}).text) == set()
    empty = client.get("/search", params={"q": "!!! ؟؟ «»"})
    assert empty.status_code == 200 and 'id="search-note"' in empty.text
    long = client.get("/search", params={"q": "بيتكوين " + "." * 10_000})  # 10,000 characters
    assert long.status_code == 200 and 'id="search-note"' in long.text and result_ids(long.text)
    assert client.get("/search", params={**q, "page": "999"}).status_code == 200
    assert client.get("/search", params={**q, "page": "x", "label": "<b>"}).status_code == 200


def test_reviewer_marks_an_unflagged_result_missed(client, archive) -> None:
    login(client, "rev")
    weather = archive["ids"]["weather"]
    page = client.get("/search", params={"q": "أمطار"})
    assert f'action="/story/{weather}/missed"' in page.text
    flagged = client.get("/search", params={"q": "داعش"})
    assert "/missed" not in flagged.text  # flagged stories are reviewed on their page
    response = client.post(
        f"/story/{weather}/missed",
        data={"label": "related", "csrf": csrf_of(page.text), "back": "/search?q=أمطار"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/search?q=")
    after = client.get("/search", params={"q": "أمطار"})
    assert 'class="verdict missed"' in after.text
    engine = db.make_engine(archive["url"])
    with db.unit_of_work(db.session_factory(engine)) as session:
        (review,) = session.query(Review).filter_by(article_id=weather).all()
        assert (review.verdict, review.label, review.reviewer) == ("missed", "related", "rev")
    engine.dispose()
    # Not for a flagged story, never without CSRF, never off-site.
    seizure = archive["ids"]["seizure"]
    refused = client.post(
        f"/story/{seizure}/missed",
        data={"label": "core", "csrf": csrf_of(page.text), "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert refused.status_code == 303 and refused.headers["location"].startswith("/?error=")
    assert client.post(f"/story/{weather}/missed", data={"label": "core"}).status_code == 403
    assert (
        client.post(
            f"/story/{weather}/missed", data={"label": "bogus", "csrf": csrf_of(page.text)}
        ).status_code
        == 400
    )


def test_viewer_gets_403_on_missed(client, archive) -> None:
    login(client, "view")
    weather = archive["ids"]["weather"]
    page = client.get("/search", params={"q": "أمطار"})
    assert "/missed" not in page.text
    response = client.post(f"/story/{weather}/missed", data={"label": "core", "csrf": csrf_of(page.text)})
    assert response.status_code == 403
