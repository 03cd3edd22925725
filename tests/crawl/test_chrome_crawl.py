"""The chrome corpus crawled over real HTTP by `raqib crawl`: bodies are the stories alone, end to end.

Workers clean each page with the host's template as learned so far; blocks learned later in the crawl
are stripped from the bodies already stored when the spiders close. What is stored is what analysts get.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crawler.demo_site import DemoSite
from crawler.demo_site.chrome_corpus import corpus_entries
from crawler.template_learning import TemplateLearner
from storage.db import upgrade
from storage.models import Classification, CrawlRun, TemplateBlock

from .conftest import article_for

_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _stored(crawled: dict[str, Any], demo_site: DemoSite):
    # Stories as linked from the outlets' feeds and sitemaps (variants are stored as their original).
    pages = [e.page for e in corpus_entries(demo_site.base_url, demo_site.today) if e.page.story and e.role == "story"]
    with crawled["sessions"]() as session:
        for page in pages:
            article = article_for(session, page.url)
            assert article is not None, f"not stored: {page.url}"
            label = session.scalar(select(Classification.label).where(Classification.article_id == article.id))
            yield page, article.text, label


def test_stored_bodies_hold_no_chrome_and_keep_the_story(crawled: dict[str, Any], demo_site: DemoSite) -> None:
    kept, low, n = [], [], 0
    for page, text, _ in _stored(crawled, demo_site):
        n += 1
        body = squash(text)
        kept += [(page.url, c) for c in page.chrome if squash(c) in body]
        recall = sum(squash(s) in body for s in page.story) / len(page.story)
        if recall < 0.95:
            low.append((page.url, recall))
    assert n >= 30
    assert kept == [] and low == [], (kept[:5], low)


def test_no_stored_story_is_flagged_because_of_its_chrome(crawled: dict[str, Any], demo_site: DemoSite) -> None:
    wrong = [(p.url, p.label, label) for p, _, label in _stored(crawled, demo_site) if label != p.label]
    assert wrong == []


def test_the_crawl_counts_chrome_and_keeps_the_learned_template(crawled: dict[str, Any]) -> None:
    with crawled["sessions"]() as session:
        stats = session.get(CrawlRun, crawled["first"].summary["crawl_run_id"]).stats
        learned = session.scalars(select(TemplateBlock).where(TemplateBlock.stories >= 3)).all()
    assert stats.get("raqib/chrome/removed/link_line", 0) > 0
    assert any(k.startswith("raqib/chrome/removed/marker_") for k in stats)
    assert stats.get("raqib/chrome/template/new_blocks", 0) > 0
    assert learned and {b.host for b in learned} == {"127.0.0.1"}


def test_a_later_crawl_starts_from_the_stored_template(tmp_path: Path) -> None:
    """A new crawl of an outlet hands its workers the chrome learned by earlier crawls, from the first page."""
    db_url = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    upgrade(db_url)
    ticker = [(101, "عاجل تفكيك شبكة تمويل بالبيتكوين"), (102, "الاكثر قراءه محافظ داعش الرقميه")]

    async def first_crawl() -> None:
        learner = TemplateLearner(db_url)
        await learner.context_for("https://outlet.example/a", None)
        for i in range(3):
            story = [(1000 + i, f"فقره خاصه بالخبر رقم {i} وحده")]
            learner.observe(f"https://outlet.example/{i}", f"hash{i}", f"عنوان الخبر رقم {i}", ticker + story)
        await learner.finish()
        learner.close()

    async def next_crawl() -> frozenset[int]:
        learner = TemplateLearner(db_url)
        context = await learner.context_for("https://www.outlet.example/new-story", None)
        other = await learner.context_for("https://elsewhere.example/x", None)
        learner.close()
        assert other.known == frozenset()
        return context.known

    asyncio.run(first_crawl())
    assert asyncio.run(next_crawl()) == {101, 102}


def test_blocks_learned_late_are_stripped_from_every_stored_page_of_the_crawl(tmp_path: Path) -> None:
    """A block first seen on page 1 becomes chrome at page 3, another at page 5: both leave page 1,
    whose body was stored (and judged) before either was known."""
    from classifiers import load_classifier
    from crawler.chrome.textnorm import fingerprint, words
    from storage import repository as repo
    from storage.db import make_engine, session_factory, unit_of_work
    from storage.models import Article

    db_url = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    upgrade(db_url)
    sessions = session_factory(make_engine(db_url))
    promo = "ملف خاص كل أسبوع عن تمويل تنظيم داعش بالعملات المشفرة عبر محافظ البيتكوين"
    footer = "تابعوا تحقيقاتنا عن شبكات غسل الأموال بالعملات الرقمية كل يوم جمعة"
    blocks = {name: (fingerprint(words(t)), " ".join(words(t))) for name, t in (("promo", promo), ("footer", footer))}
    classifier = load_classifier()

    def body(i: int) -> str:
        return f"أعلنت البلدية رقم {i} عن افتتاح حديقة عامة جديدة في الحي الشمالي للمدينة.\n{promo}\n{footer}"

    with unit_of_work(sessions) as session:
        for i in range(1, 6):
            record = repo.ArticleRecord(
                canonical_url=f"https://outlet.example/{i}", title=f"حديقة جديدة رقم {i}", text=body(i), language="ar",
                classification=repo.ClassificationRecord.from_decision(classifier.classify(body(i), title="")),
            )
            repo.store_articles(session, [record])
    hashes = {i: repo.url_hash(f"https://outlet.example/{i}") for i in range(1, 6)}
    with unit_of_work(sessions) as session:
        assert session.scalar(select(Classification.label).join(Article).where(Article.url_hash == hashes[1])) != "none"

    async def crawl() -> None:
        learner = TemplateLearner(db_url)
        await learner.context_for("https://outlet.example/1", None)
        for i in range(1, 6):
            units = [(1000 + i, f"حديقه رقم {i}"), blocks["footer"]] + ([blocks["promo"]] if i in (1, 4, 5) else [])
            learner.observe(f"https://outlet.example/{i}", hashes[i], f"حديقة جديدة رقم {i}", units)
            if i == 3:  # a spider closes in the middle of the crawl: the footer is chrome by now
                await learner.finish()
        await learner.finish()
        learner.close()

    asyncio.run(crawl())
    with sessions() as session:
        first = session.scalar(select(Article).where(Article.url_hash == hashes[1]))
        label = session.scalar(select(Classification.label).where(Classification.article_id == first.id))
    assert promo not in first.text and footer not in first.text
    assert first.text.startswith("أعلنت البلدية رقم 1")
    assert label == "none"
