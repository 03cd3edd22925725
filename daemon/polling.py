"""Which of an adaptive group's sources are due: the database side of ``daemon.intervals``.

Reads what is already stored — each source's newest articles (publication time, else fetch time)
and the crawl runs that covered it — so that no table is needed for the schedule and any daemon (or
a restarted one) sees the same due times.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from daemon.intervals import RECENT_ITEMS, Due, schedule

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from daemon.config import CrawlGroup, DaemonConfig

log = logging.getLogger("raqib.daemon")


def group_sources(config: DaemonConfig, group: CrawlGroup) -> list[str] | None:
    """The names of the sources a crawl of ``group`` covers, or None when the sources file is unusable
    (the crawl then runs over the whole group, as without adaptive intervals, and reports the error)."""
    if group.sources:
        return list(group.sources)
    from crawler.sources import SourcesError, load_sources, select_sources

    try:
        chosen = select_sources(load_sources(config.sources_file or None), (), group.source_groups)
    except SourcesError as error:
        log.warning("crawl %s: cannot list its sources (%s); crawling the whole group", group.name, error)
        return None
    return [source.name for source in chosen]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def publication_times(session: Session, name: str, recent: int = RECENT_ITEMS) -> list[datetime]:
    """Publication times (fetch times when undated) of the newest ``recent`` stored articles of ``name``."""
    from sqlalchemy import func, select

    from storage.models import Article, Source

    when = func.coalesce(Article.published_at, Article.fetched_at)
    rows = session.execute(
        select(Article.published_at, Article.fetched_at)
        .join(Source, Source.id == Article.source_id)
        .where(Source.name == name, Article.extraction_status == "ok")
        .order_by(when.desc())
        .limit(recent)
    ).all()
    return [_aware(published or fetched) for published, fetched in rows]


def publication_times_of(
    session: Session, names: Sequence[str], recent: int = RECENT_ITEMS, chunk: int = 500
) -> dict[str, list[datetime]]:
    """:func:`publication_times` of many sources in one query per ``chunk`` of names (a window ranks
    each source's articles), so a tick over 10⁵ sources is not 10⁵ round trips."""
    from sqlalchemy import func, select

    from storage.models import Article, Source

    when = func.coalesce(Article.published_at, Article.fetched_at)
    found: dict[str, list[datetime]] = {name: [] for name in names}
    for start in range(0, len(names), chunk):
        part = list(names[start : start + chunk])
        rank = func.row_number().over(partition_by=Article.source_id, order_by=when.desc()).label("rank")
        ranked = (
            select(Source.name.label("name"), Article.published_at, Article.fetched_at, rank)
            .join(Source, Source.id == Article.source_id)
            .where(Source.name.in_(part), Article.extraction_status == "ok")
            .subquery()
        )
        rows = session.execute(
            select(ranked.c.name, ranked.c.published_at, ranked.c.fetched_at)
            .where(ranked.c.rank <= recent)
            .order_by(ranked.c.name, ranked.c.rank)
        )
        for name, published, fetched in rows:
            found[name].append(_aware(published or fetched))
    return found


def last_polls(session: Session, names: Sequence[str], since: datetime) -> dict[str, datetime]:
    """Start of the newest finished crawl run since ``since`` that covered each source."""
    from sqlalchemy import select

    from storage.models import CrawlRun

    wanted = set(names)
    found: dict[str, datetime] = {}
    runs = session.execute(
        select(CrawlRun.sources, CrawlRun.started_at)
        .where(CrawlRun.status == "finished", CrawlRun.started_at >= since)
        .order_by(CrawlRun.started_at.desc())
    )
    for sources, started in runs:
        covered = {n.strip() for n in (sources or "").split(",") if n.strip()} or wanted  # "" = all
        for name in covered & wanted:
            found.setdefault(name, _aware(started))
        if len(found) == len(wanted):
            break
    return found


def due_times(session: Session, group: CrawlGroup, names: Sequence[str], now: datetime) -> list[Due]:
    """Each source's interval and next due time at ``now`` (aware), in ``names`` order."""
    assert group.min_interval is not None and group.max_interval is not None
    # A run older than the longest interval cannot make a source not due.
    polls = last_polls(session, names, now - timedelta(seconds=group.max_interval))
    published = publication_times_of(session, names)
    return [
        schedule(
            name,
            published[name],
            polls.get(name),
            now,
            group.min_interval,
            group.max_interval,
        )
        for name in names
    ]


def slack(group: CrawlGroup) -> float:
    """A source due before the group's next run is closer to now than to then: poll it now."""
    return (group.every or group.min_interval or 0.0) / 2
