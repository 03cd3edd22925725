"""Indexes the workspace's pages need on a large archive (found by benchmarks/web.py): the order
articles are listed in, and PostgreSQL's search index keeping each article's tsvector.

Revision ID: 0007_web_indexes
Revises: 0008_cluster
Create Date: 2026-12-06

0006_search_index indexed the expression ``to_tsvector('simple', terms)``. The planner prices that
function like an addition, so for a query word it judged common enough, or any OR of variants (every
word with a clitic has some), it chose a sequential scan that computed the tsvector of every row:
0.2 ms a row, 0.6 s for 3,000 articles, seconds for 100,000. A stored generated column ``vector``
holds the tsvector once per row (kept by PostgreSQL on every insert and update of ``terms``), and the
GIN index is on that column; storage/search.py queries ``vector``. SQLite's FTS5 table is unchanged.

``ix_articles_when`` indexes ``coalesce(published_at, fetched_at)``, the order of every list: a search
for a word in most articles reads the matches in that order and stops at the page, instead of reading
and sorting every match (0.7 s for 70,000 matches on SQLite).

The number is 0007 because it was reserved for this work while 0008_cluster landed first; it comes
after 0008_cluster in the chain.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_web_indexes"
down_revision: str | None = "0008_cluster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_articles_when", "articles", [sa.text("coalesce(published_at, fetched_at)")])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE article_search ADD COLUMN vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED"
    )
    op.execute("CREATE INDEX ix_article_search_vector ON article_search USING gin (vector)")
    op.execute("DROP INDEX IF EXISTS ix_article_search_terms")


def downgrade() -> None:
    op.drop_index("ix_articles_when", table_name="articles")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_article_search_terms ON article_search USING gin (to_tsvector('simple', terms))"
    )
    op.execute("DROP INDEX IF EXISTS ix_article_search_vector")
    op.execute("ALTER TABLE article_search DROP COLUMN vector")
