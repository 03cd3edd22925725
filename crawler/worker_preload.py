"""Imported once by the forkserver that forks a crawl's workers: it warms up, then every worker forks
from it warm.

Workers used to be spawned, and each imported trafilatura and langdetect's profiles and compiled the rules, about
1.3 s of CPU apiece before their first page. The forkserver does that once, in parallel with the
crawl process's own start, and a worker is a fork of it: ready at once, its memory shared.
"""

from __future__ import annotations

from crawler.worker_process import warm_up

try:
    warm_up(None)
except Exception:  # noqa: BLE001, S110 - a broken rule pack must fail in a worker, where the crawl reports it
    # An exception here would kill the forkserver and with it every worker; each worker warms up
    # again for its own rules folder anyway (crawler.workers.start_workers).
    pass
