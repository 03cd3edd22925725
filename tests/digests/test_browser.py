"""The HTML digest in headless Chromium: it renders right to left and a crawled XSS payload never runs."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from digests.run import run_digest
from tests.conftest import missing
from tests.digests.conftest import NOW, WIRE, ArticleSpec

SCRIPT_TITLE = "<script>document.documentElement.setAttribute('data-xss','script')</script> تمويل الإرهاب"
IMG_TITLE = "\"><img src=x onerror=\"document.documentElement.setAttribute('data-xss','img')\"> عملات مشفرة"

# The test's own script (trusted, added after rendering): it proves scripts do run in this page, so
# the missing data-xss marker means the payloads were inert, not that JavaScript was off.
PROBE = """<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var root = document.documentElement;
    root.setAttribute('data-direction', getComputedStyle(document.body).direction);
    root.setAttribute('data-probe', 'ran');
  }, 200);
});
</script>"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        missing("chromium not installed (Debian package `chromium`; CI installs it)")
    return path


@pytest.mark.slow
def test_rtl_and_no_xss(tmp_path, store, factory, settings):
    browser = chromium()
    store.add(
        ArticleSpec("https://one.example/a", SCRIPT_TITLE, WIRE),
        ArticleSpec("https://two.example/b", IMG_TITLE, WIRE[::-1], source="wire-two", score=1.0),
    )
    (html_path,) = run_digest(factory, settings, formats=("html",), now=NOW).paths
    page = tmp_path / "probe.html"
    page.write_text(
        html_path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )

    profile = tmp_path / "profile"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=3000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90)
    dom = done.stdout
    assert 'data-probe="ran"' in dom, f"page scripts did not run: {done.stderr[-2000:]}"
    assert 'data-direction="rtl"' in dom
    assert "data-xss" not in dom.split("<body", 1)[0].split("<html", 1)[1].split(">", 1)[0]
    # The payloads are on the page as text.
    assert "&lt;script&gt;document.documentElement.setAttribute" in dom
    assert "&lt;img src=x onerror=" in dom
