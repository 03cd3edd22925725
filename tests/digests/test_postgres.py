"""Concurrent digest runs on the real PostgreSQL server never claim the same article twice."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, make_url, text

from digests import select as sel
from digests.models import DigestRun
from storage import db
from tests.digests.conftest import NOW, OTHER, ArticleSpec, Store

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_factory(pg_url):
    """A fresh database of its own, so the test neither sees nor disturbs other tests' rows."""
    name = f"raqib_digest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        yield db.session_factory(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_concurrent_claims_are_disjoint(pg_factory):
    store = Store(pg_factory)
    specs = [
        ArticleSpec(
            f"https://one.example/{i}", f"خبر رقم {i} عن تمويل الإرهاب بالعملات المشفرة", f"{OTHER} {i}"
        )
        for i in range(60)
    ]
    ids = set(store.add(*specs).values())
    workers = 6
    barrier = threading.Barrier(workers)
    claims: list[tuple[int, ...]] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            with pg_factory() as session, session.begin():
                barrier.wait(10)
                got = sel.claim_new(
                    session, "email", since=None, until=NOW, now=NOW, owner=sel.owner_token(), limit=1000
                )
            claims.append(got.article_ids if got else ())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    claimed = [aid for got in claims for aid in got]
    assert len(claimed) == len(set(claimed)), "an article was claimed by two runs"
    assert set(claimed) == ids


def test_only_one_run_takes_over_an_abandoned_run(pg_factory):
    store = Store(pg_factory)
    store.add(ArticleSpec("https://one.example/a", "عملات مشفرة وتمويل الإرهاب", OTHER))
    with pg_factory() as session, session.begin():
        claim = sel.claim_new(
            session, "email", since=None, until=NOW, now=NOW, owner="elsewhere:1:x", limit=10
        )
        assert claim is not None
    later = NOW + timedelta(hours=1)
    winners: list[int] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        with pg_factory() as session, session.begin():
            (run,) = sel.resumable_runs(session, "email", now=later, claim_timeout=timedelta(minutes=15))
            barrier.wait(10)
            if sel.take_over(session, run, now=later, owner=sel.owner_token()) is not None:
                winners.append(run.id)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert winners == [claim.run_id]
    with pg_factory() as session:
        assert session.get(DigestRun, claim.run_id).attempt == 2
