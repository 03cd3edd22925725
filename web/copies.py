"""Copies of a story in other outlets, as the digest sees them.

The digest groups copies with :func:`digests.group.group_stories` (word shingles of the normalised
text, Jaccard ≥ 0.5, or the same long headline); the workspace groups with the same function, so
both agree on what a copy is. Grouping costs a few milliseconds an article, so it runs only on the
articles shown and on their likely copies: the flagged articles dated within WINDOW of them whose
indexed words (the search index's, storage/search.py) overlap theirs enough to possibly be a copy.
A query for the candidates of each window (overlapping windows merged; the newest first, stopping
once MAX_CANDIDATES are found), then one for their words (two when the index lacks an article) and
one for the few to group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from digests.group import EXACT_BELOW, Story, group_stories
from digests.select import DueArticle
from storage.models import Article, Classification, Source
from storage.search import TABLE, index_terms

FLAGGED = ("core", "related")
WINDOW = timedelta(days=2)  # wire copy runs within a day or two of the first outlet
MAX_CANDIDATES = 500  # bounds a request's work when an archive is dense in flagged stories
# Share of the smaller word set two articles must have in common to be compared at all. A copy
# (4-word shingle Jaccard ≥ 0.5) shares far more; a teaser under the same headline shares its
# title's and lead's words, i.e. most of its own.
OVERLAP = 0.5
# At most this many articles are grouped for one request (the closest partners of each anchor
# first): it bounds a page's cost, and stays under digests.group.EXACT_BELOW, so every pair is
# compared exactly. Only a page whose stories have dozens of copies each can reach it.
MAX_GROUPED = min(40, EXACT_BELOW - 1)


WORDS: dict[str, dict[str, str]] = {
    "copies": {"ar": "نسخ في مصادر أخرى", "en": "Copies in other outlets"},
    "no_copies": {"ar": "لا نسخ في مصادر أخرى", "en": "No copies in other outlets"},
}


@dataclass(frozen=True)
class Anchor:
    """An article whose copies are wanted, with its date (published, else fetched)."""

    id: int
    when: datetime


@dataclass(frozen=True)
class CopyRow:
    """One copy as the pages list it."""

    id: int
    title: str
    outlet: str
    date: str
    label: str


def when() -> Any:
    """An article's date: published, else fetched (what the inbox sorts by)."""
    return func.coalesce(Article.published_at, Article.fetched_at)


def flagged(labels: Sequence[str] = FLAGGED, dialect: str = "sqlite") -> Any:
    """``label IN labels``. On SQLite written as ``coalesce(label, '') IN …`` so that it walks the
    articles' date index (ix_articles_when) and stops at the page, instead of reading every flagged
    article through the label index and sorting them all (70 ms against 4 ms on 100,000 articles).
    Plain on PostgreSQL, whose planner misjudges how many rows the expression keeps (417 for 10,000)
    and picks slow plans for deep pages; it walks the date index for a plain ``IN`` too."""
    if dialect == "postgresql":
        return Classification.label.in_(list(labels))
    return func.coalesce(Classification.label, "").in_(list(labels))


def _spans(anchors: Sequence[Anchor]) -> list[tuple[datetime, datetime]]:
    """The anchors' windows, overlapping ones merged (a filtered page's rows may be months apart)."""
    spans: list[tuple[datetime, datetime]] = []
    for moment in sorted(a.when for a in anchors):
        start, end = moment - WINDOW, moment + WINDOW
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _candidates(session: Session, anchors: Sequence[Anchor]) -> list[int]:
    """The newest MAX_CANDIDATES flagged articles in the anchors' windows, newest first. One query
    a window, newest window first, each walking the date index and stopping at MAX_CANDIDATES: an OR
    of the windows made SQLite read every article in them and sort them (31 against 15 ms for a
    filtered page on 100,000 articles). The windows are disjoint and each older than the one before,
    so once MAX_CANDIDATES are found the older windows cannot add any."""
    date = when()
    found: list[int] = []
    for start, end in reversed(_spans(anchors)):
        if len(found) >= MAX_CANDIDATES:
            break
        stmt = (
            select(Article.id)
            .join(Classification, Classification.article_id == Article.id)
            .where(flagged(dialect=session.get_bind().dialect.name), date.between(start, end))
            .order_by(date.desc(), Article.id.desc())
            .limit(MAX_CANDIDATES)
        )
        found.extend(session.scalars(stmt))
    return found[:MAX_CANDIDATES]


def _words(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each article's indexed words (a word may repeat); computed the index's way for an article
    the index lacks."""
    key = "article_id" if session.get_bind().dialect.name == "postgresql" else "rowid"
    stmt = text(f"SELECT {key}, terms FROM {TABLE} WHERE {key} IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    found = {int(i): terms.split() for i, terms in session.execute(stmt, {"ids": list(ids)})}
    missing = [i for i in ids if i not in found]
    if missing:
        rows = session.execute(select(Article.id, Article.title, Article.text).where(Article.id.in_(missing)))
        found.update({r.id: index_terms(r.title, r.text).split() for r in rows})
    return found


def _load(session: Session, ids: Sequence[int]) -> list[DueArticle]:
    """The articles to group, as digests.select.load_articles gives them but for the columns the
    grouping and the copy rows read: no ORM objects, and no decoding of the classifications' JSON
    (matches, snippets, rules), which the pages do not show for a copy."""
    stmt = (
        select(
            Article.id,
            Article.title,
            Article.text,
            Article.final_url,
            Article.canonical_url,
            Article.sitename,
            Article.published_at,
            Article.fetched_at,
            Article.language,
            Classification.label,
            Classification.score,
            Source.outlet,
            Source.name,
        )
        .join(Classification, Classification.article_id == Article.id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id.in_(list(ids)))
    )
    by_id = {
        r.id: DueArticle(
            article_id=r.id,
            title=r.title or "",
            text=r.text or "",
            url=r.final_url or r.canonical_url,
            outlet=r.outlet or r.sitename or "",
            source=r.name or "",
            published_at=r.published_at,
            fetched_at=r.fetched_at,
            label=r.label,
            score=float(r.score or 0.0),
            language=r.language or "",
        )
        for r in session.execute(stmt)
    }
    return [by_id[i] for i in ids if i in by_id]


def _as_bits(words: dict[int, list[str]]) -> dict[int, int]:
    """Each article's set of words as one integer, a bit per distinct word of the pool: the words
    two articles share are then counted by ``(a & b).bit_count()``, one C operation, instead of
    building an intersection set for each of a page's 25 × 500 pairs (three times faster)."""
    bit_of: dict[str, int] = {}
    out = {}
    for article_id, ws in words.items():
        bits = 0
        for w in ws:
            bit = bit_of.get(w)
            if bit is None:
                bit = bit_of[w] = 1 << len(bit_of)
            bits |= bit
        out[article_id] = bits
    return out


def _overlaps(
    anchor_ids: Sequence[int], pool: Sequence[int], words: dict[int, list[str]]
) -> list[tuple[float, int, int]]:
    """(overlap, anchor, partner) for each pair at or above OVERLAP; overlap is the share of the
    smaller set of words the two have in common."""
    bits = _as_bits(words)
    sizes = {article_id: b.bit_count() for article_id, b in bits.items()}
    pairs: list[tuple[float, int, int]] = []
    for anchor in anchor_ids:
        mine, mine_size = bits.get(anchor, 0), sizes.get(anchor, 0)
        for other in pool:
            smaller = min(mine_size, sizes.get(other, 0))
            if other != anchor and smaller:
                score = (mine & bits[other]).bit_count() / smaller
                if score >= OVERLAP:
                    pairs.append((score, anchor, other))
    return pairs


def stories_of(session: Session, anchors: Sequence[Anchor]) -> dict[int, Story]:
    """Each anchor's story (itself and its copies) when it has copies among the flagged articles;
    anchors without copies are left out."""
    if not anchors:
        return {}
    anchor_ids = [a.id for a in anchors]
    pool = list(dict.fromkeys([*anchor_ids, *_candidates(session, anchors)]))
    pairs = _overlaps(anchor_ids, pool, _words(session, pool))
    involved: set[int] = set()
    for _, anchor, other in sorted(pairs, reverse=True):
        if len(involved | {anchor, other}) <= MAX_GROUPED:
            involved.update((anchor, other))
    if not involved:
        return {}
    stories = group_stories(_load(session, sorted(involved)))
    by_member = {member: story for story in stories for member in story.article_ids}
    return {
        anchor: by_member[anchor]
        for anchor in anchor_ids
        if anchor in by_member and len(by_member[anchor].articles) > 1
    }


def copy_rows(story: Story, shown: int) -> list[CopyRow]:
    """The story's members other than ``shown``, in the story's order (best copy first)."""
    return [
        CopyRow(
            id=a.article_id,
            title=a.title or "—",
            outlet=a.outlet or a.source,
            date=(a.published_at or a.fetched_at).date().isoformat(),
            label=a.label,
        )
        for a in story.articles
        if a.article_id != shown
    ]
