"""Where the daemon's job functions used to live; kept so that job stores written then still load.

Databases scheduled by a daemon before ``daemon/`` existed hold APScheduler jobs pickled with the
references ``jobs:crawl_job`` and ``jobs:digest_job``. APScheduler drops a stored job whose function
it cannot import (with its next run time, so a missed digest would not run), so these names must
resolve. The daemon's first start rewrites every stored job with ``daemon.jobs:…``; nothing else
imports this module. The jobs themselves are in ``daemon/jobs.py``.
"""

from daemon.jobs import crawl_job, digest_job

__all__ = ["crawl_job", "digest_job"]
