"""Poll validators: what a feed, sitemap or listing page said about itself when it was last parsed.

Plain records in and out; the crawl's side is crawler/store.py and the conditional-GET middleware.
Keyed by the sha256 of the URL exactly as requested (a feed's query string is part of its identity).

- A 200 that parsed cleanly stores the response's ``ETag`` / ``Last-Modified`` and what the page listed.
- A 200 that did not (a broken feed, a listing without links) forgets the validators: a broken page
  must never be answered "not modified" and skipped on the next poll.
- A 304 only notes the poll: the validators it confirmed are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.models import PollValidator, utcnow
from storage.repository import _insert, url_hash

CHUNK = 500


@dataclass(frozen=True)
class Validators:
    """What the next poll of a URL sends, and what the page listed when it last changed."""

    url: str
    etag: str | None
    last_modified: str | None
    listed: int = 0
    newest_listed: str | None = None

    @property
    def usable(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True)
class PollOutcome:
    """One poll's result: ``status`` 200 (``parsed`` says whether the page was usable) or 304."""

    url: str
    source: str
    status: int
    parsed: bool = False
    etag: str | None = None
    last_modified: str | None = None
    listed: int = 0
    newest_listed: str | None = None


def load_validators(session: Session, source: str, urls: Iterable[str] = ()) -> dict[str, Validators]:
    """The usable validators of a source's pages (and of ``urls``, whoever polled them last), by URL
    hash, in one query."""
    hashes = [url_hash(u) for u in urls]
    condition = PollValidator.source == source
    if hashes:
        condition = or_(condition, PollValidator.url_hash.in_(hashes))
    rows = session.execute(
        select(
            PollValidator.url_hash, PollValidator.url, PollValidator.etag, PollValidator.last_modified,
            PollValidator.listed, PollValidator.newest_listed,
        ).where(condition, or_(PollValidator.etag.is_not(None), PollValidator.last_modified.is_not(None)))
    )
    return {key: Validators(url, etag, modified, listed or 0, newest) for key, url, etag, modified, listed, newest in rows}


def record_polls(session: Session, outcomes: Sequence[PollOutcome], now: datetime | None = None) -> None:
    """Write a crawl's poll outcomes (the last outcome of a URL wins)."""
    now = now or utcnow()
    latest = {url_hash(o.url): o for o in outcomes}
    fetched = {key: o for key, o in latest.items() if o.status != 304}
    # Sorted so that concurrent writers take row locks in the same order (no deadlock on PostgreSQL).
    rows = [
        {
            "url_hash": key,
            "url": o.url,
            "source": o.source,
            "etag": o.etag if o.parsed else None,
            "last_modified": o.last_modified if o.parsed else None,
            "last_status": o.status,
            "listed": o.listed if o.parsed else 0,
            "newest_listed": o.newest_listed if o.parsed else None,
            "last_polled_at": now,
            "updated_at": now,
        }
        for key, o in sorted(fetched.items())
    ]
    table = PollValidator.__table__
    for start in range(0, len(rows), CHUNK):
        stmt = _insert(session, table).values(rows[start : start + CHUNK])
        stmt = stmt.on_conflict_do_update(
            index_elements=["url_hash"],
            set_={c: stmt.excluded[c] for c in ("url", "source", "etag", "last_modified", "last_status",
                                                "listed", "newest_listed", "last_polled_at", "updated_at")},
        )
        session.execute(stmt)
    unchanged = sorted(key for key, o in latest.items() if o.status == 304)
    for start in range(0, len(unchanged), CHUNK):
        session.execute(
            update(PollValidator)
            .where(PollValidator.url_hash.in_(unchanged[start : start + CHUNK]))
            .values(last_status=304, last_polled_at=now)
        )
    session.flush()


def poll_rows(session: Session, source: str | None = None) -> list[PollValidator]:
    """Every stored poll row (of one source), for people and tests."""
    query = select(PollValidator).order_by(PollValidator.url)
    if source is not None:
        query = query.where(PollValidator.source == source)
    return list(session.scalars(query))
