"""The search index: every article's normalised, clitic-stripped words (storage/search.py).

Revision ID: 0006_search_index
Revises: 0005_reviews_users
Create Date: 2026-12-11

SQLite: an FTS5 virtual table ``article_search(terms)`` whose rowid is the article's id. PostgreSQL:
a table ``article_search(article_id, terms)`` with a GIN index on ``to_tsvector('simple', terms)``.
Neither is a model: storage/migrations/env.py leaves ``article_search*`` out of ``alembic check``.
The upgrade fills the index from the stored articles with storage.search.index_terms, the same
function the crawl uses (so a later change to it needs ``raqib db reindex``, not a migration).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_search_index"
down_revision: str | None = "0005_reviews_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 500


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE article_search ("
            " article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,"
            " terms TEXT NOT NULL)"
        )
        op.execute(
            "CREATE INDEX ix_article_search_terms ON article_search USING gin (to_tsvector('simple', terms))"
        )
        insert = sa.text("INSERT INTO article_search (article_id, terms) VALUES (:id, :terms)")
    else:
        op.execute("CREATE VIRTUAL TABLE article_search USING fts5(terms, tokenize = 'unicode61')")
        insert = sa.text("INSERT INTO article_search (rowid, terms) VALUES (:id, :terms)")

    from storage.search import index_terms

    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, title, text FROM articles WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": CHUNK},
        ).all()
        if not rows:
            break
        bind.execute(insert, [{"id": r.id, "terms": index_terms(r.title, r.text)} for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_article_search_terms")
    op.execute("DROP TABLE IF EXISTS article_search")
