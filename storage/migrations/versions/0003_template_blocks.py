"""Template blocks: text blocks that recur on an outlet's pages, learned as chrome.

Revision ID: 0003_template_blocks
Revises: 0002_digests
Create Date: 2026-12-06

Table of storage/models.py's TemplateBlock. Types are written out (a migration is a frozen picture of
the schema).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_template_blocks"
down_revision: str | None = "0002_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "template_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.Column("story_keys", sa.JSON(), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_blocks")),
        sa.UniqueConstraint("host", "fingerprint", name="uq_template_blocks_host_fingerprint"),
    )
    op.create_index(op.f("ix_template_blocks_host"), "template_blocks", ["host"])


def downgrade() -> None:
    op.drop_index(op.f("ix_template_blocks_host"), table_name="template_blocks")
    op.drop_table("template_blocks")
