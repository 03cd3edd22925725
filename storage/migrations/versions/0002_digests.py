"""Digest runs and deliveries: what each digest channel delivered, exactly once.

Revision ID: 0002_digests
Revises: 0001_initial
Create Date: 2026-01-02

Tables of digests/models.py. Types are written out (a migration is a frozen picture of the schema).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_digests"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("period_start", _utc(), nullable=True),
        sa.Column("period_end", _utc(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("heartbeat_at", _utc(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_runs")),
    )
    op.create_index(op.f("ix_digest_runs_channel"), "digest_runs", ["channel"])
    op.create_index(op.f("ix_digest_runs_status"), "digest_runs", ["status"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("digest_run_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", _utc(), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_deliveries_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["digest_run_id"],
            ["digest_runs.id"],
            name=op.f("fk_deliveries_digest_run_id_digest_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("article_id", "channel", name="uq_deliveries_article_channel"),
    )
    op.create_index(op.f("ix_deliveries_digest_run_id"), "deliveries", ["digest_run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deliveries_digest_run_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_digest_runs_status"), table_name="digest_runs")
    op.drop_index(op.f("ix_digest_runs_channel"), table_name="digest_runs")
    op.drop_table("digest_runs")
