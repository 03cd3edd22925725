"""Markers and per-source overrides are data, validated on load with the place of the mistake named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.chrome.markers import MarkerError, load_markers, parse_markers
from crawler.chrome.textnorm import words
from crawler.sources import SourcesError, parse_sources


def test_the_packaged_markers_load_and_fold_orthographic_variants() -> None:
    markers = load_markers()
    for variant in ("اقرأ أيضاً", "إقرأ أيضا", "اقرا ايضا", "اقـرأ أيضًا"):
        assert markers.label(words(variant)).group == "read_also", variant
    assert markers.label(words("الأكثر قراءةً")).group == "most_read"
    assert markers.label(words("À lire aussi")).group == "read_also"
    assert markers.label(words("التعليقات (12)")).group == "comments"
    assert markers.label(words("12 تعليقا")) is None or markers.label(words("12 تعليقا")).group == "comments"
    # A sentence is not a label.
    assert markers.label(words("أكد الوزير أن التعليقات على القرار كانت إيجابية في مجملها")) is None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("groups: {x: {kind: box, ar: [عاجل]}}", "group 'x': 'kind' must be one of"),
        ("groups: {x: {kind: block, ar: [a b c d e f g]}}", "has 7 words"),
        ("groups: {x: {kind: block, ar: ['...']}}", "has no words"),
        ("groups: {x: {kind: block, ar: [عاجل]}, y: {kind: block, ar: [عاجلٌ]}}", "group 'y': phrase 'عاجلٌ' is already in group 'x'"),
        ("groups: {x: {kind: block, arabic: [عاجل]}}", "is not a two-letter language code"),
        ("groups: {x: {kind: block}}", "no phrases"),
        ("groups: [1]", "expected a mapping"),
        ("groups: {x: {kind: block, ar: [عاجل]}}\nextra: 1", "unknown top-level key(s) extra"),
    ],
)
def test_a_bad_markers_file_names_file_and_group(doc: str, message: str) -> None:
    with pytest.raises(MarkerError) as err:
        parse_markers(doc, "my-markers.yaml")
    assert str(err.value).startswith("my-markers.yaml")
    assert message in str(err.value)


SOURCE = """sources:
  - name: tricky-outlet
    outlet: موقع صعب
    kind: feed
    start_urls: ["https://tricky.example/rss"]
    extract:
{extract}
"""


@pytest.mark.parametrize(
    ("extract", "message"),
    [
        ("      body_xpath: '//div[@id=\"body\"'", "field 'extract.body_xpath' is not a valid XPath"),
        ("      prune_xpaths: ['//aside', '//div[[']", "field 'extract.prune_xpaths[1]' is not a valid XPath"),
        ("      prune_xpaths: '//aside'", "must be a list of XPath strings"),
        ("      body_path: '//div'", "unknown field(s) extract.body_path"),
        ("      body_xpath: ''", "must be a non-empty XPath string"),
    ],
)
def test_an_invalid_override_names_file_source_and_field(extract: str, message: str) -> None:
    with pytest.raises(SourcesError) as err:
        parse_sources(SOURCE.format(extract=extract), "my-sources.yaml")
    assert str(err.value).startswith("my-sources.yaml: source 'tricky-outlet' (line 2): ")
    assert message in str(err.value)


STORY = (
    "أعلنت بلدية المدينة عن خطة لتجديد الحدائق العامة خلال العام المقبل، تشمل زراعة آلاف الأشجار وتركيب "
    "مقاعد جديدة وإنارة تعمل بالطاقة الشمسية في الأحياء الشعبية."
)
# A box no generic rule can recognise: no label, no links, prose-like sentences, a made-up class.
ODD_BOX = "تحقيق خاص: كيف تمول جماعات مسلحة عملياتها بالعملات المشفرة عبر منصات غير مرخصة في المنطقة."


def _override_page() -> str:
    return f"""<html><head><meta charset="utf-8"><title>تجديد الحدائق</title></head><body>
<div class="zq"><p>{ODD_BOX} {ODD_BOX}</p></div>
<div id="the-story"><h1>تجديد الحدائق</h1><p>{STORY}</p><p>{STORY.replace("العامة", "الكبرى")}</p>
<div class="promo-77"><p>{ODD_BOX}</p></div></div></body></html>"""


def test_extract_source_applies_the_overrides(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(_override_page(), encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        SOURCE.format(
            extract="      body_xpath: '//div[@id=\"the-story\"]'\n      prune_xpaths: ['//div[starts-with(@class, \"promo-\")]']"
        ),
        encoding="utf-8",
    )

    def run(*extra: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "extract", str(page), "--json", *extra],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    plain = run()
    assert ODD_BOX in plain["text"]  # the generic rules cannot know this box
    tuned = run("--source", "tricky-outlet", "--sources", str(sources))
    assert ODD_BOX not in tuned["text"] and STORY in tuned["text"]


def test_extract_with_an_unknown_source_is_a_one_line_error(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(_override_page(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cli", "extract", str(page), "--source", "nope"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=120,
    )
    assert done.returncode != 0
    assert "unknown source(s): nope" in done.stderr and len(done.stderr.strip().splitlines()) == 1
