"""Alembic: empty → head → base → head on both backends, and `alembic check` finds no drift."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage import db

TABLES = {"sources", "crawl_runs", "articles", "article_urls", "classifications"}


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_to_head_and_back(empty_url: str) -> None:
    assert db.current_revision(empty_url) is None
    db.upgrade(empty_url)
    assert db.current_revision(empty_url) == db.head_revision()
    assert TABLES | {"alembic_version"} <= _tables(empty_url)

    db.upgrade(empty_url)  # a second upgrade is a no-op
    assert db.current_revision(empty_url) == db.head_revision()
    db.downgrade(empty_url, "base")
    assert db.current_revision(empty_url) is None
    assert not (TABLES & _tables(empty_url))
    db.upgrade(empty_url)
    assert db.current_revision(empty_url) == db.head_revision()


def test_first_revision_is_0001_initial(empty_url: str) -> None:
    db.upgrade(empty_url, "0001_initial")
    assert db.current_revision(empty_url) == "0001_initial"
    assert TABLES <= _tables(empty_url)


def test_models_and_migrations_agree(db_url: str) -> None:
    db.check(db_url)  # raises SchemaDriftError naming every difference


def test_check_reports_drift(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_articles_content_hash"))
        with pytest.raises(db.SchemaDriftError) as caught:
            db.check(engine)
        assert str(caught.value).startswith(
            "models and migrations differ: add_index ix_articles_content_hash"
        )
        assert "\n" not in str(caught.value)
    finally:
        engine.dispose()


def test_concurrent_upgrades_take_turns(empty_url: str) -> None:
    """Two crawls started at once on a fresh database both migrate it, without failing."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            db.upgrade(empty_url)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert db.current_revision(empty_url) == db.head_revision()


def test_revision_writes_a_migration_for_the_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`raqib db revision` autogenerates from the models vs. a database at head. Written into a copy
    of the migrations so the package is left untouched."""
    copy = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(db, "MIGRATIONS_DIR", copy)
    url = f"sqlite:///{tmp_path / 'rev.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with engine.begin() as connection:  # the database lacks an index the models declare
            connection.execute(text("DROP INDEX ix_articles_content_hash"))
        path = db.revision(engine, "restore index", rev_id="9999_test")
    finally:
        engine.dispose()
    assert path.parent == copy / "versions" and path.name.startswith("9999_test")
    upgrade_body = path.read_text().split("def upgrade()")[1].split("def downgrade()")[0]
    assert "create_index" in upgrade_body and "ix_articles_content_hash" in upgrade_body


def test_the_daemons_job_table_is_not_schema_drift(tmp_path: Path) -> None:
    """APScheduler keeps its jobs in the Raqib database; `alembic check` must not call that drift."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    db.upgrade(url)
    conn = sqlite3.connect(tmp_path / "jobs.sqlite")
    conn.execute("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT, job_state BLOB)")
    conn.commit()
    conn.close()
    db.check(url)
