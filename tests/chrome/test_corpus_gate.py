"""The chrome gate: the corpus's pages through extraction as a crawl runs them, outlet by outlet.

Each outlet's pages go through ``extract_article`` in publication order with the host's template
memory, as the crawl's extract stage does; bodies stored before a block was learned are re-cleaned
as the crawl does when it ends (``strip_lines``). Then, for every page: no chrome sentence in the
body, at least 95 % of the story's sentences kept, and the body judged as the story alone deserves.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pytest

from classifiers import load_classifier
from crawler.chrome import ChromeContext, TemplateMemory, story_key, strip_lines
from crawler.demo_site.chrome_corpus import corpus_entries
from crawler.extraction import extract_article

BASE = "http://127.0.0.1:8000"
RECALL_FLOOR = 0.95
_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass
class Stored:
    page: object
    text: str
    status: str
    units: frozenset[int]


def crawl_outlet(entries) -> list[Stored]:
    memory = TemplateMemory(host="corpus")
    stored: list[Stored] = []
    for entry in sorted(entries, key=lambda e: e.published):
        page = entry.page
        context = ChromeContext(known=frozenset(memory.known))
        result = extract_article(page.html.encode("utf-8"), page.url, "text/html; charset=utf-8", chrome=context)
        if result.status == "ok":
            memory.observe(story_key(result.title, page.url), result.template_units)
        stored.append(Stored(page, result.text, result.status, frozenset(fp for fp, _ in result.template_units)))
    for s in stored:  # the end of the crawl: blocks learned after a page was cleaned
        chrome = {fp: memory.learned_now[fp] for fp in s.units if fp in memory.learned_now}
        s.text, _ = strip_lines(s.text, chrome)
    return stored


@pytest.fixture(scope="module")
def corpus_results() -> dict[str, list[Stored]]:
    by_outlet = defaultdict(list)
    for entry in corpus_entries(BASE):
        by_outlet[entry.page.outlet].append(entry)
    return {outlet: crawl_outlet(entries) for outlet, entries in by_outlet.items()}


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


def _all(results: dict[str, list[Stored]]) -> list[Stored]:
    return [s for stored in results.values() for s in stored]


def test_no_chrome_sentence_is_kept_in_any_body(corpus_results) -> None:
    kept = [
        (s.page.url, c)
        for s in _all(corpus_results)
        for c in s.page.chrome
        if squash(c) in squash(s.text)
    ]
    assert kept == [], f"{len(kept)} chrome sentences kept, first: {kept[:5]}"


def test_story_recall_per_page(corpus_results) -> None:
    low = []
    for s in _all(corpus_results):
        if not s.page.story:
            continue
        body = squash(s.text)
        found = sum(squash(sentence) in body for sentence in s.page.story)
        recall = found / len(s.page.story)
        if recall < RECALL_FLOOR:
            missing = [x for x in s.page.story if squash(x) not in body]
            low.append((s.page.url, round(recall, 2), missing[:2]))
    assert low == [], low


def test_pages_without_a_story_store_no_body(corpus_results) -> None:
    for s in _all(corpus_results):
        if not s.page.story:
            assert s.status != "ok" or not s.text.strip(), (s.page.url, s.text[:200])


def test_no_page_is_flagged_because_of_its_chrome(corpus_results, classifier) -> None:
    wrong = []
    for s in _all(corpus_results):
        if not s.page.story:
            continue
        label = classifier.classify(s.text, title=s.page.title).label
        if label != s.page.label:
            wrong.append((s.page.url, s.page.label, label))
    assert wrong == [], wrong


def test_the_corpus_is_a_trap_without_chrome_removal(corpus_results) -> None:
    """The same pages without the rules: trafilatura alone keeps chrome (so the gate above means something)."""
    from trafilatura import extract

    leaked = 0
    for s in _all(corpus_results):
        text = extract(s.page.html, url=s.page.url, favor_precision=True, include_comments=False) or ""
        leaked += any(squash(c) in squash(text) for c in s.page.chrome)
    assert leaked >= 5
