"""The inbox filtered by outlet over a large archive (found by benchmarks/web.py): the outlet's
articles in the order the inbox lists them.

Revision ID: 0009_inbox_indexes
Revises: 0007_web_indexes
Create Date: 2026-12-07

``ix_articles_source_when`` indexes ``(source_id, coalesce(published_at, fetched_at))``. An inbox
filtered by outlet read every article of the outlet through ``ix_articles_source_id`` and sorted them
to find the page, and its counts read them all again; with this index the page walks the outlet's
articles newest first and stops, and a period filter becomes a range of the index (51 → 5 ms for each
of the two queries on 100,000 articles, SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_inbox_indexes"
down_revision: str | None = "0007_web_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_articles_source_when", "articles", ["source_id", sa.text("coalesce(published_at, fetched_at)")]
    )


def downgrade() -> None:
    op.drop_index("ix_articles_source_when", table_name="articles")
