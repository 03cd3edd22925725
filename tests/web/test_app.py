"""The workspace through Starlette's TestClient: login, CSRF, roles, escaping, CSP, reviews and counts."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from storage import db
from storage.models import User
from tests.web.conftest import PASSWORD
from web.app import CSP, SESSION_COOKIE, create_app


@pytest.fixture
def client(archive):
    app = create_app(archive["url"], secret_key="test-secret")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client
    app.state.engine.dispose()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )


def test_pages_need_login_and_keep_where_you_were_going(client, archive) -> None:
    story = archive["ids"]["seizure"]
    response = client.get(f"/story/{story}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/story/{story}"
    page = client.get(response.headers["location"])
    assert f'name="next" value="/story/{story}"' in page.text


def test_login_sets_a_safe_cookie_and_logout_ends_it(client) -> None:
    response = login(client, "rev")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on 127.0.0.1
    inbox = client.get("/")
    assert inbox.status_code == 200 and "rev (reviewer)" in inbox.text
    client.post("/logout", data={"csrf": csrf_of(inbox.text)})
    assert client.get("/", follow_redirects=False).status_code == 303


def test_cookie_is_secure_over_https(archive) -> None:
    app = create_app(archive["url"], secret_key="test-secret")
    with TestClient(app, base_url="https://127.0.0.1") as client:
        response = login(client, "rev")
    app.state.engine.dispose()
    assert "secure" in response.headers["set-cookie"].lower()


def test_wrong_password_and_the_lock(client, archive) -> None:
    for _ in range(4):
        response = login(client, "rev", "not the password")
        assert response.status_code == 401
        assert "الاسم أو كلمة المرور غير صحيحة" in response.text
    response = login(client, "rev", "not the password")
    assert response.status_code == 401 and "مقفل" in response.text
    assert login(client, "rev").status_code == 401  # locked, even with the right password
    engine = db.make_engine(archive["url"])
    with db.unit_of_work(db.session_factory(engine)) as session:
        assert session.query(User).filter_by(name="rev").one().locked_until is not None
    engine.dispose()


def test_post_without_csrf_is_refused(client, archive) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"name": "rev", "password": PASSWORD})
    assert response.status_code == 403
    response = client.post("/login", data={"name": "rev", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403
    assert login(client, "rev").status_code == 303
    story = archive["ids"]["seizure"]
    response = client.post(f"/story/{story}/review", data={"verdict": "relevant"})
    assert response.status_code == 403
    assert page.status_code == 200


def test_viewer_gets_403_on_review(client, archive) -> None:
    assert login(client, "view").status_code == 303
    story = archive["ids"]["seizure"]
    page = client.get(f"/story/{story}")
    assert page.status_code == 200
    assert 'action="/story/' not in page.text  # no review form for a viewer
    response = client.post(
        f"/story/{story}/review",
        data={"verdict": "relevant", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_hostile_title_is_text_and_csp_is_strict(client, archive) -> None:
    login(client, "rev")
    for path in ("/", f"/story/{archive['ids']['hostile']}", "/login"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in response.text
        assert "<img" not in response.text
        assert " style=" not in response.text and "<style" not in response.text
    story = client.get(f"/story/{archive['ids']['hostile']}").text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in story
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in story


def test_story_shows_evidence_rules_score_and_provenance(client, archive) -> None:
    login(client, "rev")
    page = client.get(f"/story/{archive['ids']['seizure']}").text
    assert "<mark>بيتكوين</mark>" in page
    assert "<mark>داعش</mark>" in page
    assert "المقدمة" in page  # where the marks are
    assert "الفقرة 2" in page
    assert "crypto_terror_financing" in page
    assert "بلغت أدلة القواعد الأساسية عتبة «أساسي»" in page  # score against its threshold
    assert "https://news.example/seizure?utm_source=feed" in page  # requested URL
    assert "wire-one" in page
    english = client.get(f"/story/{archive['ids']['seizure']}?lang=en").text
    assert 'dir="ltr"' in english and "paragraph 2" in english
    assert 'dir="ltr"' in client.get("/").text  # the choice stays in the session
    assert client.get("/story/999999").status_code == 404


def test_inbox_filters_counts_and_review_changes_them(client, archive) -> None:
    login(client, "rev")
    inbox = client.get("/").text
    assert 'data-label="core">أساسي: <b>2</b>' in inbox
    assert 'data-label="related">ذو صلة: <b>1</b>' in inbox
    assert "3 بانتظار المراجعة" in inbox
    assert "لا مراجعات بعد" in inbox
    assert "أمطار غزيرة" not in inbox  # not flagged
    related = client.get("/?label=related").text
    assert "البنك المركزي يحذر" in related and "ضبط محافظ" not in related
    by_outlet = client.get("/?outlet=wire-one").text
    assert "ضبط محافظ" in by_outlet and "البنك المركزي يحذر" not in by_outlet

    story = archive["ids"]["hostile"]
    page = client.get(f"/story/{story}")
    response = client.post(
        f"/story/{story}/review",
        data={
            "verdict": "false_alarm",
            "reason": "off_topic",
            "note": "تقرير قديم",
            "csrf": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = client.get(f"/story/{story}").text
    assert "إنذار كاذب" in after and "تقرير قديم" in after
    inbox = client.get("/").text
    assert "2 بانتظار المراجعة" in inbox
    assert "على 1 خبرا تمت مراجعتها: الدقة 0.00 والاستدعاء 0.00" in inbox
    assert "ضبط محافظ" not in client.get("/?state=false_alarm").text
    assert client.get("/?state=false_alarm").text.count('class="story-row"') == 1
    assert client.get("/?state=awaiting").text.count('class="story-row"') == 2
