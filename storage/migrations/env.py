"""Alembic environment, generic over revisions: it compares against ``storage.models.Base.metadata``
(with every module in ``MODEL_MODULES`` imported so that their tables are in it).

``storage.db`` runs Alembic in code and hands over an open connection in
``config.attributes["connection"]``; the ``sqlalchemy.url`` option is the fallback for running the
``alembic`` tool by hand (``alembic -x`` is not needed).
"""

from __future__ import annotations

import importlib
import importlib.util

from alembic import context

from storage.models import Base

# Every module that declares tables on storage.models.Base. Autogenerate and `alembic check` compare
# the migrations with Base.metadata, so a module missing here would look like tables to drop.
MODEL_MODULES = ("storage.models", "digests.models")

for _name in MODEL_MODULES:
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name)

config = context.config
target_metadata = Base.metadata

# Tables that live in the Raqib database but belong to a library, not to these migrations: the
# daemon's APScheduler job store creates and manages its own table.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


# The search index (migration 0006, storage/search.py) is raw DDL, not a model: an FTS5 virtual
# table and its shadow tables on SQLite, a plain table with an expression index on PostgreSQL.
SEARCH_INDEX = "article_search"


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "table" and name and (name == SEARCH_INDEX or name.startswith(SEARCH_INDEX + "_")):
        return False
    return not (type_ == "table" and name in FOREIGN_TABLES)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        include_name=_include_name,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=str(url).startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection) -> None:  # type: ignore[no-untyped-def]
    is_sqlite = connection.dialect.name == "sqlite"
    _configure(
        connection=connection,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=is_sqlite,
        # storage.db makes SQLite DDL transactional (it issues BEGIN itself), so a failed migration
        # leaves the file as it was, as on PostgreSQL.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    from storage.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _run_with(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
