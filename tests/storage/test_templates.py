"""Template blocks per host survive between crawls, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from storage.db import unit_of_work
from storage.models import utcnow
from storage.templates import BlockRecord, forget_stale, learned_blocks, load_template, save_template

HOST = "news.example"


def test_blocks_merge_their_story_keys_across_crawls_until_they_are_chrome(factory: sessionmaker[Session]) -> None:
    ticker = -(2**63) + 5  # the fingerprints are signed 64-bit: both ends must fit the column
    story = 2**63 - 7
    with unit_of_work(factory) as s:
        save_template(s, HOST, [BlockRecord(ticker, [1, 2], "عاجل خبر"), BlockRecord(story, [1], "فقرة")], 3)
    with unit_of_work(factory) as s:
        first = load_template(s, HOST, 3)
    assert first.known == {}
    assert sorted(first.candidates[ticker].story_keys) == [1, 2]

    # The next crawl sees the ticker on a third story and the old story again (its update): only the
    # ticker becomes chrome.
    with unit_of_work(factory) as s:
        save_template(s, HOST, [BlockRecord(ticker, [3]), BlockRecord(story, [1])], 3)
    with unit_of_work(factory) as s:
        second = load_template(s, HOST, 3)
        other_host = load_template(s, "other.example", 3)
        assert [b.fingerprint for b in learned_blocks(s, [HOST])] == [ticker]
    assert second.known == {ticker: "عاجل خبر"}
    assert story in second.candidates and ticker not in second.candidates
    assert other_host.known == {} and other_host.candidates == {}


def test_stale_candidates_are_forgotten_and_chrome_is_kept(factory: sessionmaker[Session]) -> None:
    long_ago = utcnow() - timedelta(days=90)
    with unit_of_work(factory) as s:
        save_template(s, HOST, [BlockRecord(11, [1, 2, 3], "تذييل"), BlockRecord(12, [1], "فقرة")], 3, now=long_ago)
    with unit_of_work(factory) as s:
        assert forget_stale(s, HOST, 3) == 1
    with unit_of_work(factory) as s:
        kept = load_template(s, HOST, 3)
    assert kept.known == {11: "تذييل"} and kept.candidates == {}
