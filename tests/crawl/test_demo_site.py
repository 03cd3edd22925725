"""The bundled demo site over real HTTP: every trap behaves as the manifest declares.

Plain urllib on 127.0.0.1 free ports; no crawler involved (the crawl tests run the real spiders on it).
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import pytest
import yaml

from crawler.demo_site import DATED_AS_OF, DemoSite, ExpectedPage, RequestRecord, expected_pages
from crawler.demo_site.manifest import EXPECTS

SLOW = 1.0
BENCH = 40
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}
ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, *, timeout: float = 5.0, ua: str = "raqib-test") -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: (status, headers, body), whatever the status."""
    req = urllib.request.Request(url, headers={"User-Agent": ua})
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture(scope="module")
def site():
    # Pinned to the day articles.yaml is written for: the checks below name its dates (March 2024).
    with DemoSite(slow_seconds=SLOW, bench_articles=BENCH, today=DATED_AS_OF) as running:
        yield running


@pytest.fixture(scope="module")
def manifest(site: DemoSite) -> list[ExpectedPage]:
    return expected_pages(site.base_url, today=site.today)


@pytest.fixture(scope="module")
def sources(site: DemoSite) -> list[dict]:
    return yaml.safe_load(site.sources_yaml(download_timeout=0.5))["sources"]


def by_trap(manifest: list[ExpectedPage], trap: str) -> ExpectedPage:
    found = [p for p in manifest if p.trap == trap]
    assert len(found) >= 1, f"no page with trap {trap!r}"
    return found[0]


def html_of(body: bytes, encoding: str = "utf-8") -> lxml.html.HtmlElement:
    return lxml.html.fromstring(body.decode(encoding))


def body_text(doc: lxml.html.HtmlElement) -> str:
    return " ".join(doc.xpath("//div[contains(@class,'article-body')]//p//text()"))


# --- discovering what each source links (a tiny, honest re-implementation of the three spider kinds) ---
def feed_links(body: bytes, content_type: str) -> list[str]:
    if "json" in content_type:
        return [item["url"] for item in json.loads(body)["items"]]
    root = lxml.etree.fromstring(body, lxml.etree.XMLParser(recover=True))
    links = [el.text for el in root.iter("link") if el.text and el.text.strip()]
    links += [el.get("href") for el in root.iter(f"{{{NS['atom']}}}link") if el.get("rel") == "alternate"]
    return [link.strip() for link in links if "/rss" not in link and not link.endswith("/")]


def sitemap_links(url: str) -> list[str]:
    status, _, body = fetch(url)
    assert status == 200, url
    root = ET.fromstring(body)
    if root.tag == f"{{{NS['sm']}}}sitemapindex":
        return [link for loc in root.iterfind("sm:sitemap/sm:loc", NS) for link in sitemap_links(loc.text)]
    return [loc.text for loc in root.iterfind("sm:url/sm:loc", NS)]


def listing_links(start: str, pattern: str, max_pages: int) -> tuple[list[str], list[str]]:
    """(article links matching the pattern, listing pages visited)."""
    found, visited, url = [], [], start
    while url and len(visited) < max_pages:
        status, _, body = fetch(url)
        assert status == 200, url
        visited.append(url)
        doc = html_of(body)
        for href in doc.xpath("//a/@href"):
            absolute = urljoin(url, href)
            if re.search(pattern, absolute):
                found.append(absolute)
        nxt = doc.xpath("//a[@rel='next']/@href")
        url = urljoin(url, nxt[0]) if nxt else ""
    assert not url, f"{start} has more than max_pages={max_pages} pages"
    return found, visited


@pytest.fixture(scope="module")
def discovered(sources: list[dict]) -> dict[str, set[str]]:
    links: dict[str, set[str]] = {}
    for src in sources:
        urls: list[str] = []
        for start in src["start_urls"]:
            if src["kind"] == "feed":
                status, headers, body = fetch(start)
                assert status == 200, start
                urls += feed_links(body, headers["Content-Type"])
            elif src["kind"] == "sitemap":
                urls += sitemap_links(start)
            else:
                urls += listing_links(start, src["link_pattern"], src["max_pages"])[0]
        links[src["name"]] = set(urls)
    return links


# --- the manifest and the sources file --------------------------------------------------------------------
def test_manifest_is_complete_and_consistent(manifest: list[ExpectedPage], site: DemoSite) -> None:
    urls = {p.url for p in manifest}
    assert len(urls) == len(manifest)
    assert {p.expect for p in manifest} == EXPECTS, "every kind of expectation is exercised"
    traps = {p.trap for p in manifest}
    for trap in [
        "sidebar", "tracking_params", "amp", "syndicated", "duplicate_content", "cp1256_declared_utf8",
        "cp1256_declared_latin1", "cp1256_undeclared", "iso_8859_6", "persian", "english", "http_404",
        "http_500", "slow", "empty", "malformed", "pdf", "image", "broken_feed", "redirect_loop",
        "redirect_offsite", "feed_offsite", "private_host", "robots_print", "robots_members",
        "visible_date", "visible_date_levant", "visible_date_maghreb", "hijri_date",
    ]:  # fmt: skip
        assert trap in traps, trap
    for p in manifest:
        assert p.url.startswith("http://127.0.0."), p.url
        assert (
            p.expect in EXPECTS
            and p.topic in {"core", "related", "none", ""}
            and p.language in {"ar", "fa", "en", ""}
        )
        assert p.same_as == "" or p.same_as in urls, p
        assert p.outlet in {"النيل اليوم", "صدى الخليج"} or p.trap.startswith("chrome_")
        if p.expect in {"stored", "syndicated", "malformed", "duplicate_content"}:
            assert p.language and p.topic and p.title and p.published, p
            datetime.fromisoformat(p.published)
    stored = [p for p in manifest if p.expect in {"stored", "syndicated", "malformed"}]
    assert 25 <= len([p for p in stored if not p.trap.startswith("chrome_")]) <= 45
    corpus = [p for p in manifest if p.trap.startswith("chrome_")]
    assert len({p.outlet for p in corpus}) >= 6 and sum(p.expect == "stored" for p in corpus) >= 35
    assert all(p.url.startswith(site.base_url + "/corpus/") for p in corpus)
    assert Counter(p.topic for p in stored if p.language == "ar").keys() >= {"core", "related", "none"}
    # The manifest only needs the base URL: other hosts share its port.
    assert any(p.url.startswith(site.other_base_url) for p in manifest)


def test_sources_yaml_schema(sources: list[dict], site: DemoSite, tmp_path) -> None:
    names = [s["name"] for s in sources]
    assert len(names) == len(set(names))
    required = {
        "name",
        "outlet",
        "country",
        "language",
        "kind",
        "start_urls",
        "allowed_domains",
        "enabled",
        "group",
    }
    for s in sources:
        assert re.fullmatch(r"[a-z0-9-]+", s["name"])
        assert required <= s.keys()
        assert s["kind"] in {"feed", "sitemap", "listing"}
        assert s["allowed_domains"] == ["127.0.0.1"]
        assert s["politeness"] == {"download_timeout": 0.5, "download_delay": 0}
        assert all(u.startswith(site.base_url + "/") for u in s["start_urls"])
        if s["kind"] == "sitemap":
            assert s["max_age_days"] >= 36500 or s["group"] == "bench"
        if s["kind"] == "listing":
            re.compile(s["link_pattern"])
            assert s["max_pages"] >= 2
    assert Counter(s["kind"] for s in sources if s["group"] == "demo") == {
        "feed": 5,
        "sitemap": 2,
        "listing": 2,
    }
    assert "demo-nile-breaking" in names, "the broken feed is a source of its own"
    corpus = [s for s in sources if s["group"] == "corpus"]
    assert len(corpus) >= 6 and all(s["name"].startswith("demo-corpus-") for s in corpus)
    assert "demo-bench-sitemap" in names  # only because this site runs with bench_articles
    written = site.write_sources(tmp_path / "sub" / "sources.yaml", download_timeout=3.0)
    assert (
        yaml.safe_load(written.read_text(encoding="utf-8"))["sources"][0]["politeness"]["download_timeout"]
        == 3.0
    )


def test_every_manifest_url_is_linked_from_its_sources(
    manifest: list[ExpectedPage], discovered: dict[str, set[str]]
) -> None:
    everything = set().union(*(urls for name, urls in discovered.items() if name != "demo-bench-sitemap"))
    manifest_urls = {p.url for p in manifest}
    for p in manifest:
        assert p.sources, p.url
        for name in p.sources:
            assert p.url in discovered[name], f"{p.url} not linked from {name}"
    # and nothing article-like is linked that the manifest does not describe
    assert everything == manifest_urls, everything ^ manifest_urls


def test_robots_txt_and_no_source_fetches_a_disallowed_path(
    site: DemoSite, sources: list[dict], manifest: list[ExpectedPage]
) -> None:
    status, headers, body = fetch(site.base_url + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "Disallow: /nile/print/" in text and "Disallow: /sada/members/" in text
    assert f"Sitemap: {site.base_url}/nile/sitemap-index.xml" in text
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    for p in manifest:
        if urlsplit(p.url).netloc == urlsplit(site.base_url).netloc:
            assert robots.can_fetch("raqib", p.url) == (p.expect != "robots"), p.url
    assert sum(p.expect == "robots" for p in manifest) == 2
    assert all(
        "demo-" in n and n.endswith("-sections") for p in manifest if p.expect == "robots" for n in p.sources
    )
    for s in sources:
        for start in s["start_urls"]:
            assert robots.can_fetch("raqib", start), start
        if s["kind"] == "listing":
            for start in s["start_urls"]:
                for page in listing_links(start, s["link_pattern"], s["max_pages"])[1]:
                    assert robots.can_fetch("raqib", page)


# --- feeds and sitemaps ----------------------------------------------------------------------------------
def test_feeds_parse(site: DemoSite) -> None:
    for path in ("/nile/rss.xml", "/sada/rss.xml"):
        status, headers, body = fetch(site.base_url + path)
        assert status == 200 and "rss" in headers["Content-Type"]
        items = ET.fromstring(body).findall("channel/item")
        assert len(items) >= 5
        for item in items:
            assert ARABIC_LETTER.search(item.findtext("title")) or "bitcoin" in item.findtext("title").lower()
            assert item.findtext("link").startswith("http://127.0.0.")
            assert parsedate_to_datetime(item.findtext("pubDate")).year in {2023, 2024}
    status, headers, body = fetch(site.base_url + "/sada/atom.xml")
    entries = ET.fromstring(body).findall("atom:entry", NS)
    assert status == 200 and "atom" in headers["Content-Type"] and len(entries) >= 5
    assert all(datetime.fromisoformat(e.findtext("atom:published", namespaces=NS)) for e in entries)
    status, headers, body = fetch(site.base_url + "/sada/feed.json")
    feed = json.loads(body)
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and len(feed["items"]) >= 5
    assert all({"id", "url", "title", "date_published"} <= item.keys() for item in feed["items"])


def test_broken_feed_is_broken_but_keeps_items(site: DemoSite, manifest: list[ExpectedPage]) -> None:
    status, _, body = fetch(site.base_url + "/nile/rss-breaking.xml")
    assert status == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    assert b" & " in body and not body.rstrip().endswith(b"</rss>")
    links = feed_links(body, "application/rss+xml")
    assert by_trap(manifest, "broken_feed").url in links
    assert len(links) == 3


def test_google_news_sitemaps(site: DemoSite, manifest: list[ExpectedPage]) -> None:
    _, _, index = fetch(site.base_url + "/nile/sitemap-index.xml")
    children = [loc.text for loc in ET.fromstring(index).iterfind("sm:sitemap/sm:loc", NS)]
    assert len(children) == 2
    languages = set()
    for url in [*children, site.base_url + "/sada/sitemap-news.xml"]:
        status, _, body = fetch(url)
        assert status == 200
        urls = ET.fromstring(body).findall("sm:url", NS)
        assert urls
        for u in urls:
            news = u.find("news:news", NS)
            assert news is not None
            datetime.fromisoformat(news.findtext("news:publication_date", namespaces=NS))
            assert news.findtext("news:title", namespaces=NS)
            languages.add(news.findtext("news:publication/news:language", namespaces=NS))
    assert languages == {"ar", "fa", "en"}


def test_listing_pagination(site: DemoSite) -> None:
    found, visited = listing_links(site.base_url + "/sada/section/economy", r"/sada/.+\.html", 3)
    assert len(visited) == 3 and visited[1].endswith("?page=2")
    assert fetch(site.base_url + "/sada/section/economy?page=4")[0] == 404
    assert fetch(site.base_url + "/sada/section/nowhere")[0] == 404
    _, _, body = fetch(visited[1])
    doc = html_of(body)
    assert doc.xpath("//a[@rel='prev']") and doc.xpath("//a[@rel='next' and text()='التالي']")


# --- article pages ---------------------------------------------------------------------------------------
def test_article_pages_look_like_arabic_news_sites(site: DemoSite, manifest: list[ExpectedPage]) -> None:
    plain = [p for p in manifest if p.expect == "stored" and p.language == "ar" and not p.trap]
    assert len(plain) >= 15
    for p in plain:
        status, headers, body = fetch(p.url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        doc = html_of(body)
        assert doc.get("lang") == "ar" and doc.get("dir") == "rtl"
        assert doc.xpath("//link[@rel='canonical']/@href") == [p.url]
        assert doc.xpath("//meta[@property='og:title']/@content") == [p.title]
        assert doc.xpath("//h1")[0].text_content() == p.title
        for marker in (
            "الأكثر قراءة",
            "أخبار ذات صلة",
            "التعليقات",
            "الرئيسية",
            "جميع الحقوق محفوظة",
            "إعلان",
        ):
            assert marker in doc.text_content(), (marker, p.url)
        assert doc.xpath("//nav") and doc.xpath("//footer") and doc.xpath("//script[not(@type)]")
        assert doc.xpath("//nav[contains(@class,'breadcrumb')]")
        dated = doc.xpath("//meta[@property='article:published_time']/@content")
        ld = [json.loads(s) for s in doc.xpath("//script[@type='application/ld+json']/text()")]
        news = [d for d in ld if d["@type"] == "NewsArticle"]
        assert dated or news, p.url
        for value in dated + [d["datePublished"] for d in news]:
            assert value.startswith(p.published), p.url
        assert len(body_text(doc)) > 300


def test_chrome_corpus_is_served_as_built(site: DemoSite, manifest: list[ExpectedPage]) -> None:
    from crawler.demo_site.chrome_corpus import corpus_pages

    pages = corpus_pages(site.base_url, site.today)
    linked = {p.url for p in manifest if p.trap.startswith("chrome_")}
    assert linked == {p.url for p in pages if "/print/" not in p.path}, (
        "print versions: linked from their page only"
    )
    for page in pages:
        status, headers, body = fetch(page.url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert body.decode() == page.html, page.url
    for p in manifest:
        if p.expect == "duplicate_url" and p.trap.startswith("chrome_"):
            assert html_of(fetch(p.url)[2]).xpath("//link[@rel='canonical']/@href") == [p.same_as]


def test_visible_date_only_pages(manifest: list[ExpectedPage]) -> None:
    expected = {
        "visible_date": "الأحد 17 مارس 2024",
        "visible_date_levant": "كانون الثاني 2024",
        "visible_date_maghreb": "15 دجنبر 2023",
        "hijri_date": "4 رمضان 1445",
    }
    for trap, shown in expected.items():
        p = by_trap(manifest, trap)
        _, _, body = fetch(p.url)
        doc = html_of(body)
        assert shown in doc.xpath("string(//*[contains(@class,'published')])"), trap
        assert not doc.xpath("//meta[starts-with(@property,'article:published')]")
        assert not doc.xpath("//*[@datetime]")
        assert "NewsArticle" not in body.decode() and not re.search(r"/\d{4}/\d{2}/\d{2}/", p.url)


def test_sidebar_trap_frames_an_unrelated_story_with_topic_headlines(manifest: list[ExpectedPage]) -> None:
    sidebar = [p for p in manifest if p.trap == "sidebar"]
    assert len(sidebar) >= 2
    topic_words = ("البيتكوين", "بيتكوين", "داعش", "الإرهاب", "حماس", "العملات المشفرة")
    for p in sidebar:
        assert p.topic == "none" and p.expect == "stored"
        _, _, body = fetch(p.url)
        doc = html_of(body)
        article = body_text(doc)
        rest = doc.xpath("string(//aside[contains(@class,'sidebar')])") + doc.xpath(
            "string(//section[@class='related'])"
        )
        comments = " ".join(doc.xpath("//p[@class='comment-text']/text()"))
        assert not any(w in article for w in topic_words), p.url
        assert sum(w in rest for w in topic_words) >= 3
        assert any(w in comments for w in topic_words), "reader comments carry topic words too"


def test_duplicates_amp_tracking_and_syndication(manifest: list[ExpectedPage], site: DemoSite) -> None:
    variants = [p for p in manifest if p.expect == "duplicate_url"]
    assert {p.trap for p in variants} >= {"tracking_params", "amp", "amp_query"}
    for p in variants:
        status, _, body = fetch(p.url)
        assert status == 200
        assert html_of(body).xpath("//link[@rel='canonical']/@href") == [p.same_as]
    tracked = [p for p in variants if p.trap == "tracking_params"]
    assert all("utm_source=" in p.url and "fbclid=" in p.url for p in tracked)
    assert any("/amp/" in p.url for p in variants) and any(p.url.endswith("?amp=1") for p in variants)

    copy = by_trap(manifest, "duplicate_content")
    original_doc = html_of(fetch(copy.same_as)[2])
    copy_doc = html_of(fetch(copy.url)[2])
    assert body_text(copy_doc) == body_text(original_doc)
    assert copy_doc.xpath("//link[@rel='canonical']/@href") == [copy.url]

    synd = by_trap(manifest, "syndicated")
    original = next(p for p in manifest if p.url == synd.same_as)
    assert synd.outlet != original.outlet and synd.topic == original.topic == "core"
    synd_paras = html_of(fetch(synd.url)[2]).xpath("//div[contains(@class,'article-body')]/p/text()")
    orig_paras = html_of(fetch(original.url)[2]).xpath("//div[contains(@class,'article-body')]/p/text()")
    assert synd_paras[0] != orig_paras[0] and synd_paras[1:] == orig_paras[1:]


def test_charset_traps(manifest: list[ExpectedPage]) -> None:
    cases = {
        "cp1256_declared_utf8": ("cp1256", "charset=utf-8"),
        "cp1256_declared_latin1": ("cp1256", "charset=iso-8859-1"),
        "cp1256_undeclared": ("cp1256", None),
        "iso_8859_6": ("iso-8859-6", "charset=iso-8859-6"),
    }
    for trap, (real, declared) in cases.items():
        p = by_trap(manifest, trap)
        status, headers, body = fetch(p.url)
        assert status == 200
        content_type = headers["Content-Type"]
        if declared:
            assert content_type.endswith(declared), trap
        else:
            assert "charset" not in content_type and b"charset" not in body.lower(), trap
        assert p.title in body.decode(real), trap
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        if trap == "cp1256_declared_latin1":
            assert not ARABIC_LETTER.search(body.decode("iso-8859-1")), "latin-1 decodes to mojibake"
        if trap == "cp1256_declared_utf8":
            assert b'content="text/html; charset=utf-8"' in body, "the <meta> lies too"


def test_persian_and_english_pages(manifest: list[ExpectedPage]) -> None:
    fa = by_trap(manifest, "persian")
    doc = html_of(fetch(fa.url)[2])
    text = body_text(doc)
    assert fa.language == "fa" and doc.get("lang") == "fa" and doc.get("dir") == "rtl"
    assert all(letter in text for letter in "گچپژکی")
    assert "ي" not in text and "ك" not in text, "Persian letters, not their Arabic look-alikes"
    en = by_trap(manifest, "english")
    doc = html_of(fetch(en.url)[2])
    assert en.language == "en" and doc.get("lang") == "en" and doc.get("dir") == "ltr"
    assert not ARABIC_LETTER.search(body_text(doc))


def test_error_and_odd_routes(manifest: list[ExpectedPage], site: DemoSite) -> None:
    assert fetch(by_trap(manifest, "http_404").url)[0] == 404
    assert fetch(by_trap(manifest, "http_500").url)[0] == 500
    status, headers, body = fetch(by_trap(manifest, "empty").url)
    assert (status, body, headers["Content-Length"]) == (200, b"", "0")
    assert headers["Content-Type"].startswith("text/html")
    status, headers, body = fetch(by_trap(manifest, "pdf").url)
    assert (status, headers["Content-Type"]) == (200, "application/pdf") and body.startswith(b"%PDF-")
    status, headers, body = fetch(by_trap(manifest, "image").url)
    assert (status, headers["Content-Type"]) == (200, "image/png") and body.startswith(b"\x89PNG")
    assert {p.expect for p in manifest if p.trap in {"pdf", "image"}} == {"not_html"}


def test_malformed_page_keeps_a_recoverable_body(manifest: list[ExpectedPage]) -> None:
    p = by_trap(manifest, "malformed")
    status, _, body = fetch(p.url)
    text = body.decode()
    assert status == 200 and "</p>" not in text and "<<<" in text
    with pytest.raises(lxml.etree.XMLSyntaxError):
        lxml.etree.fromstring(body)
    recovered = lxml.html.fromstring(text).text_content()
    paragraphs = [line for line in text.splitlines() if line.startswith("<p>")]
    assert len(paragraphs) >= 3
    for line in paragraphs[:-1]:
        words = re.sub(r"<[^>]*>", "", line).split()[:6]
        assert " ".join(words) in recovered


def test_slow_page_sleeps_past_the_timeout(manifest: list[ExpectedPage]) -> None:
    p = by_trap(manifest, "slow")
    assert p.expect == "timeout"
    start = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError, socket.timeout)):
        fetch(p.url, timeout=SLOW / 4)
    assert time.monotonic() - start < SLOW
    start = time.monotonic()
    status, _, body = fetch(p.url, timeout=SLOW * 5)
    assert status == 200 and time.monotonic() - start >= SLOW and body


def test_redirect_loop_loops(manifest: list[ExpectedPage]) -> None:
    p = by_trap(manifest, "redirect_loop")
    status, headers, _ = fetch(p.url)
    assert status == 302
    second = urljoin(p.url, headers["Location"])
    assert second != p.url
    status, headers, _ = fetch(second)
    assert status == 302 and urljoin(second, headers["Location"]) == p.url
    with pytest.raises(urllib.error.HTTPError, match="redirect"):
        urllib.request.urlopen(p.url, timeout=5)


def test_offsite_traps(manifest: list[ExpectedPage], site: DemoSite) -> None:
    site_host = urlsplit(site.base_url).hostname
    moved = by_trap(manifest, "redirect_offsite")
    assert not moved.never_requested and urlsplit(moved.url).hostname == site_host
    status, headers, _ = fetch(moved.url)
    assert status == 301 and headers["Location"].startswith(site.other_base_url + "/")
    feed_item = by_trap(manifest, "feed_offsite")
    assert feed_item.never_requested and feed_item.url.startswith(site.other_base_url + "/")
    assert feed_item.sources == ("demo-sada-rss",)
    private = by_trap(manifest, "private_host")
    assert private.never_requested and urlsplit(private.url).hostname == "127.0.0.3"
    assert private.sources == ("demo-nile-sections",)
    assert {p.expect for p in (moved, feed_item, private)} == {"offsite"}


# --- the servers -----------------------------------------------------------------------------------------
def test_request_recording_on_both_servers(site: DemoSite, manifest: list[ExpectedPage]) -> None:
    site.reset_requests()
    assert site.requests == [] and site.other_requests == []
    fetch(site.base_url + "/nile/rss.xml?x=1", ua="RaqibBot/0.1 (+http://127.0.0.1/about)")
    head = urllib.request.Request(site.base_url + "/robots.txt", method="HEAD")
    with urllib.request.urlopen(head, timeout=5) as resp:
        assert resp.status == 200 and resp.read() == b""
    assert site.other_requests == []
    if not site.other_listening:
        pytest.skip(f"{site.other_base_url} cannot be bound on this machine: no recording other host")
    status, _, body = fetch(by_trap(manifest, "feed_offsite").url, ua="stray")
    assert status == 200 and "مضيف آخر".encode() in body
    records = site.requests
    assert [(r.method, r.path) for r in records] == [("GET", "/nile/rss.xml?x=1"), ("HEAD", "/robots.txt")]
    assert records[0].user_agent == "RaqibBot/0.1 (+http://127.0.0.1/about)"
    assert isinstance(records[0], RequestRecord) and abs(records[0].time - time.time()) < 60
    [other] = site.other_requests
    assert other.path == urlsplit(by_trap(manifest, "feed_offsite").url).path and other.user_agent == "stray"
    records.clear()  # a snapshot: clearing it does not touch the log
    assert len(site.requests) == 2

    def hit(i: int) -> None:
        fetch(f"{site.base_url}/sada/section/sport?n={i}")

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(site.requests) == 22


def test_bench_mode_serves_distinct_pages_dated_today(site: DemoSite) -> None:
    status, _, body = fetch(site.base_url + "/bench/sitemap.xml")
    assert status == 200
    urls = ET.fromstring(body).findall("sm:url", NS)
    assert len(urls) == BENCH
    today = datetime.now(UTC).date()
    digests, texts = set(), set()
    for u in urls:
        date = datetime.fromisoformat(u.findtext("news:news/news:publication_date", namespaces=NS))
        assert date.date() == today and date <= datetime.now(UTC)
        status, _, page = fetch(u.findtext("sm:loc", namespaces=NS))
        assert status == 200 and 40_000 <= len(page) <= 150_000  # a real outlet's page weight
        doc = html_of(page)
        assert doc.get("lang") == "ar" and doc.xpath("//meta[@property='article:published_time']")
        digests.add(hashlib.sha256(page).hexdigest())
        texts.add(body_text(doc))
    assert len(digests) == len(texts) == BENCH
    assert fetch(f"{site.base_url}/bench/article/{BENCH}.html")[0] == 404
    assert (
        fetch(site.base_url + "/bench/article/3.html")[2] == fetch(site.base_url + "/bench/article/3.html")[2]
    )


def test_lifecycle_nothing_before_start_and_stop_is_prompt() -> None:
    site = DemoSite(slow_seconds=30)
    with pytest.raises(RuntimeError):
        _ = site.base_url
    with site:
        base = site.base_url
        assert "demo-bench-sitemap" not in site.sources_yaml()
        assert fetch(base + "/bench/sitemap.xml")[0] == 404
        slow = by_trap(expected_pages(base, today=site.today), "slow").url
        worker = threading.Thread(target=_swallow, args=(slow,))
        worker.start()
        time.sleep(0.3)
        start = time.monotonic()
    assert time.monotonic() - start < 5, "stop() does not wait for the slow page"
    worker.join(timeout=10)
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/", timeout=2)


def test_runs_without_the_other_host_where_its_address_does_not_exist() -> None:
    # bind() to an address this machine does not have fails at once (EADDRNOTAVAIL); no packet is sent.
    with DemoSite(other_host="192.0.2.1") as site:
        assert not site.other_listening and site.other_requests == []
        assert fetch(site.base_url + "/nile/rss.xml")[0] == 200


def _swallow(url: str) -> None:
    try:
        fetch(url, timeout=60)
    except OSError:
        pass


def test_module_entry_point_serves_and_writes_sources(tmp_path) -> None:
    target = tmp_path / "sources.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo_site", "--sources", str(target)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        base = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        assert fetch(base + "/nile/rss.xml")[0] == 200
        lines = [proc.stdout.readline() for _ in range(2)]
        assert str(target) in lines[1] and target.exists()
        assert yaml.safe_load(target.read_text(encoding="utf-8"))["sources"][0]["start_urls"][0].startswith(
            base
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_texts_are_not_copied_from_real_articles(shared_data) -> None:
    """The site's texts are ours: no sentence of the real articles (dev.jsonl, seeds) appears in them."""
    from importlib import resources

    ours = (resources.files("crawler.demo_site") / "data" / "articles.yaml").read_text(encoding="utf-8")
    real = []
    dev = shared_data / "classification" / "dev.jsonl"
    if dev.exists():
        real += [
            json.loads(line)["text"] for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    real += [p.read_text(encoding="utf-8") for p in sorted((shared_data / "seeds").glob("*.txt"))]
    assert real, "no real articles found to compare against"
    for text in real:
        for sentence in re.split(r"[.!؟\n]", text):
            sentence = sentence.strip()
            if len(sentence) >= 60:
                assert sentence not in ours
