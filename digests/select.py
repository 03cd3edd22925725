"""What is due for a digest channel, claimed exactly once.

Protocol (one channel — "email" or "files" — at a time; channels are independent):

1. **Claim** (one transaction): insert a ``digest_runs`` row, then one ``deliveries`` row per due
   article with ``INSERT … ON CONFLICT DO NOTHING``. The unique (article_id, channel) index makes the
   claim exclusive: of two concurrent runs (two processes, PostgreSQL or SQLite) only one inserts a
   given pair, the other skips it. Commit.
2. **Deliver** outside any transaction (write files / send the e-mail).
3. **Confirm** (one transaction) right after the delivery succeeded: deliveries and run → ``sent``.
   A delivery that fails is recorded as ``failed``; its items stay claimed by that run.
4. **Resume**: every run first takes over the runs of its channel that are ``failed``, or ``claimed``
   by a process that is dead (same host, pid gone) or silent past the claim timeout. Take-over is a
   compare-and-swap on ``attempt``, so two runs cannot both resume the same one. The resumed run keeps
   its items, period and Message-ID.

Why resume instead of releasing items into a fresh run: the only window left for a double delivery
is between the SMTP server accepting the message (250 after DATA) and the confirm transaction
committing — a SIGKILL, power loss or lost database connection in those few milliseconds, or a
connection that drops after the server queued the message but before its 250 reached us. The run
that resumes then sends the *same* items under the *same* Message-ID, which receiving servers and
mail clients that de-duplicate by Message-ID drop. For the files channel the window closes
completely: a resumed run rewrites the same paths (atomic rename), so a reader sees one digest.
Nothing is ever lost: an item leaves the pending state only by a confirmed delivery.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digests.models import Delivery, DigestRun
from storage.models import Article, Classification, CrawlRun, Source

log = logging.getLogger(__name__)

CHANNELS = ("email", "files")
FLAGGED = ("core", "related")


@dataclass(frozen=True)
class Claim:
    """A digest run this process holds, with the articles it must deliver."""

    run_id: int
    channel: str
    attempt: int
    owner: str
    message_id: str
    created_at: datetime
    period_start: datetime | None
    period_end: datetime
    article_ids: tuple[int, ...]
    resumed: bool = False


@dataclass(frozen=True)
class DueArticle:
    """One flagged article as the digest shows it (values copied out of the session)."""

    article_id: int
    title: str
    text: str
    url: str
    outlet: str
    source: str
    published_at: datetime | None
    fetched_at: datetime
    label: str
    score: float
    matches: list[dict[str, Any]] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # the fired rules' names, for the explanation
    language: str = ""  # the article's language: which rule pack's thresholds explain its score


def owner_token() -> str:
    """Identifies this process (and this run_digest call) as the holder of a run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _holder_is_dead(owner: str) -> bool:
    """True only when we can prove it: same host and the pid is gone (or a zombie)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # our own process is alive by definition; leave it to the timeout
    import psutil  # imported here: only needed on this path

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


SETTLE_HOURS = 6


def _due_filter(channel: str, since: datetime | None, until: datetime) -> list[Any]:
    delivered = exists().where(and_(Delivery.article_id == Article.id, Delivery.channel == channel))
    conditions = [
        Classification.label.in_(FLAGGED),
        Article.duplicate_of_id.is_(None),
        Article.extraction_status == "ok",
        Article.fetched_at < until,
        ~delivered,
    ]
    if since is not None:
        conditions.append(Article.fetched_at >= since)
    # A crawl still running may yet re-judge what it stored (bodies cleaned again once the outlet's
    # template is learned, crawler/template_learning.py): its articles wait for the next digest. A run
    # "running" for longer than SETTLE_HOURS died without saying so and holds nothing back.
    settling = exists().where(
        and_(
            CrawlRun.id == Article.crawl_run_id,
            CrawlRun.status == "running",
            CrawlRun.started_at > until - timedelta(hours=SETTLE_HOURS),
        )
    )
    conditions.append(~settling)
    return conditions


def due_article_ids(
    session: Session, channel: str, *, since: datetime | None, until: datetime, limit: int
) -> list[int]:
    """Flagged articles never claimed on ``channel``: core first, then by score (read only)."""
    core_first = case((Classification.label == "core", 0), else_=1)
    query = (
        select(Article.id)
        .join(Classification, Classification.article_id == Article.id)
        .where(*_due_filter(channel, since, until))
        .order_by(core_first, Classification.score.desc(), Article.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _insert_ignoring_conflicts(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert delivery rows, skipping pairs another run holds; returns the article ids we got."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect in {"postgresql", "sqlite"}:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        stmt = (
            dialect_insert(Delivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["article_id", "channel"])
            .returning(Delivery.article_id)
        )
        return list(session.scalars(stmt))
    got = []
    for row in rows:  # portable fallback: one savepoint per row
        try:
            with session.begin_nested():
                session.execute(insert(Delivery).values(row))
            got.append(row["article_id"])
        except IntegrityError:
            continue
    return got


def claim_new(
    session: Session,
    channel: str,
    *,
    since: datetime | None,
    until: datetime,
    now: datetime,
    owner: str,
    limit: int,
    mail_domain: str = "raqib.invalid",
    period_start: datetime | None = None,
    keep_empty: bool = False,
) -> Claim | None:
    """Reserve up to ``limit`` due articles in a new run. Call inside one transaction and commit.

    ``since``/``until`` bound the articles (by fetch time; ``since=None``: every undelivered one);
    ``period_start`` is the period the digest reports on (health), ``since`` when not given.
    Returns None (and leaves no run behind) when nothing is due, unless ``keep_empty``.
    """
    # The run row is written first so the transaction takes the write lock before it reads: on
    # SQLite a read-then-write transaction could fail to upgrade when another writer got in between.
    run = DigestRun(
        channel=channel,
        status="claimed",
        period_start=period_start or since,
        period_end=until,
        owner=owner,
        created_at=now,
        heartbeat_at=now,
        attempt=1,
    )
    session.add(run)
    session.flush()
    run.message_id = f"<raqib.{channel}.{run.id}.{uuid.uuid4().hex[:16]}@{mail_domain}>"
    ids = due_article_ids(session, channel, since=since, until=until, limit=limit)
    rows = [
        {
            "article_id": aid,
            "channel": channel,
            "digest_run_id": run.id,
            "status": "claimed",
            "claimed_at": now,
        }
        for aid in ids
    ]
    got = _insert_ignoring_conflicts(session, rows)
    if not got and not keep_empty:
        session.delete(run)
        session.flush()
        return None
    order = {aid: i for i, aid in enumerate(ids)}
    return Claim(
        run_id=run.id,
        channel=channel,
        attempt=1,
        owner=owner,
        message_id=run.message_id,
        created_at=now,
        period_start=run.period_start,
        period_end=until,
        article_ids=tuple(sorted(got, key=order.__getitem__)),
    )


def resumable_runs(
    session: Session, channel: str, *, now: datetime, claim_timeout: timedelta
) -> list[DigestRun]:
    """Runs of ``channel`` whose items nobody is delivering: failed, or held by a dead/silent process."""
    runs = session.scalars(
        select(DigestRun)
        .where(DigestRun.channel == channel, DigestRun.status.in_(("claimed", "failed")))
        .order_by(DigestRun.id)
    ).all()
    out = []
    for run in runs:
        if run.status == "failed" or run.heartbeat_at < now - claim_timeout or _holder_is_dead(run.owner):
            out.append(run)
    return out


def take_over(session: Session, run: DigestRun, *, now: datetime, owner: str) -> Claim | None:
    """Compare-and-swap ``run`` to this owner; None when another process won the race."""
    result = session.execute(
        update(DigestRun)
        .where(
            DigestRun.id == run.id,
            DigestRun.attempt == run.attempt,
            DigestRun.status.in_(("claimed", "failed")),
        )
        .values(attempt=run.attempt + 1, owner=owner, heartbeat_at=now, status="claimed")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    ids = session.scalars(
        select(Delivery.article_id)
        .where(Delivery.digest_run_id == run.id, Delivery.status == "claimed")
        .order_by(Delivery.id)
    ).all()
    log.info(
        "digest: resuming %s run %d (attempt %d, %d articles)", run.channel, run.id, run.attempt + 1, len(ids)
    )
    return Claim(
        run_id=run.id,
        channel=run.channel,
        attempt=run.attempt + 1,
        owner=owner,
        message_id=run.message_id,
        created_at=run.created_at,
        period_start=run.period_start,
        period_end=run.period_end,
        article_ids=tuple(ids),
        resumed=True,
    )


def confirm(session: Session, claim: Claim, *, now: datetime, detail: str = "") -> None:
    """Mark the run and its deliveries sent. Call right after the delivery succeeded, and commit."""
    session.execute(
        update(Delivery)
        .where(Delivery.digest_run_id == claim.run_id, Delivery.status == "claimed")
        .values(status="sent", sent_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(DigestRun)
        .where(DigestRun.id == claim.run_id)
        .values(status="sent", sent_at=now, detail=detail[:2000])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        log.warning("digest: run %d vanished before it was confirmed", claim.run_id)


def mark_failed(session: Session, claim: Claim, reason: str) -> None:
    """Record a failed delivery; the items stay with the run, which the next run resumes."""
    session.execute(
        update(DigestRun)
        .where(DigestRun.id == claim.run_id, DigestRun.attempt == claim.attempt)
        .values(status="failed", detail=reason[:2000])
        .execution_options(synchronize_session=False)
    )


def last_sent_at(session: Session, channel: str) -> datetime | None:
    """End of the period of the newest confirmed run of ``channel`` (the next health window starts there)."""
    return session.scalar(
        select(DigestRun.period_end)
        .where(DigestRun.channel == channel, DigestRun.status == "sent")
        .order_by(DigestRun.id.desc())
        .limit(1)
    )


def load_articles(session: Session, article_ids: list[int] | tuple[int, ...]) -> list[DueArticle]:
    """The digest's view of the given articles, in the given order."""
    if not article_ids:
        return []
    rows = session.execute(
        select(Article, Classification, Source)
        .join(Classification, Classification.article_id == Article.id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id.in_(list(article_ids)))
    ).all()
    by_id = {}
    for article, classification, source in rows:
        by_id[article.id] = DueArticle(
            article_id=article.id,
            title=article.title or "",
            text=article.text or "",
            url=article.final_url or article.canonical_url,
            outlet=(source.outlet if source else "") or article.sitename or "",
            source=source.name if source else "",
            published_at=article.published_at,
            fetched_at=article.fetched_at,
            label=classification.label,
            score=float(classification.score or 0.0),
            matches=list(classification.matches or []),
            snippets=list(classification.snippets or []),
            rules=[str(rule) for rule in classification.rules or []],
            language=article.language or "",
        )
    return [by_id[aid] for aid in article_ids if aid in by_id]
