"""`raqib sources discover` and `raqib sources import` against the bundled site over real HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.demo_site import DemoSite
from crawler.demo_site.manifest import expected_pages
from crawler.sources import load_sources

from .conftest import REPO, run_raqib_crawl

ALLOW = ["--allow-network", "127.0.0.1/32"]


@pytest.fixture(scope="module")
def site():
    with DemoSite() as s:
        yield s


def raqib(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO, capture_output=True, text=True, timeout=180)


def test_discover_finds_feeds_news_sitemaps_and_sections_and_writes_sources_that_crawl(site, tmp_path: Path) -> None:
    out = tmp_path / "found.yaml"
    done = raqib("sources", "discover", f"{site.base_url}/nile/", f"{site.base_url}/sada/", "--out", str(out), "--country", "EG", "--group", "found", *ALLOW)
    assert done.returncode == 0, done.stderr
    assert "[1/2]" in done.stderr and "[2/2]" in done.stderr  # progress as it goes
    sources = load_sources(out)
    by_url = {s.start_urls[0].removeprefix(site.base_url): s for s in sources}
    assert by_url["/nile/rss.xml"].kind == "feed" and by_url["/sada/rss.xml"].kind == "feed"
    # The index in robots.txt is followed to its news sitemaps; each outlet keeps to its own path.
    assert {"/nile/sitemaps/news-1.xml", "/nile/sitemaps/news-2.xml", "/sada/sitemap-news.xml"} <= set(by_url)
    assert all(s.country == "EG" and s.group == "found" and s.outlet for s in sources)
    listings = [s for s in sources if s.kind == "listing"]
    assert listings
    articles = [p.url for p in expected_pages(site.base_url, today=site.today) if p.expect == "stored"]
    for listing in listings:
        prefix = site.base_url + "/" + listing.start_urls[0].removeprefix(site.base_url).split("/")[1] + "/"
        own = [u for u in articles if u.startswith(prefix)]
        assert any(re.search(listing.link_pattern, u) for u in own), listing.link_pattern

    # Running it again adds nothing.
    again = raqib("sources", "discover", f"{site.base_url}/nile/", "--out", str(out), *ALLOW)
    assert again.returncode == 0 and "0 source record(s) added" in again.stderr
    assert len(load_sources(out)) == len(sources)

    # What was found is crawlable as it is.
    crawl = run_raqib_crawl(out, f"sqlite:///{tmp_path / 'r.sqlite'}", "--source", by_url["/sada/rss.xml"].name)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert crawl.summary["articles_stored"] > 0


def test_loopback_and_private_addresses_are_refused_unless_allowed(site, tmp_path: Path) -> None:
    done = raqib("sources", "discover", f"{site.base_url}/nile/", "--out", str(tmp_path / "x.yaml"))
    assert done.returncode == 1
    assert "resolves to 127.0.0.1, a blocked network" in done.stderr
    assert not (tmp_path / "x.yaml").exists()  # nothing found, nothing written


def test_import_takes_a_list_and_an_opml_file_and_goes_on_past_a_dead_home_page(site, tmp_path: Path) -> None:
    listing = tmp_path / "homes.txt"
    # 127.0.0.3 stands in for an address nobody answers at.
    listing.write_text(f"# outlets\n{site.base_url}/sada/\n\nhttp://127.0.0.3:9/\n", encoding="utf-8")
    out = tmp_path / "sources.yaml"
    done = raqib("sources", "import", str(listing), "--out", str(out), "--allow-network", "127.0.0.0/8", "--timeout", "5")
    assert done.returncode == 1  # one home page failed, and says so
    assert "http://127.0.0.3:9/" in done.stderr and "failed" in done.stderr
    assert any(s.start_urls[0].endswith("/sada/rss.xml") for s in load_sources(out))  # the rest is kept

    opml = tmp_path / "feeds.opml"
    opml.write_text(
        f"""<?xml version="1.0"?><opml version="2.0"><body>
<outline text="النيل اليوم" type="rss" xmlUrl="{site.base_url}/nile/rss.xml"/>
<outline text="صدى" htmlUrl="{site.base_url}/sada/"/></body></opml>""",
        encoding="utf-8",
    )
    out2 = tmp_path / "from-opml.yaml"
    done = raqib("sources", "import", str(opml), "--out", str(out2), *ALLOW)
    assert done.returncode == 0, done.stderr
    found = load_sources(out2)
    nile = [s for s in found if s.start_urls[0].endswith("/nile/rss.xml")]
    assert nile and nile[0].outlet == "النيل اليوم"
    assert any(s.start_urls[0].endswith("/sada/sitemap-news.xml") for s in found)


def test_a_broken_sources_file_is_never_overwritten(site, tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("sources:\n  - name: Bad Name\n", encoding="utf-8")
    done = raqib("sources", "discover", f"{site.base_url}/nile/", "--out", str(out), *ALLOW)
    assert done.returncode != 0 and "mine.yaml" in done.stderr
    assert out.read_text(encoding="utf-8") == "sources:\n  - name: Bad Name\n"
