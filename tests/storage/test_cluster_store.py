"""The cluster bookkeeping on the real PostgreSQL: attempts and parking, leases under contention."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from storage import cluster as store
from storage.db import make_engine, session_factory, unit_of_work, upgrade
from storage.models import ClusterJob, SourceLease, utcnow


@pytest.fixture
def sessions(pg_schema_url: str) -> Iterator[Any]:
    engine = make_engine(pg_schema_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def _job(sessions: Any, sources: tuple[str, ...] = ("a",), max_tries: int = 2) -> int:
    with unit_of_work(sessions) as session:
        (job_id,) = store.add_jobs(
            session, [store.NewJob("g", sources, timeout=60, memory_mb=500, max_tries=max_tries, rules_version="v1")]
        )
    return job_id


def _attempt(sessions: Any, job_id: int, worker: str, redelivered: bool = False) -> store.Attempt:
    with unit_of_work(sessions) as session:
        return store.begin_attempt(session, job_id, worker, redelivered=redelivered, stale_after=30)


def test_a_job_is_parked_after_max_tries_deliveries(sessions: Any) -> None:
    job_id = _job(sessions, max_tries=2)
    first = _attempt(sessions, job_id, "w1")
    second = _attempt(sessions, job_id, "w2", redelivered=True)  # w1 died: the broker redelivers
    third = _attempt(sessions, job_id, "w3", redelivered=True)
    assert (first.run, first.attempt) == (True, 1)
    assert (second.run, second.attempt) == (True, 2)
    assert (third.run, third.state) == (False, "parked")
    assert "parked after 2 deliveries" in third.reason and "w2" in third.reason
    with sessions() as session:
        assert store.parked_sources(session, utcnow() - timedelta(hours=1)) == {"a": f"job #{job_id}: {third.reason}"}
    # A delivery of a job already final is not run again.
    assert _attempt(sessions, job_id, "w4", redelivered=True).state == "parked"


def test_a_duplicate_message_of_a_job_running_on_a_live_worker_is_dropped(sessions: Any) -> None:
    job_id = _job(sessions)
    with unit_of_work(sessions) as session:
        store.heartbeat(
            session, name="w1", role="worker", host="h", pid=1, concurrency=1, rules_version="v1", running=1
        )
    assert _attempt(sessions, job_id, "w1").run
    duplicate = _attempt(sessions, job_id, "w2", redelivered=False)
    assert (duplicate.run, duplicate.state) == (False, "duplicate")
    # A redelivery (the broker saw w1's connection die) takes over even though w1's heartbeat is fresh.
    takeover = _attempt(sessions, job_id, "w2", redelivered=True)
    assert takeover.run and takeover.attempt == 2


def test_shutdown_hands_the_job_back_without_counting_a_try(sessions: Any) -> None:
    job_id = _job(sessions)
    _attempt(sessions, job_id, "w1")
    with unit_of_work(sessions) as session:
        store.give_back(session, job_id, "shutting down")
    with sessions() as session:
        job = session.get(ClusterJob, job_id)
        assert (job.state, job.attempts) == ("queued", 0)


def test_only_one_of_many_concurrent_jobs_gets_a_source_lease(sessions: Any) -> None:
    job_ids = [_job(sessions, ("shared", f"own{i}")) for i in range(8)]
    results: dict[int, tuple[list[str], dict[str, str]]] = {}
    barrier = threading.Barrier(len(job_ids))

    def take(job_id: int) -> None:
        barrier.wait()
        with unit_of_work(sessions) as session:
            results[job_id] = store.acquire_leases(session, ["shared", f"own{job_ids.index(job_id)}"], job_id, f"w{job_id}", 60)

    threads = [threading.Thread(target=take, args=(job_id,)) for job_id in job_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [job_id for job_id, (taken, _busy) in results.items() if "shared" in taken]
    assert len(winners) == 1
    for job_id, (taken, busy) in results.items():
        assert f"own{job_ids.index(job_id)}" in taken  # its own source is free
        if job_id != winners[0]:
            assert busy == {"shared": f"job #{winners[0]} on w{winners[0]}"}


def test_an_expired_lease_is_taken_over_and_a_live_one_renewed(sessions: Any) -> None:
    first, second = _job(sessions, ("s",)), _job(sessions, ("s",))
    with unit_of_work(sessions) as session:
        assert store.acquire_leases(session, ["s"], first, "w1", 60)[0] == ["s"]
        assert store.acquire_leases(session, ["s"], second, "w2", 60)[0] == []
        # The same job delivered again (its worker died) takes its own lease back at once.
        assert store.acquire_leases(session, ["s"], first, "w3", 60)[0] == ["s"]
        assert store.renew_leases(session, first, 60) == 1
        session.execute(update(SourceLease).values(expires_at=utcnow() - timedelta(seconds=1)))
    with unit_of_work(sessions) as session:
        assert store.acquire_leases(session, ["s"], second, "w2", 60)[0] == ["s"]
        store.release_leases(session, second)
    with sessions() as session:
        assert session.get(SourceLease, "s") is None


def test_open_jobs_block_their_sources_until_they_end(sessions: Any) -> None:
    job_id = _job(sessions, ("x", "y"))
    with sessions() as session:
        assert store.sources_with_open_jobs(session, timedelta(hours=1)) == {"x", "y"}
        assert store.pending_ids(session) == [job_id]
    with unit_of_work(sessions) as session:
        store.mark_sent(session, [job_id])
        store.finish(session, job_id, "finished")
    with sessions() as session:
        assert store.sources_with_open_jobs(session, timedelta(hours=1)) == set()
        assert store.pending_ids(session) == []
