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
from storage.reviews import add_review
from tests.web.conftest import NOW, add_third_outlet, seed
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


@pytest.fixture(params=["sqlite", "postgresql"])
def third_outlet_client(request, tmp_path):
    """The web archive with wire-three (JO: an Arabic copy and an English story) and reviews: seizure
    relevant, hostile a false alarm, weather missed; the copy, flagged, awaits review. SQLite and the
    real PostgreSQL (skipped when unreachable outside CI)."""
    if request.param == "postgresql":
        archive = request.getfixturevalue("pg_archive")
    else:
        archive = seed(f"sqlite:///{tmp_path / 'web.sqlite'}")
    add_third_outlet(archive)
    ids = archive["ids"]
    engine = db.make_engine(archive["url"])
    with db.unit_of_work(db.session_factory(engine)) as session:
        add_review(session, ids["seizure"], "relevant", "rev", now=NOW)
        add_review(session, ids["hostile"], "false_alarm", "rev", reason="off_topic", now=NOW)
        add_review(session, ids["weather"], "missed", "rev", label="related", now=NOW)
    engine.dispose()
    app = create_app(archive["url"], secret_key="test-secret")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, ids
    app.state.engine.dispose()


def test_filters_by_country_language_and_review_state(third_outlet_client) -> None:
    client, ids = third_outlet_client
    login(client, "view")

    def found(**params: str) -> set[int]:
        page = client.get("/search", params=params)
        assert page.status_code == 200 and "filter-note" not in page.text
        return result_ids(page.text)

    coin = {"q": "بيتكوين"}
    assert found(**coin) == {ids["seizure"], ids["hostile"], ids["copy"]}
    # Country: the source's.
    assert found(**coin, country="MA") == {ids["seizure"]}
    assert found(**coin, country="EG") == {ids["hostile"]}
    assert found(**coin, country="JO") == {ids["copy"]}
    # Language: the article's (wire-three's sources are configured as Arabic).
    assert found(q="bitcoin") == {ids["english"]}
    assert found(q="bitcoin", language="ar") == set()
    assert found(q="bitcoin", language="en") == {ids["english"]}
    assert found(**coin, language="ar", country="JO") == {ids["copy"]}
    # Review state as in the inbox; a verdict found by search (missed) counts as reviewed.
    assert found(**coin, state="awaiting") == {ids["copy"]}
    assert found(**coin, state="relevant") == {ids["seizure"]}
    assert found(**coin, state="false_alarm") == {ids["hostile"]}
    assert found(q="أمطار", state="reviewed") == {ids["weather"]}
    assert found(q="أمطار", state="awaiting") == set()
    # The selects offer the inbox's choices and keep what was chosen.
    page = client.get("/search", params={**coin, "country": "JO", "language": "ar", "state": "awaiting"}).text
    for name, value in (("country", "EG"), ("language", "en"), ("state", "false_alarm")):
        assert re.search(rf'<select name="{name}">.*?<option value="{value}"', page, re.S)
    assert 'value="JO" selected' in page and 'value="ar" selected' in page
    assert 'value="awaiting" selected' in page


def test_bad_filter_values_are_noted_and_not_applied(third_outlet_client) -> None:
    client, ids = third_outlet_client
    login(client, "rev")
    everything = result_ids(client.get("/search", params={"q": "بيتكوين"}).text)
    for name, value in (("country", "<b>XX</b>"), ("language", "klingon"), ("state", "pending")):
        page = client.get("/search", params={"q": "بيتكوين", name: value})
        assert page.status_code == 200 and result_ids(page.text) == everything
        (note,) = re.findall(r'<p class="error filter-note" role="alert">(.*?)</p>', page.text)
        assert "لم تطبق هذه التصفية" in note
        assert ("&lt;b&gt;XX" if name == "country" else value) in note
        assert "<b>XX" not in page.text
        # Dropped from the form, so the links and the *missed* form's way back do not carry it.
        rain = client.get("/search", params={"q": "أمطار", name: value}).text
        (back,) = re.findall(r'name="back" value="([^"]*)"', rain)
        assert back.startswith("/search?q=") and f"{name}=" not in back
    english = client.get("/search", params={"q": "بيتكوين", "state": "pending", "lang": "en"}).text
    assert "is not one of the choices for Review" in english
    # A good value next to a bad one still applies.
    both = client.get("/search", params={"q": "بيتكوين", "country": "EG", "state": "pending"}).text
    assert result_ids(both) == {ids["hostile"]} and "filter-note" in both
    kept = client.get("/search", params={"q": "أمطار", "country": "MA", "state": "reviewed"}).text
    (back,) = re.findall(r'name="back" value="([^"]*)"', kept)
    assert "country=MA" in back and "state=reviewed" in back
