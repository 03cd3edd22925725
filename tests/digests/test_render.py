"""Rendering: crawled text is text in HTML, Markdown and Atom; formats follow their contracts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from digests.run import run_digest
from tests.digests.conftest import NOW, WIRE, ArticleSpec

SCRIPT = "<script>document.body.setAttribute('data-xss','script')</script> تمويل الإرهاب"
IMG = "\"><img src=x onerror=\"document.body.setAttribute('data-xss','img')\"> عملات مشفرة & <b>Bitcoin</b>"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def hostile(store):
    return store.add(
        ArticleSpec("https://one.example/a", SCRIPT, "<script>alert(1)</script> " + WIRE),
        ArticleSpec(
            "javascript:alert(document.cookie)",
            IMG,
            WIRE[::-1] + " \x00\x07 نهاية",
            source="wire-two",
            score=1.0,
        ),
    )


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def render_all(factory, settings):
    result = run_digest(factory, settings, now=NOW)
    return {p.suffix.lstrip("."): p for p in result.paths}


def test_html_escapes_crawled_fields(hostile, factory, settings):
    html = render_all(factory, settings)["html"].read_text(encoding="utf-8")
    parser = Elements()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "img" not in tags and "b" not in tags
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=" in html
    assert not any(k.startswith("on") for _, attrs in parser.tags for k in attrs)
    hrefs = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    assert "\x00" not in html and "\x07" not in html
    assert parser.tags[0] == ("html", {"dir": "rtl", "lang": "ar"})


def test_markdown_escapes_crawled_fields(hostile, factory, settings):
    md = render_all(factory, settings)["md"].read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md and "&lt;img src=x" in md
    assert "(<javascript" not in md and "(javascript" not in md
    assert "**عملات مشفرة**" in md  # matched terms are marked in the snippets


def test_atom_is_valid_and_escaped(hostile, factory, settings):
    path = render_all(factory, settings)["atom"]
    root = ET.parse(path).getroot()  # well-formed XML despite the control characters in the text
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert SCRIPT in titles and IMG in titles  # the feed reader shows them as text
    assert not list(root.iter("script")) and not list(root.iter("img"))
    for entry in entries:
        assert entry.findtext(f"{ATOM}id").startswith("urn:raqib:article:")
        assert entry.find(f"{ATOM}updated").text.endswith("+00:00")
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        # The HTML inside is itself escaped: the reader renders "<script>" as text, not as a tag.
        assert "<script>" not in content.text and "<img" not in content.text
    links = [link.get("href") for link in root.iter(f"{ATOM}link")]
    assert links == ["https://one.example/a"]  # the javascript: URL is never a link


def test_json_contract(hostile, factory, settings):
    data = json.loads(render_all(factory, settings)["json"].read_text(encoding="utf-8"))
    assert set(data) >= {"items", "health", "period"}
    item = data["items"][0]
    assert set(item) >= {"label", "score", "title", "outlets", "urls", "published_at", "matches", "snippets"}
    assert item["title"] == SCRIPT and item["label"] == "core"
    assert all(set(m) >= {"concept", "term", "start", "end", "text"} for m in item["matches"])
    assert data["period"]["until"] == NOW.isoformat()


def test_files_are_written_atomically_in_a_dated_folder(hostile, factory, settings):
    paths = render_all(factory, settings)
    folder = {p.parent for p in paths.values()}
    # Africa/Casablanca is UTC+1 on 2026-03-10 06:00 UTC.
    assert [f.name for f in folder] == ["2026-03-10"]
    assert not [p for p in next(iter(folder)).iterdir() if p.name.startswith(".")]  # no temp files left


def test_dates_use_the_configured_time_zone(store, factory, settings):
    from dataclasses import replace

    store.add(
        ArticleSpec(
            "https://one.example/a", "عملات مشفرة وتمويل الإرهاب", WIRE, published_at=NOW - timedelta(hours=1)
        )
    )
    result = run_digest(factory, replace(settings, timezone="Asia/Riyadh"), formats=("md",), now=NOW)
    md = result.paths[0].read_text(encoding="utf-8")
    assert "2026-03-10 08:00" in md  # 05:00 UTC is 08:00 in Riyadh


def test_snippet_fallback_uses_the_classifier_snippets_when_offsets_do_not_fit():
    from digests.render import build_snippets

    matches = [{"concept": "crypto", "term": "بيتكوين", "start": 900, "end": 907, "text": "بيتكوين"}]
    (snippet,) = build_snippets("نص آخر", matches, ["قال «المسؤول» إن «بيتكوين» استخدمت <b>"])
    assert [(seg.text, seg.mark) for seg in snippet] == [
        ("قال «المسؤول» إن ", False),
        ("بيتكوين", True),
        (" استخدمت <b>", False),
    ]
