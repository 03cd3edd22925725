"""Arabic-aware search over every stored article, flagged or not, behind one interface.

Text is folded by the project's one normaliser (classifiers/normalize.py: alef/hamza forms, ta
marbuta, diacritics, tatweel…), cut into words, and each word is indexed with its *variants*: the word
itself and the word without each proclitic chain it may carry (و ف ب ل ك ال وال بال لل …, the Arabic
pack's ``morphology.proclitics``), as long as three letters remain and the word is not a protected
loanword («بيتكوين» is not ب + يتكوين). A query word is expanded the same way, and an article matches
when, for every query word, one of its variants is one of the article's. So «والإرهاب» finds «الارهاب»
and «إرهاب», «بيتكوين» finds «بالبيتكوين», «تمويلٌ» finds «تمويل».

Backends (created by migration 0006_search_index): on SQLite an FTS5 table ``article_search`` (rowid =
article id, one column ``terms``); on PostgreSQL a table ``article_search(article_id, terms)`` with a
stored ``vector`` = ``to_tsvector('simple', terms)`` and a GIN index on it (0007_web_indexes).
``terms`` is the article's distinct variants, space separated. :func:`index_articles` fills it
(store_articles calls it for every new article: one normalisation per article), :func:`reindex`
rebuilds it (``raqib db reindex``).

Functions take a Session and never commit (DESIGN convention 7).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, func, or_, select, text
from sqlalchemy.orm import Session

from storage.models import Article, Classification, Review, Source, utcnow
from storage.reviews import REVIEW_LABELS, VERDICTS
from storage.search_words import index_terms, marks, normalizer, pieces, snippet, variants, words

TABLE = "article_search"
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 8
# Above this many matches a page is found by walking the articles in date order (see search()).
MANY_MATCHES = 1_000
_CONCEPT = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
LABELS = ("core", "related", "none")
# Review states a search may ask for: the verdicts, and whether an article was reviewed at all.
STATES = ("awaiting", "reviewed", *VERDICTS)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def index_articles(session: Session, articles: Iterable[tuple[int, str, str]]) -> int:
    """(Re)index ``(article id, title, text)``; returns how many were written."""
    rows = [{"id": int(i), "terms": index_terms(title, body)} for i, title, body in articles]
    if not rows:
        return 0
    if _dialect(session) == "postgresql":
        session.execute(
            text(
                f"INSERT INTO {TABLE} (article_id, terms) VALUES (:id, :terms) "
                "ON CONFLICT (article_id) DO UPDATE SET terms = excluded.terms"
            ),
            rows,
        )
    else:
        session.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :id"), [{"id": r["id"]} for r in rows])
        session.execute(text(f"INSERT INTO {TABLE} (rowid, terms) VALUES (:id, :terms)"), rows)
    return len(rows)


def reindex(session: Session, *, chunk: int = 500) -> int:
    """Rebuild the whole index from the stored articles; returns the number indexed."""
    session.execute(text(f"DELETE FROM {TABLE}"))
    done, last = 0, 0
    while True:
        batch = session.execute(
            select(Article.id, Article.title, Article.text)
            .where(Article.id > last)
            .order_by(Article.id)
            .limit(chunk)
        ).all()
        if not batch:
            return done
        done += index_articles(session, [(r.id, r.title, r.text) for r in batch])
        last = batch[-1].id


# --- queries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A parsed query: for each word, its variants; ``note`` says what was cut or refused."""

    groups: tuple[tuple[str, ...], ...]
    note: str = ""  # "" | "empty" | "shortened"

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(v for g in self.groups for v in g)


def parse(query: str) -> Query:
    """Normalise and cut a query the way articles are indexed (bounded: long queries are shortened)."""
    raw = query or ""
    note = "shortened" if len(raw) > MAX_QUERY_CHARS else ""
    found = words(normalizer().text(raw[:MAX_QUERY_CHARS]))
    if len(found) > MAX_QUERY_WORDS:
        note = "shortened"
    groups = tuple(dict.fromkeys(tuple(variants(w)) for w in found[:MAX_QUERY_WORDS]))
    return Query(groups, note if groups else "empty")


def _fts_match(q: Query) -> str:
    return " AND ".join("(" + " OR ".join(f'"{v}"' for v in g) + ")" for g in q.groups)


def _ts_query(q: Query) -> str:
    return " & ".join("(" + " | ".join(f"'{v}'" for v in g) + ")" for g in q.groups)


def _matching_ids(session: Session, q: Query) -> Any:
    if _dialect(session) == "postgresql":
        return text(
            # ``vector`` is to_tsvector('simple', terms), stored (migration 0007_web_indexes).
            f"SELECT article_id FROM {TABLE} WHERE vector @@ to_tsquery('simple', :tsq)"
        ).bindparams(tsq=_ts_query(q))
    return text(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :fts").bindparams(fts=_fts_match(q))


@contextmanager
def _index_first(session: Session) -> Iterator[None]:
    """On PostgreSQL, counts go through the GIN index: the planner prices reading a row's stored
    tsvector (TOASTed, compressed) like an integer's, and scanned the table for a common word
    (2.4 s for 100,000 articles, against 0.3 s through the index)."""
    if _dialect(session) != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL enable_seqscan = off"))
    try:
        yield
    finally:
        session.execute(text("SET LOCAL enable_seqscan = on"))


def _count_matching(session: Session, q: Query) -> int:
    if _dialect(session) == "postgresql":
        sql = f"SELECT count(*) FROM {TABLE} WHERE vector @@ to_tsquery('simple', :tsq)"
        return int(session.execute(text(sql), {"tsq": _ts_query(q)}).scalar_one())
    sql = f"SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH :fts"
    return int(session.execute(text(sql), {"fts": _fts_match(q)}).scalar_one())


@dataclass(frozen=True)
class Filters:
    label: str = ""  # core | related | none | ""
    days: int | None = None
    outlet: str = ""  # source name
    concept: str = ""  # a rule name or a concept name
    country: str = ""  # the source's country code
    language: str = ""  # the article's detected language
    state: str = ""  # a review state (STATES) or ""


def latest_verdict() -> Any:
    """The article's latest verdict, correlated: one probe of the reviews' article index per row the
    other conditions leave (ranking every review in a subquery is ten times slower on a large archive)."""
    return (
        select(Review.verdict)
        .where(Review.article_id == Article.id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(1)
        .correlate(Article)
        .scalar_subquery()
    )


def in_review_state(state: str, label: Any) -> Any:
    """The condition for a review state as the inbox means it: *awaiting* is a flagged article nobody
    reviewed (storage.reviews.awaiting_review), *reviewed* one with any review, else the latest verdict."""
    reviewed = select(Review.id).where(Review.article_id == Article.id).exists()
    if state == "awaiting":
        return label.in_(REVIEW_LABELS) & ~reviewed
    if state == "reviewed":
        return reviewed
    if state in VERDICTS:
        return latest_verdict() == state
    raise ValueError(f"not a review state: {state!r} (one of {', '.join(STATES)})")


@dataclass
class Hit:
    id: int
    title: str
    outlet: str
    published: datetime | None
    label: str  # core | related | none ("none" also when not classified)
    title_pieces: list[dict[str, Any]]
    snippet: list[dict[str, Any]]


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    note: str = ""


def _when() -> Any:
    return func.coalesce(Article.published_at, Article.fetched_at)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    session: Session,
    query: str,
    filters: Filters | None = None,
    page: int = 1,
    *,
    page_size: int = 20,
    now: datetime | None = None,
) -> Results:
    """Articles matching every word of ``query`` (and/or ``filters.concept``), newest first, with
    their title and a snippet cut into plain and marked pieces (escaping is the caller's).

    Every filter is a condition of ``others`` below, which each path (the count, the few matches
    listed, the many walked in date order) starts from, so they all filter alike. A state outside
    STATES raises ValueError; the page checks it first."""
    filters = filters or Filters()
    q = parse(query)
    concept = filters.concept if _CONCEPT.match(filters.concept or "") else ""
    if filters.concept and not concept:
        return Results(note="bad_concept")
    if not q.groups and not concept:
        return Results(note="empty")
    label = func.coalesce(Classification.label, "none")
    stmt = (
        select(
            Article.id,
            Article.title,
            Article.text,
            Article.sitename,
            Article.published_at,
            Article.fetched_at,
            Source.outlet,
            label.label("label"),
        )
        .select_from(Article)
        .outerjoin(Classification, Classification.article_id == Article.id)
        .outerjoin(Source, Source.id == Article.source_id)
    )
    base = stmt
    if filters.label in LABELS:
        stmt = stmt.where(label == filters.label)
    if filters.days:
        stmt = stmt.where(_when() >= (now or utcnow()) - timedelta(days=filters.days))
    if filters.outlet:
        stmt = stmt.where(Source.name == filters.outlet)
    if filters.country:
        stmt = stmt.where(Source.country == filters.country)
    if filters.language:
        stmt = stmt.where(Article.language == filters.language)
    if filters.state:
        stmt = stmt.where(in_review_state(filters.state, label))
    if concept:
        name = _like_escape(concept)
        stmt = stmt.where(
            or_(
                cast(Classification.rules, Text).like(f'%"{name}"%', escape="\\"),
                cast(Classification.matches, Text).like(f'%"concept": "{name}"%', escape="\\"),
            )
        )
    others = stmt  # every condition but the words
    if q.groups:
        stmt = stmt.where(Article.id.in_(_matching_ids(session, q)))
    # Count and order the ids alone, then read the page's rows: sorting every match with its text
    # (SQLite's sorter carries all selected columns) made a common word take seconds on 100,000 articles.
    ids = stmt.with_only_columns(Article.id)
    with _index_first(session):
        matches = _count_matching(session, q) if q.groups else 0
        if q.groups and others is base:
            # Words alone: the index counts its matches (each is an article) without reading 70,000 rows.
            total = matches
        else:
            total = int(session.execute(select(func.count()).select_from(ids.subquery())).scalar_one())
    pages = max(1, -(-total // page_size))
    page = max(1, min(page, pages))
    ordered = ids
    if q.groups and matches <= MANY_MATCHES:
        # Few matches: start from their ids, listed. Else PostgreSQL, guessing a thousand matches for
        # any OR of variants, walked ix_articles_when probing each article (2.7 s for 39 matches).
        listed = list(session.scalars(_matching_ids(session, q)))
        ordered = others.with_only_columns(Article.id).where(Article.id.in_(listed))
    elif q.groups and _dialect(session) == "sqlite":
        # Many matches: walk ix_articles_when newest first and stop at the page. ``+ 0`` keeps SQLite
        # from starting at the id list, which reads and sorts every match (0.7 s for 70,000).
        ordered = others.with_only_columns(Article.id).where((Article.id + 0).in_(_matching_ids(session, q)))
    page_ids = list(
        session.scalars(
            ordered.order_by(_when().desc(), Article.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    found = {r.id: r for r in session.execute(stmt.where(Article.id.in_(page_ids)))} if page_ids else {}
    rows = [found[i] for i in page_ids if i in found]
    terms = q.terms
    hits = [
        Hit(
            id=r.id,
            title=r.title or "—",
            outlet=r.outlet or r.sitename or "",
            published=r.published_at or r.fetched_at,
            label=r.label,
            title_pieces=pieces(r.title or "—", 0, len(r.title or "—"), marks(r.title or "", terms)),
            snippet=snippet(r.text or "", terms),
        )
        for r in rows
    ]
    note = q.note if q.note != "empty" else ""
    return Results(hits, total, page, pages, note)
