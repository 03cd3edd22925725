"""Poll validators (conditional GET) survive between crawls, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from storage.db import unit_of_work
from storage.models import utcnow
from storage.polls import PollOutcome, load_validators, poll_rows, record_polls

FEED = "https://news.example/rss.xml"
PAGE2 = "https://news.example/section/eco?page=2"
OTHER = "https://other.example/rss.xml"
LM = "Sun, 17 Mar 2024 23:00:00 GMT"


def test_a_parsed_200_is_remembered_and_a_304_keeps_it(factory: sessionmaker[Session]) -> None:
    first = utcnow() - timedelta(hours=1)
    with unit_of_work(factory) as s:
        record_polls(
            s,
            [
                PollOutcome(FEED, "feed-a", 200, parsed=True, etag='"v1"', last_modified=LM, listed=12,
                            newest_listed="2024-03-17T20:00:00+00:00"),
                PollOutcome(PAGE2, "feed-a", 200, parsed=True, last_modified=LM, listed=5),
                PollOutcome(OTHER, "feed-b", 200, parsed=True, etag='W/"o"'),
            ],
            now=first,
        )
    with unit_of_work(factory) as s:
        # The source's own rows and the URLs asked for, in one query; other sources' rows stay out.
        loaded = load_validators(s, "feed-a", [FEED])
        assert {v.url for v in loaded.values()} == {FEED, PAGE2}
        feed = next(v for v in loaded.values() if v.url == FEED)
        assert (feed.etag, feed.last_modified, feed.listed, feed.newest_listed) == ('"v1"', LM, 12, "2024-03-17T20:00:00+00:00")
        assert {v.url for v in load_validators(s, "feed-c", [OTHER]).values()} == {OTHER}

    with unit_of_work(factory) as s:
        record_polls(s, [PollOutcome(FEED, "feed-a", 304)])
    with unit_of_work(factory) as s:
        [row] = [r for r in poll_rows(s, "feed-a") if r.url == FEED]
        assert (row.etag, row.last_modified, row.last_status, row.listed) == ('"v1"', LM, 304, 12)
        assert row.last_polled_at > row.updated_at == first


def test_a_broken_page_forgets_its_validators(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        record_polls(s, [PollOutcome(FEED, "feed-a", 200, parsed=True, etag='"v1"', last_modified=LM, listed=3)])
    with unit_of_work(factory) as s:
        # The feed changed and broke: the new ETag must not be kept, and the old one is forgotten.
        record_polls(s, [PollOutcome(FEED, "feed-a", 200, parsed=False, etag='"v2"', last_modified=LM)])
    with unit_of_work(factory) as s:
        assert load_validators(s, "feed-a", [FEED]) == {}
        [row] = poll_rows(s)
        assert row.etag is None and row.last_modified is None and row.listed == 0 and row.last_status == 200


def test_a_304_for_a_page_never_stored_writes_nothing_and_the_last_outcome_wins(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        record_polls(
            s,
            [
                PollOutcome(OTHER, "feed-b", 304),
                PollOutcome(FEED, "feed-a", 200, parsed=True, etag='"v1"'),
                PollOutcome(FEED, "feed-a", 200, parsed=True, etag='"v2"'),
            ],
        )
    with unit_of_work(factory) as s:
        assert [(r.url, r.etag) for r in poll_rows(s)] == [(FEED, '"v2"')]
