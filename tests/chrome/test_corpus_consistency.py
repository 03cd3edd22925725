"""The chrome corpus is consistent: what each page says is story and chrome is really on the page, the story
alone deserves its label, the chrome is a real trap (its headlines flag on their own), and no text of it was
copied from real articles."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from crawler.demo_site.chrome_corpus import STYLES, CorpusPage, corpus_pages, visible_text

BASE = "http://127.0.0.1:8765"
TODAY = date(2026, 12, 5)
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def pages() -> list[CorpusPage]:
    return corpus_pages(BASE, TODAY)


@pytest.fixture(scope="module")
def classifier():
    from classifiers import load_classifier

    return load_classifier()


def stories(pages: list[CorpusPage]) -> dict[str, CorpusPage]:
    """One page per story (the first met), chrome-only and link-only pages left out."""
    out: dict[str, CorpusPage] = {}
    for p in pages:
        if p.story:
            out.setdefault(p.story_key, p)
    return out


def test_six_styles_and_several_pages_per_outlet(pages: list[CorpusPage]) -> None:
    assert {p.style for p in pages} >= set(STYLES)
    per_outlet = Counter(p.outlet for p in pages)
    assert len(per_outlet) >= 6 and all(n >= 5 for n in per_outlet.values()), per_outlet
    per_outlet_stories = Counter(p.outlet for p in stories(pages).values())
    assert all(n >= 5 for n in per_outlet_stories.values()), per_outlet_stories
    labels = Counter(p.label for p in stories(pages).values())
    assert labels["none"] >= 25 and labels["core"] >= 3 and labels["related"] >= 3, labels
    assert len({p.url for p in pages}) == len(pages)
    for p in pages:
        assert p.url == BASE + p.path and p.path.startswith(f"/corpus/{p.outlet}/")
        assert p.label in {"core", "related", "none"} and p.note


def test_story_and_chrome_texts_are_on_the_page_and_apart(pages: list[CorpusPage]) -> None:
    for p in pages:
        text = visible_text(p.html)
        for sentence in p.story:
            assert sentence in text, (p.path, sentence)
        for chrome in p.chrome:
            assert chrome in text, (p.path, chrome)
            assert chrome not in p.story and chrome != p.title, (p.path, chrome)
        if p.title:
            assert p.title in text
        assert re.search(r'property="article:published_time" content="\d{4}-\d\d-\d\dT', p.html), p.path
        assert f'<link rel="canonical" href="{BASE}/corpus/' in p.html


def test_story_alone_classifies_to_its_label(pages: list[CorpusPage], classifier) -> None:
    for key, p in stories(pages).items():
        # The longest version (an updated story carries its added paragraphs) is the one judged.
        longest = max((q for q in pages if q.story_key == key), key=lambda q: len(q.story))
        decision = classifier.classify(" ".join(longest.story), title=longest.title)
        assert decision.label == p.label, (key, p.label, decision.label)


def test_chrome_is_a_real_trap(pages: list[CorpusPage], classifier) -> None:
    flagging_by_outlet: dict[str, set[str]] = defaultdict(set)
    for p in pages:
        for chrome in p.chrome:
            if len(chrome) > 25 and chrome not in flagging_by_outlet[p.outlet]:
                if classifier.classify(chrome).label != "none":
                    flagging_by_outlet[p.outlet].add(chrome)
    for outlet in {p.outlet for p in pages}:
        assert len(flagging_by_outlet[outlet]) >= 5, (outlet, flagging_by_outlet[outlet])
    # and on almost every page of a "none" story, the chrome alone would flag the page
    none_pages = [p for p in pages if p.label == "none" and p.story]
    flagged = [p for p in none_pages if classifier.classify(" ".join(p.chrome)).label != "none"]
    assert len(flagged) >= 0.9 * len(none_pages)


def test_bad_inputs_are_there(pages: list[CorpusPage]) -> None:
    no_story = [p for p in pages if not p.story]
    assert len(no_story) >= 2 and all(p.label == "none" for p in no_story)
    assert any(p.title == "" for p in no_story), "a chrome-only page"
    assert any(p.title for p in no_story), "a page whose body is one link line"
    sentences = [s for p in pages for s in p.story]
    assert any("تقرأوا أيضاً" in s for s in sentences) and any(
        s.startswith("للمزيد من التفاصيل") for s in sentences
    )
    by_key: dict[str, list[CorpusPage]] = defaultdict(list)
    for p in pages:
        by_key[p.story_key].append(p)
    variants = [ps for ps in by_key.values() if len({p.story for p in ps}) == 1 and len(ps) >= 3]
    assert variants, "one story served at several URLs"
    assert any("?utm_source=" in p.url for ps in variants for p in ps)
    assert any(p.url.endswith("?amp=1") for ps in variants for p in ps) and any(
        "/print/" in p.url for ps in variants for p in ps
    )
    updated = [
        ps for ps in by_key.values() if len({p.story for p in ps}) == 3 and len({p.title for p in ps}) == 1
    ]
    assert updated, "one story updated twice in a day"
    [handmade_bare] = [p for p in pages if p.outlet == "handmade" and "آراء القراء" not in p.html]
    assert 'class="q7"><div>' in handmade_bare.html
    datelined = [p for p in stories(pages).values() if p.outlet == "maghreb"]
    assert len(datelined) >= 5 and all(p.story[0].startswith('الرباط – "مرصد الأطلس":') for p in datelined)


def test_chrome_rotates_from_page_to_page(pages: list[CorpusPage]) -> None:
    for outlet in {p.outlet for p in pages}:
        main_style = Counter(p.style for p in pages if p.outlet == outlet).most_common(1)[0][0]
        mine = [p for p in pages if p.outlet == outlet and p.style == main_style]
        sets = [set(p.chrome) for p in mine]
        common = set.intersection(*sets)
        assert len(common) >= 5, outlet  # boxes, labels and footer repeat…
        assert len({frozenset(s) for s in sets}) >= len(mine) - 1, outlet  # …but not identically


def test_dates_follow_today(pages: list[CorpusPage]) -> None:
    later = corpus_pages(BASE, date(2027, 3, 1))
    assert [p.story for p in later] == [p.story for p in pages]
    assert all("2027-0" in p.html for p in later)


def test_texts_are_not_copied_from_real_articles(pages: list[CorpusPage]) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not found")
    real: list[str] = []
    dev = SHARED_DATA / "classification" / "dev.jsonl"
    if dev.exists():
        real += [
            json.loads(line)["text"] for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    real += [p.read_text(encoding="utf-8") for p in sorted((SHARED_DATA / "seeds").glob("*.txt"))]
    if not real:
        pytest.skip("no real articles to compare against")
    data = (resources.files("crawler.demo_site") / "data" / "chrome_corpus.yaml").read_text(encoding="utf-8")
    ours = [re.sub(r"\s+", " ", t) for p in pages for t in (p.title, *p.story, *p.chrome)] + [data]
    windows = {t[i : i + 40] for t in ours for i in range(max(0, len(t) - 39))}
    for text in real:
        text = re.sub(r"\s+", " ", text)
        for i in range(max(0, len(text) - 39)):
            assert text[i : i + 40] not in windows, text[i : i + 40]
