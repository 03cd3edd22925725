"""SQLAlchemy 2.0 typed models: the contract between the crawler, the classifier stage and the digests.

Schema changes go through Alembic (``storage/migrations``); never call ``create_all`` outside tests of
the migrations themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# A naming convention makes constraint names stable across SQLite and PostgreSQL, which Alembic's
# batch mode on SQLite needs to drop or alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns aware UTC values.

    SQLite has no time zone type and returns naive values; without this, comparisons between a stored
    value and ``utcnow()`` raise on SQLite but not on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Raqib stores aware UTC datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Source(Base):
    """A configured outlet feed/sitemap/listing; rows are upserted from sources.yaml at crawl start."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    outlet: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(8), default="")
    language: Mapped[str] = mapped_column(String(8), default="ar")
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CrawlRun(Base):
    """One crawl process: what it was asked to crawl, how it ended and what it counted."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Comma-separated source names: a run may cover one source or a group.
    sources: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # running | finished | failed | timeout | killed
    status: Mapped[str] = mapped_column(String(16), default="running")
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_stored: Mapped[int] = mapped_column(Integer, default=0)
    # Scrapy stats (raqib/* and downloader counters), JSON-safe.
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"url": ..., "source": ..., "reason": ..., "detail": ...}]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Article(Base):
    """One fetched page, stored whatever its language or extraction outcome.

    Pages that failed extraction permanently (empty, not HTML, 404) are kept with their status so
    the next crawl does not download them again; transient failures (5xx, timeouts) are not stored
    and only recorded in the crawl run.
    """

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    requested_url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), nullable=True, index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    http_status: Mapped[int] = mapped_column(Integer, default=200)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text, default="")
    sitename: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    published_at_raw: Mapped[str] = mapped_column(Text, default="")
    # Where the date came from and how sure we are: high (meta/JSON-LD/feed), medium (visible Arabic
    # date in the page), low (guessed, e.g. from the URL), none.
    date_confidence: Mapped[str] = mapped_column(String(16), default="none")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    encoding: Mapped[str] = mapped_column(String(32), default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    language_probability: Mapped[float] = mapped_column(Float, default=0.0)
    content_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    # ok | empty | not_html | unparseable | too_short | duplicate
    extraction_status: Mapped[str] = mapped_column(String(32), default="ok")
    extraction_error: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)

    source: Mapped[Source | None] = relationship()
    classification: Mapped[Classification | None] = relationship(back_populates="article", uselist=False)


class ArticleUrl(Base):
    """Every URL form that led to an article (requested, redirected, page canonical, AMP).

    The skip-already-stored middleware looks here, so a story reached again through another alias is
    not downloaded twice.
    """

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class Classification(Base):
    """The classifier's current decision for an article; replaced when the rules version changes."""

    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), unique=True)
    label: Mapped[str] = mapped_column(String(16), index=True)  # core | related | none
    score: Mapped[float] = mapped_column(Float, default=0.0)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    snippets: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str] = mapped_column(String(64), index=True)
    classified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    article: Mapped[Article] = relationship(back_populates="classification")


class TemplateBlock(Base):
    """A text block seen on an outlet's pages: chrome once it has appeared on ``stories`` ≥ threshold
    distinct stories of the host (crawler/chrome/templates.py). Kept between crawls so a ticker or a
    most-read box learned once is removed from every later page, and counted across crawls."""

    __tablename__ = "template_blocks"
    __table_args__ = (UniqueConstraint("host", "fingerprint", name="uq_template_blocks_host_fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    fingerprint: Mapped[int] = mapped_column(BigInteger)  # of the block's normalised words
    stories: Mapped[int] = mapped_column(Integer, default=1)  # distinct stories seen, up to the threshold
    story_keys: Mapped[list[int]] = mapped_column(JSON, default=list)
    sample: Mapped[str] = mapped_column(Text, default="")  # normalised text, for people and re-cleaning
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)



class PollValidator(Base):
    """The HTTP validators (``ETag``, ``Last-Modified``) of a feed, sitemap or listing page, kept so the
    next poll asks ``If-None-Match`` / ``If-Modified-Since`` and a 304 costs no download and no parse.

    Written only after a 200 that parsed cleanly (a broken feed is never remembered as fresh); a 304
    updates ``last_status`` and ``last_polled_at`` and keeps the validators. ``listed`` and
    ``newest_listed`` are what the page listed when it was last parsed: an unchanged page still lists
    them, so a 304 reports them again for source health."""

    __tablename__ = "poll_validators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the URL as requested
    url: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(100), index=True)  # the source that last polled it
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(64), nullable=True)  # as the server wrote it
    last_status: Mapped[int] = mapped_column(Integer, default=200)
    listed: Mapped[int] = mapped_column(Integer, default=0)
    newest_listed: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_polled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # last 200 parsed

class User(Base):
    """Someone who signs in to the workspace (``raqib users add``). ``role`` is viewer (reads),
    reviewer (reads and reviews) or admin (everything). Only an argon2 hash of the password is kept;
    ``failed_logins`` and ``locked_until`` carry the limit on failed logins."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Review(Base):
    """An analyst's verdict on an article: relevant, false_alarm (with a reason) or missed (with the
    label it deserved). Rows are only ever added: reclassification never touches them, and a newer
    review by the same reviewer supersedes the older one by time while the older stays as history.

    ``label`` is the label the verdict vouches for: for *relevant*, the article's label when it was
    reviewed (so a later reclassification does not change what the reviewer confirmed); for
    *missed*, the label the reviewer gave; empty for a false alarm."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))  # relevant | false_alarm | missed
    reason: Mapped[str] = mapped_column(String(32), default="")  # page_chrome | false_friend | off_topic | other
    label: Mapped[str] = mapped_column(String(16), default="")  # related | core | ""
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


Index("ix_articles_source_published", Article.source_id, Article.published_at)
# The order every page lists articles in (published, else fetched, newest first): lets a search for a
# common word read matches in that order and stop at the page (migration 0007_web_indexes).
Index("ix_articles_when", func.coalesce(Article.published_at, Article.fetched_at))
# An outlet's articles in that order: the inbox filtered by outlet walks them newest first and stops at
# the page, and counts a period as a range (migration 0009_inbox_indexes).
Index("ix_articles_source_when", Article.source_id, func.coalesce(Article.published_at, Article.fetched_at))


class ClusterJob(Base):
    """One "crawl these sources now" job of the cluster mode (``raqib worker`` on Celery/RabbitMQ).

    The row is the truth and the broker message only carries its id: the daemon writes the row
    (``pending``) before it publishes (``queued``), so a broker that is down loses nothing — the
    pending rows are published again. ``attempts`` counts deliveries that reached a worker; a job
    whose deliveries keep killing workers is ``parked`` after ``max_tries``. Final states: finished,
    failed, parked, dropped (its source vanished), skipped (its sources were being crawled)."""

    __tablename__ = "cluster_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_name: Mapped[str] = mapped_column(String(64))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_tries: Mapped[int] = mapped_column(Integer, default=3)
    timeout: Mapped[float] = mapped_column(Float)
    memory_mb: Mapped[float] = mapped_column(Float)
    rules_version: Mapped[str] = mapped_column(String(64), default="")
    worker: Mapped[str] = mapped_column(String(200), default="")
    crawl_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SourceLease(Base):
    """Who is crawling a source right now: one row per source, taken with an atomic upsert, renewed
    while the crawl runs, and taken over once ``expires_at`` has passed (its worker is gone)."""

    __tablename__ = "source_leases"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClusterMember(Base):
    """A worker or daemon of the cluster, with its last heartbeat and the rules version it judges with."""

    __tablename__ = "cluster_members"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # role:host:pid
    role: Mapped[str] = mapped_column(String(16))  # worker | daemon
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    concurrency: Mapped[int] = mapped_column(Integer, default=1)
    rules_version: Mapped[str] = mapped_column(String(64), default="")
    running: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
