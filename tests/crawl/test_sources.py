"""Sources as data: the default file is valid; a bad file fails with file, source and field named."""

from pathlib import Path

import pytest

from crawler.sources import SourcesError, load_sources, parse_sources, select_sources

GOOD = """
sources:
  - name: a-rss
    outlet: A
    kind: feed
    start_urls: ["https://a.example/rss"]
  - name: b-sections
    outlet: B
    kind: listing
    start_urls: ["https://b.example/s"]
    link_pattern: '/\\d+\\.html$'
    max_pages: 2
    enabled: false
    group: x
"""


def test_default_sources_file_is_valid_and_covers_the_region() -> None:
    sources = load_sources()
    countries = {s.country for s in sources}
    assert {"MA", "DZ", "TN", "EG", "LB", "JO", "SA", "AE", "QA"} <= countries
    assert {s.kind for s in sources} == {"feed", "sitemap", "listing"}
    assert any(s.group == "international" for s in sources)


def test_parse_fills_defaults() -> None:
    a, b = parse_sources(GOOD)
    assert a.allowed_domains == ("a.example",) and a.enabled and a.language == "ar"
    assert b.max_pages == 2 and not b.enabled


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("kind: rss", "source 'a-rss' (line 3): field 'kind' must be one of"),
        ("start_urls: []", "field 'start_urls' is empty"),
        ("start_urls: ['ftp://x/y']", "only absolute http(s) URLs"),
        ("colour: red", "unknown field(s) colour"),
        ("politeness: {speed: 3}", "unknown politeness key(s) speed"),
        ("max_pages: 'two'", "field 'max_pages' must be int"),
        ("link_pattern: '(['", "not a valid regex"),
    ],
)
def test_bad_field_is_named(broken: str, expected: str) -> None:
    key = broken.split(":")[0]
    lines = [ln for ln in GOOD.splitlines()[:6] if not ln.strip().startswith(key + ":")]
    text = "\n".join(lines) + f"\n    {broken}\n"
    with pytest.raises(SourcesError) as err:
        parse_sources(text, "my.yaml")
    assert str(err.value).startswith("my.yaml: ")
    assert expected in str(err.value)


def test_listing_needs_a_link_pattern() -> None:
    text = "\n".join(ln for ln in GOOD.splitlines() if "link_pattern" not in ln)
    with pytest.raises(SourcesError, match="'b-sections'.*needs 'link_pattern'"):
        parse_sources(text, "f.yaml")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="sources file not found"):
        load_sources(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [\n  - {name: x", encoding="utf-8")
    with pytest.raises(SourcesError, match="not valid YAML"):
        load_sources(bad)


def test_select() -> None:
    sources = parse_sources(GOOD)
    assert [s.name for s in select_sources(sources)] == ["a-rss"]
    assert [s.name for s in select_sources(sources, ["b-sections"])] == ["b-sections"]
    with pytest.raises(SourcesError, match="unknown source.*nope"):
        select_sources(sources, ["nope"])
    with pytest.raises(SourcesError, match="no enabled source in group"):
        select_sources(sources, groups=["x"])
