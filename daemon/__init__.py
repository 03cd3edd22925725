"""The daemon's parts; ``scheduler.py`` (the entry point) assembles them in ``main()``.

Imports go one way, so that each part can be read, tested and replaced alone (a Celery runner,
``cluster.py``, would sit beside ``local.py``)::

    scheduler.py ──► config, lock, context, runs, schedule
    schedule ──► jobs ──► runs ──► local
                 jobs ──────────► local
    config, lock, context, local: no other daemon module (type hints aside, which point the same way)
    jobs.py (top level) ──► daemon.jobs, so that job stores written before this package still load

Importing any of them builds nothing and starts nothing; APScheduler, SQLAlchemy and psutil are
imported only when a daemon runs. ``tests/unit/test_daemon_layout.py`` checks both.
"""
