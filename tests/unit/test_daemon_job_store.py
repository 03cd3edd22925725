"""A database scheduled before daemon/ existed keeps its schedule: APScheduler pickled those jobs with
the references ``jobs:crawl_job`` / ``jobs:digest_job``. They must load (APScheduler drops a job it cannot
import, next run time and all), keep their next run time (a missed digest runs once), and come out
rewritten to ``daemon.jobs:…``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import create_engine


def test_jobs_stored_under_the_old_references_are_carried_over(tmp_path) -> None:
    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from daemon.config import config_from_mapping
    from daemon.context import JobContext
    from daemon.jobs import DIGEST_JOB_ID, job_specs
    from daemon.schedule import JOBS_TABLE, build_scheduler, reconcile_jobs

    url = f"sqlite:///{tmp_path / 'raqib.sqlite'}"
    config = config_from_mapping({"daemon": {"timezone": "Asia/Riyadh"}})
    digest = next(spec for spec in job_specs(config) if spec.id == DIGEST_JOB_ID)
    # Missed an hour ago: well within the digest's default grace of 12 h.
    missed = (datetime.now(config.tz) - timedelta(hours=1)).replace(microsecond=0)
    engine = create_engine(url)
    try:
        # Written straight into the store as the old daemon left it: a started-then-stopped scheduler
        # would process the due job on its way out (APScheduler 3 does, after shutdown) and move it on.
        never_started = BackgroundScheduler(timezone=config.tz)
        store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
        store.start(never_started, "default")
        store.add_job(
            Job(
                never_started,
                id=digest.id,
                func="jobs:digest_job",
                trigger=digest.trigger,
                executor="default",
                args=list(digest.args),
                kwargs={},
                name=digest.fingerprint,
                misfire_grace_time=int(digest.misfire_grace),
                coalesce=True,
                max_instances=1,
                next_run_time=missed,
            )
        )
        assert store.lookup_job(digest.id).func_ref == "jobs:digest_job"

        scheduler = build_scheduler(config, engine, JobContext(url, config, sessions=None))
        scheduler.start(paused=True)
        try:
            reconcile_jobs(scheduler, config)
            job = scheduler.get_job(DIGEST_JOB_ID)
            assert job is not None, "the stored digest job was dropped"
            assert job.func_ref == "daemon.jobs:digest_job"
            assert job.next_run_time == missed
        finally:
            scheduler.shutdown(wait=True)
    finally:
        engine.dispose()
