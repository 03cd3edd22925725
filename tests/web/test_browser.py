"""The workspace in a real browser: Playwright for Python driving Debian's chromium (no browser
download), against uvicorn on a free 127.0.0.1 port and a seeded SQLite file."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from cli import main
from tests.conftest import missing
from tests.smtp_server import free_port
from tests.web.conftest import PASSWORD, add_third_outlet

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def server(archive):
    import uvicorn

    from web.app import create_app

    app = create_app(archive["url"], secret_key="browser-test-secret")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)
    app.state.engine.dispose()


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing("chromium not installed (Debian package `chromium`; CI installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _login(page, base: str, name: str) -> None:
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base}/")


def _eval_reviews(url: str, capsys) -> dict:
    capsys.readouterr()
    assert main(["eval", "--reviews", "--json", "--db", url]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_review_loop_in_chromium(server, browser, archive, tmp_path, capsys) -> None:
    ids = archive["ids"]
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    add_third_outlet(archive)  # a copy of "seizure" in a Jordanian outlet, and an English story there
    _login(page, server, "rev")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # Each story once: the newer copy's row names the original's outlet as a copy.
    assert page.locator(".story-row").count() == 4
    copy_row = page.locator(".story-row", has=page.locator(f"a.story-link[href='/story/{ids['copy']}']"))
    assert (
        copy_row.locator(f".copies a[href='/story/{ids['seizure']}']").inner_text() == "وكالة الأنباء الأولى"
    )
    assert page.locator(f"a.story-link[href='/story/{ids['seizure']}']").count() == 0
    page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)

    # Filter by the rule fired, then by country.
    page.select_option("select[name=rule]", "crypto_militant_near")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**rule=crypto_militant_near**")
    assert page.locator("a.story-link").evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
        f"/story/{ids['hostile']}"
    ]
    page.select_option("select[name=rule]", "")
    page.select_option("select[name=country]", "JO")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**country=JO**")
    shown = page.locator("a.story-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(shown) == sorted([f"/story/{ids['copy']}", f"/story/{ids['english']}"])
    page.goto(f"{server}/")

    # Filter the inbox: related only.
    page.select_option("select[name=label]", "related")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**label=related**")
    assert page.locator(".story-row").count() == 1
    assert "البنك المركزي يحذر" in page.inner_text(".stories")

    # A story with its evidence highlighted.
    page.goto(f"{server}/story/{ids['seizure']}")
    marks = page.locator("mark")
    assert marks.count() >= 3
    assert "بيتكوين" in [marks.nth(i).inner_text() for i in range(marks.count())]
    assert "الفقرة 2" in page.inner_text(".text")
    page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
    # Its copy in another outlet is listed, and leads to that copy, which lists it back.
    copy = page.locator(f"#copies .copy[data-id='{ids['copy']}']")
    assert "أخبار الثالثة" in copy.inner_text()
    copy.locator("a").click()
    page.wait_for_url(f"{server}/story/{ids['copy']}")
    assert page.locator(f"#copies .copy[data-id='{ids['seizure']}']").count() == 1

    # The hostile title is text, and nothing of it ran.
    page.goto(f"{server}/story/{ids['hostile']}")
    assert "<script>window.__pwned=1</script>" in page.inner_text("#story-title")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#story-title img").count() == 0
    before = _eval_reviews(archive["url"], capsys)
    assert before["n"] == 0
    inbox_before = page.goto(f"{server}/").text()
    assert "5 بانتظار المراجعة" in inbox_before

    # Mark it a false alarm: the counts and `raqib eval --reviews` change.
    page.goto(f"{server}/story/{ids['hostile']}")
    page.select_option("select[name=reason]", "off_topic")
    page.fill("textarea[name=note]", "تقرير عام")
    page.click("button[value=false_alarm]")
    page.wait_for_url(f"{server}/story/{ids['hostile']}")
    assert "إنذار كاذب" in page.inner_text(".history")
    page.goto(f"{server}/")
    assert "4 بانتظار المراجعة" in page.inner_text("#awaiting")
    assert "الدقة 0.00" in page.inner_text("#metrics")
    after = _eval_reviews(archive["url"], capsys)
    assert after["n"] == 1 and after["false_alarms"] == [f"article-{ids['hostile']}"]
    assert after["flagged"]["fp"] == 1

    # Search an Arabic word in another clitic form, without its hamza: the article is found, marked.
    page.click("header nav a[href='/search']")
    page.fill("#search-q", "والامطار")
    page.click("form.search-form button[type=submit]")
    page.wait_for_url("**/search?**")
    results = page.locator(".result")
    assert results.count() == 1
    assert "أمطار غزيرة" in results.first.inner_text()
    assert results.first.locator("mark").first.inner_text() == "أمطار"
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    page.fill("#search-q", "بيتكوين")
    page.click("form.search-form button[type=submit]")
    page.wait_for_url("**q=%D8%A8**")
    assert "<script>window.__pwned=1</script>" in page.inner_text(".results")
    assert page.locator(".results img").count() == 0

    # The session ends while a review is being written: back to the sign-in, then the story with the
    # review filled in as it was (not stored until sent again).
    page.goto(f"{server}/story/{ids['warning']}")
    page.fill("textarea[name=note]", "تحذير عام لا صلة له بالتمويل")
    page.select_option("select[name=reason]", "off_topic")
    context.clear_cookies()
    page.click("button[value=false_alarm]")
    page.wait_for_url("**/login?next=**")
    page.fill("input[name=name]", "rev")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{server}/story/{ids['warning']}")
    assert "لم تحفظ" in page.inner_text("#notice")
    assert page.input_value("textarea[name=note]") == "تحذير عام لا صلة له بالتمويل"
    assert page.input_value("select[name=reason]") == "off_topic"
    assert _eval_reviews(archive["url"], capsys)["n"] == 1

    # A viewer gets 403 on a review POST, even with a valid CSRF token.
    viewer = browser.new_context().new_page()
    _login(viewer, server, "view")
    viewer.goto(f"{server}/story/{ids['seizure']}")
    assert viewer.locator("form.review-form").count() == 0
    token = viewer.locator("input[name=csrf]").first.get_attribute("value")
    response = viewer.request.post(
        f"{server}/story/{ids['seizure']}/review", form={"verdict": "relevant", "csrf": token}
    )
    assert response.status == 403
    # And without the token, a reviewer's POST is refused too.
    response = page.request.post(f"{server}/story/{ids['seizure']}/review", form={"verdict": "relevant"})
    assert response.status == 403

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not [
        line for line in console if "pwned" in line or "pageerror" in line or "Content Security" in line
    ]
    assert all(url.startswith(server) for url in requests), requests
    assert _eval_reviews(archive["url"], capsys)["n"] == 1
