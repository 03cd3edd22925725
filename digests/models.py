"""Tables that make digest delivery exactly-once: one row per digest run, one per (article, channel).

They subclass ``storage.models.Base`` so they share its metadata and naming convention; the schema
comes from the Alembic revision ``0002_digests``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, utcnow


class DigestRun(Base):
    """One digest for one channel ("email" or "files").

    ``status``: ``claimed`` (items reserved, delivery in progress or its process died), ``failed``
    (delivery failed cleanly; the next run retries it), ``sent`` (confirmed). ``attempt`` is bumped
    by every take-over, so two runs racing for an abandoned run cannot both win (compare-and-swap).
    ``message_id`` is fixed when the run is created: a retried or taken-over e-mail carries the same
    Message-ID as the first attempt, so a receiving server or mail client that saw it can drop it.
    """

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="claimed", index=True)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    # host:pid:random of the process holding the run; lets a run on the same host see at once that
    # the holder is dead instead of waiting for the claim timeout.
    owner: Mapped[str] = mapped_column(String(200), default="")
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class Delivery(Base):
    """An article reserved for, then delivered by, one digest run of one channel.

    The unique (article_id, channel) pair is what makes a claim exclusive: two concurrent runs
    inserting the same pair cannot both commit.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("article_id", "channel", name="uq_deliveries_article_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    digest_run_id: Mapped[int] = mapped_column(ForeignKey("digest_runs.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="claimed")  # claimed | sent
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
