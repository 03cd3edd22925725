"""The rule what-if in a real browser (Playwright driving Debian's chromium): an admin previews an
edited copy of the packs, sees the story it would gain with the new term marked, and applies it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from classifiers import load_classifier
from storage.models import utcnow
from tests.smtp_server import free_port
from tests.storage.test_whatif import _snapshot
from tests.storage.whatif_seed import NEW_TERM, add_term, copy_packs, seed
from tests.web.test_browser import _login, browser  # noqa: F401 - the fixture is used by name


@pytest.fixture
def whatif_server(tmp_path: Path):
    import uvicorn

    from web.app import create_app

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    ids = seed(url, now=utcnow())
    roots = tmp_path / "roots"
    active = copy_packs(tmp_path / "active")  # the packaged rules stay untouched
    app = create_app(
        url,
        secret_key="browser-test-secret",
        rules_dir=active,
        rules_roots=[roots],
        rules_history=tmp_path / "h",
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{port}", "url": url, "ids": ids, "roots": roots, "active": active}
    server.should_exit = True
    thread.join(30)
    app.state.engine.dispose()


@pytest.mark.slow
def test_admin_runs_a_what_if_in_chromium(whatif_server, browser, tmp_path: Path) -> None:  # noqa: F811
    base, ids = whatif_server["base"], whatif_server["ids"]
    candidate = add_term(copy_packs(whatif_server["roots"] / "edited"))
    page = browser.new_context().new_page()
    console: list[str] = []
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    _login(page, base, "boss")
    page.click("header nav a[href='/whatif']")
    page.wait_for_url(f"{base}/whatif")
    page.fill("#whatif-folder", "edited")
    page.fill("#whatif-days", "7")
    page.click("#whatif-preview")
    page.wait_for_selector("#whatif-summary")
    assert "يكتسب تصنيفا: 1" in page.inner_text("#whatif-counts")
    gained = page.locator(f"li.change[data-id='{ids['zcash']}'][data-kind='gained']")
    assert gained.count() == 1
    marks = gained.locator("mark")
    assert NEW_TERM in [marks.nth(i).inner_text() for i in range(marks.count())]
    assert marks.first.evaluate("m => getComputedStyle(m).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert "العنوان" in gained.inner_text()
    page.screenshot(path=str(tmp_path / "whatif.png"), full_page=True)

    page.click("#whatif-apply-button")
    page.wait_for_selector("#whatif-applied")
    assert load_classifier(whatif_server["active"]).rules_version == load_classifier(candidate).rules_version
    labels = {article: label for article, label, _ in _snapshot(whatif_server["url"])[0]}
    assert labels[ids["zcash"]] == "core"
    page.screenshot(path=str(tmp_path / "whatif-applied.png"), full_page=True)
    assert not console
    assert all(url.startswith(base) for url in requests)
