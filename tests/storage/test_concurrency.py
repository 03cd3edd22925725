"""Real concurrent writers: separate processes storing overlapping batches into one database
(the same SQLite file, or the same PostgreSQL schema) neither fail nor store anything twice."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.db import unit_of_work
from storage.models import Article, ArticleUrl, Classification, CrawlRun, Source

REPO = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("_writer.py")
WRITERS = 3
ARTICLES = 150  # as in _writer.py


def test_concurrent_writer_processes(db_url: str, factory: sessionmaker[Session]) -> None:
    start_at = time.time() + 1.5  # past every child's start-up, so that they write at the same time
    children = [
        subprocess.Popen(
            [sys.executable, str(WRITER), db_url, f"writer-{i}", str(start_at)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WRITERS)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (_out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-3000:]
    inserted = [int(out.strip()) for out, _ in outputs]
    assert sum(inserted) == ARTICLES  # every article stored by exactly one writer

    with unit_of_work(factory) as session:

        def count(model: type) -> int:
            return session.execute(select(func.count()).select_from(model)).scalar_one()

        assert count(Article) == ARTICLES
        assert count(ArticleUrl) == 2 * ARTICLES  # own URL + AMP alias, once each
        assert count(Classification) == ARTICLES
        assert count(Source) == 1
        runs = session.execute(select(CrawlRun)).scalars().all()
        assert len(runs) == WRITERS and {run.status for run in runs} == {"finished"}
        assert sorted(run.articles_stored for run in runs) == sorted(inserted)
        # no article lost its URL alias to another, and none was taken for a content duplicate
        assert (
            session.execute(select(func.count()).where(Article.extraction_status != "ok")).scalar_one() == 0
        )
