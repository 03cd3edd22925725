"""The issue's bad input for the workspace, each through the real app on a real SQLite file: a search
of punctuation only or of 10,000 characters, a story that does not exist, an expired session (back
to the sign-in, the form's data kept), two reviewers on one story, a database locked for a moment
and one that stays locked."""

from __future__ import annotations

import base64
import json
import random
import re
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, select
from starlette.testclient import TestClient

from storage import db
from storage.models import Review
from tests.web.test_app import csrf_of, login
from web.app import SESSION_COOKIE, SESSION_MAX_AGE, create_app

SECRET = "test-secret"
ORIGIN = {"Origin": "http://127.0.0.1"}  # what a browser sends with a form POST from the site


@pytest.fixture
def app(archive):
    app = create_app(archive["url"], secret_key=SECRET)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def reviews(url: str) -> list[tuple[str, str, str]]:
    engine = db.make_engine(url)
    with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
        found = [
            (r.reviewer, r.verdict, r.note)
            for r in session.scalars(select(Review).order_by(Review.created_at, Review.id))
        ]
    engine.dispose()
    return found


def test_search_of_punctuation_only_or_of_10000_characters(client) -> None:
    login(client, "view")
    empty = client.get("/search", params={"q": "؟!... «» ،؛ -- ***"})
    assert empty.status_code == 200
    assert "علامات الترقيم وحدها لا تكفي" in empty.text and 'class="story-row result"' not in empty.text
    words = " ".join(["بيتكوين", *(["تمويل"] * 2000)])[:10_000]
    assert len(words) == 10_000
    long = client.get("/search", params={"q": words})
    assert long.status_code == 200
    assert "بُحث عن أول 8 كلمات فقط" in long.text  # bounded: only the first words are searched
    assert 'class="story-row result"' in long.text


def test_a_story_that_does_not_exist_is_a_404_page(client) -> None:
    login(client, "view")
    for path in ("/story/987654", "/story/not-a-number", "/story/987654/nothing"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "404 — غير موجود" in response.text and "Traceback" not in response.text
    login(client, "rev")  # a reviewer's POST on a missing story: 404 too
    page = client.get("/").text
    response = client.post("/story/987654/review", data={"verdict": "relevant", "csrf": csrf_of(page)})
    assert response.status_code == 404 and "غير موجود" in response.text


def _expire_session(client: TestClient, session: dict[str, object]) -> None:
    """Replace the session cookie by one signed SESSION_MAX_AGE + 1 h ago, as a browser left open
    overnight would send it."""
    import itsdangerous

    signer = itsdangerous.TimestampSigner(SECRET)
    signer.get_timestamp = lambda: int(time.time()) - SESSION_MAX_AGE - 3600  # type: ignore[method-assign]
    value = signer.sign(base64.b64encode(json.dumps(session).encode())).decode()
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value, domain="127.0.0.1", path="/")


def session_of(response) -> dict[str, object]:
    """The session a response sets (empty when it sets none)."""
    import itsdangerous

    cookie = response.cookies.get(SESSION_COOKIE)
    if not cookie:
        return {}
    return json.loads(base64.b64decode(itsdangerous.TimestampSigner(SECRET).unsign(cookie)))


def test_an_expired_session_goes_back_to_login_and_keeps_the_review(client, archive) -> None:
    story = archive["ids"]["hostile"]
    login(client, "rev")
    page = client.get(f"/story/{story}").text
    token = csrf_of(page)
    _expire_session(client, {"user": "rev", "role": "reviewer", "csrf": token})
    note = "العنوان يحمل نصا برمجيا؛ الخبر نفسه تقرير عام"
    form = {"verdict": "false_alarm", "reason": "off_topic", "note": note, "csrf": token}
    # From another site (or with no Origin), a signed-out POST is refused and the session left alone.
    for origin in ({"Origin": "http://evil.example"}, {}):
        refused = client.post(f"/story/{story}/review", data=form, headers=origin, follow_redirects=False)
        assert refused.status_code == 403 and "pending" not in session_of(refused)
    response = client.post(f"/story/{story}/review", data=form, headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/story/{story}"
    assert "pending" in session_of(response)
    assert reviews(archive["url"]) == []  # nothing stored without a signed-in reviewer
    login_page = client.get(response.headers["location"]).text
    assert f'name="next" value="/story/{story}"' in login_page
    signed_in = client.post(
        "/login",
        data={
            "name": "rev",
            "password": "kalimat-sirr-2026",
            "csrf": csrf_of(login_page),
            "next": f"/story/{story}",
        },
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == f"/story/{story}"
    back = client.get(f"/story/{story}").text
    assert 'id="notice"' in back and "لم تحفظ" in back
    assert f">{note}</textarea>" in back
    assert '<option value="off_topic" selected>' in back
    assert "كنت تضع: إنذار كاذب" in back
    again = client.post(
        f"/story/{story}/review", data={**form, "csrf": csrf_of(back)}, follow_redirects=False
    )
    assert again.status_code == 303
    assert reviews(archive["url"]) == [("rev", "false_alarm", note)]
    assert 'id="notice"' not in client.get(f"/story/{story}").text  # shown back once


def test_an_expired_session_with_a_note_too_long_for_a_cookie_shows_it_back(client, archive) -> None:
    story = archive["ids"]["hostile"]
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    rng = random.Random(9)
    note = "".join(rng.choice(letters + " ") for _ in range(3990))  # does not compress enough
    client.get("/login")
    response = client.post(
        f"/story/{story}/review",
        data={"verdict": "false_alarm", "reason": "other", "note": note, "csrf": "stale"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "انسخ ملاحظتك" in response.text and note in response.text
    assert f'href="/login?next=/story/{story}"' in response.text
    assert reviews(archive["url"]) == []


def test_two_reviewers_on_one_story_are_both_kept_and_the_latest_shown(client, archive) -> None:
    story = archive["ids"]["seizure"]
    for name, verdict, extra in (
        ("rev", "relevant", {}),
        ("boss", "false_alarm", {"reason": "false_friend"}),
    ):
        client.cookies.clear()
        login(client, name)
        page = client.get(f"/story/{story}").text
        data = {"verdict": verdict, "note": f"رأي {name}", "csrf": csrf_of(page), **extra}
        assert client.post(f"/story/{story}/review", data=data, follow_redirects=False).status_code == 303
    assert reviews(archive["url"]) == [("rev", "relevant", "رأي rev"), ("boss", "false_alarm", "رأي boss")]
    page = client.get(f"/story/{story}").text
    history = page[page.index('class="history"') :]
    assert "رأي rev" in history and "رأي boss" in history
    assert history.index("boss") < history.index("rev ·")  # newest first
    assert "الحكم الحالي (الأحدث): إنذار كاذب — boss" in page
    inbox = client.get("/?state=false_alarm").text
    assert f'href="/story/{story}"' in inbox
    assert f'href="/story/{story}"' not in client.get("/?state=relevant").text


def _hold_write_lock(url: str) -> sqlite3.Connection:
    holder = sqlite3.connect(db.sqlite_path(url), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # the write lock a crawl's transaction holds
    return holder


def test_a_database_locked_for_a_moment_is_waited_for(client, archive) -> None:
    story = archive["ids"]["warning"]
    login(client, "rev")
    page = client.get(f"/story/{story}").text
    holder = _hold_write_lock(archive["url"])
    released = threading.Timer(0.3, holder.rollback)  # far below the engine's busy timeout (30 s)
    released.start()
    try:
        response = client.post(
            f"/story/{story}/review",
            data={"verdict": "relevant", "note": "انتظر القفل", "csrf": csrf_of(page)},
            follow_redirects=False,
        )
    finally:
        released.join()
        holder.close()
    assert response.status_code == 303
    assert reviews(archive["url"]) == [("rev", "relevant", "انتظر القفل")]


def test_a_database_that_stays_locked_gives_a_clear_message_and_keeps_the_form(app, archive) -> None:
    @event.listens_for(app.state.engine, "connect")
    def _short_wait(dbapi_connection, _record) -> None:  # after the engine's own 30 s setting
        dbapi_connection.execute("PRAGMA busy_timeout = 200")

    story = archive["ids"]["warning"]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "rev")
        page = client.get(f"/story/{story}").text
        holder = _hold_write_lock(archive["url"])
        try:
            response = client.post(
                f"/story/{story}/review",
                data={
                    "verdict": "false_alarm",
                    "reason": "page_chrome",
                    "note": "حواش",
                    "csrf": csrf_of(page),
                },
            )
            missed = client.post(
                f"/story/{archive['ids']['weather']}/missed",
                data={"label": "related", "back": "/search?q=امطار", "csrf": csrf_of(page)},
            )
            client.cookies.clear()  # signing in writes too (failed-login counter)
            signing_in = login(client, "rev")
        finally:
            holder.rollback()
            holder.close()
    assert response.status_code == 503
    assert "قاعدة البيانات مشغولة" in response.text and "Traceback" not in response.text
    assert ">حواش</textarea>" in response.text
    assert '<option value="page_chrome" selected>' in response.text
    assert missed.status_code == 200 and "قاعدة البيانات مشغولة" in missed.text
    assert re.search(r'id="search-q" value="امطار"', missed.text)
    assert reviews(archive["url"]) == []
    assert signing_in.status_code == 503
    assert "قاعدة البيانات مشغولة" in signing_in.text and 'value="rev"' in signing_in.text
