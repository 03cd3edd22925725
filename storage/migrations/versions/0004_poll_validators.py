"""Poll validators: ETag / Last-Modified of feeds, sitemaps and listing pages, for conditional GET.

Revision ID: 0004_poll_validators
Revises: 0003_template_blocks
Create Date: 2026-12-08

Table of storage/models.py's PollValidator. Types are written out (a migration is a frozen picture of
the schema).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_poll_validators"
down_revision: str | None = "0003_template_blocks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "poll_validators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("newest_listed", sa.String(length=32), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_validators")),
        sa.UniqueConstraint("url_hash", name=op.f("uq_poll_validators_url_hash")),
    )
    op.create_index(op.f("ix_poll_validators_source"), "poll_validators", ["source"])


def downgrade() -> None:
    op.drop_index(op.f("ix_poll_validators_source"), table_name="poll_validators")
    op.drop_table("poll_validators")
