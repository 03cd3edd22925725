"""The rolling Atom feed at OUT/feed.atom: every run's stories at one stable address."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from digests.feed import ATOM, merge_feed
from digests.run import run_digest
from tests.digests.conftest import NOW, OTHER, WIRE, ArticleSpec


def _entries(text: str) -> list[tuple[str, str]]:
    root = ET.fromstring(text)
    return [(e.findtext(f"{{{ATOM}}}id"), e.findtext(f"{{{ATOM}}}title")) for e in root.findall(f"{{{ATOM}}}entry")]


def test_the_rolling_feed_gathers_every_runs_stories(store, factory, settings):
    (first_id,) = store.add(ArticleSpec("https://one.example/a", "ضبط محافظ عملات مشفرة لخلية إرهابية", WIRE)).values()
    first = run_digest(factory, settings, formats=("atom",), now=NOW)
    (feed,) = first.feeds
    assert feed == settings.out_dir / "feed.atom"
    assert _entries(feed.read_text(encoding="utf-8")) == [(f"urn:raqib:article:{first_id}", "ضبط محافظ عملات مشفرة لخلية إرهابية")]

    later = NOW + timedelta(hours=2)
    (second_id,) = store.add(
        ArticleSpec("https://one.example/b", "مؤتمر عن تمويل الإرهاب بالأصول الافتراضية", OTHER, fetched_at=later)
    ).values()
    second = run_digest(factory, settings, formats=("atom",), now=later + timedelta(minutes=5))
    (run_file,) = second.paths
    assert [i for i, _ in _entries(run_file.read_text(encoding="utf-8"))] == [f"urn:raqib:article:{second_id}"]
    text = feed.read_text(encoding="utf-8")
    # Newest first, both runs, one feed with one id, and the reader is told what it holds.
    assert [i for i, _ in _entries(text)] == [f"urn:raqib:article:{second_id}", f"urn:raqib:article:{first_id}"]
    root = ET.fromstring(text)
    assert root.findtext(f"{{{ATOM}}}id") == settings.feed_id
    assert root.findtext(f"{{{ATOM}}}subtitle") == "آخر قصتين رصدها رقيب"

    # A run with nothing new leaves the feed as it was.
    third = run_digest(factory, settings, formats=("atom",), now=later + timedelta(hours=1))
    assert third.feeds == [] and feed.read_text(encoding="utf-8") == text


def test_an_unreadable_rolling_feed_starts_again_from_the_run(store, factory, settings):
    settings.out_dir.mkdir(parents=True)
    (settings.out_dir / "feed.atom").write_text("<feed><entry>cut off", encoding="utf-8")
    (article_id,) = store.add(ArticleSpec("https://one.example/a", "ضبط محافظ عملات مشفرة لخلية إرهابية", WIRE)).values()
    result = run_digest(factory, settings, formats=("atom",), now=NOW)
    assert result.ok, result.errors
    assert [i for i, _ in _entries(result.feeds[0].read_text(encoding="utf-8"))] == [f"urn:raqib:article:{article_id}"]


def _feed(*entries: tuple[str, str, str]) -> str:
    body = "".join(
        f"<entry><id>{i}</id><title>{t}</title><updated>{u}</updated></entry>" for i, t, u in entries
    )
    return f'<feed xmlns="{ATOM}" xml:lang="ar"><id>urn:x</id><subtitle>s</subtitle>{body}</feed>'


def test_merge_replaces_an_entry_by_its_id_and_keeps_the_newest():
    previous = _feed(("a", "قديم", "2026-03-01T00:00:00+00:00"), ("b", "ب", "2026-03-02T00:00:00+00:00"))
    current = _feed(("a", "محدث", "2026-03-05T00:00:00+00:00"), ("c", "ج", "2026-03-04T00:00:00+00:00"))
    merged = merge_feed(current, previous, keep=2)
    assert _entries(merged) == [("a", "محدث"), ("c", "ج")]
    assert 'xml:lang="ar"' in merged and merged.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert ET.fromstring(merged).findtext(f"{{{ATOM}}}subtitle") == "آخر قصتين رصدها رقيب"
