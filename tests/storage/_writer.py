"""A separate writer process for test_concurrency: stores overlapping batches into one database.

Run as ``python _writer.py URL NAME START_AT``; it waits until the wall-clock ``START_AT`` so that
the writers really overlap, then stores articles 0..N-1 in batches (one unit of work per batch), in
an order of its own.
"""

from __future__ import annotations

import random
import sys
import time

from storage import repository as repo
from storage.db import make_engine, session_factory, unit_of_work

ARTICLES = 150
BATCH = 10


def main(url: str, name: str, start_at: float) -> None:
    engine = make_engine(url)
    factory = session_factory(engine)
    numbers = list(range(ARTICLES))
    random.Random(name).shuffle(numbers)
    time.sleep(max(0.0, start_at - time.time()))
    inserted = 0
    with unit_of_work(factory) as session:
        repo.upsert_sources(session, [repo.SourceRecord("shared", "Shared Outlet", "EG", "ar", "feed")])
        run_id = repo.start_crawl_run(session, ["shared"])
    for start in range(0, ARTICLES, BATCH):
        records = [
            repo.ArticleRecord(
                canonical_url=f"https://shared.example/news/{n}",
                source_name="shared",
                title=f"news {n}",
                text=f"text of story {n}",
                content_hash=f"{n:064x}",
                language="ar",
                aliases=[f"https://shared.example/amp/news/{n}"],
                classification=repo.ClassificationRecord("none", 0.0, rules_version="v1"),
            )
            for n in numbers[start : start + BATCH]
        ]
        with unit_of_work(factory) as session:
            inserted += repo.store_articles(session, records, run_id).inserted
            repo.record_crawl_errors(
                session, run_id, [{"url": f"https://shared.example/{name}", "reason": "x"}]
            )
    with unit_of_work(factory) as session:
        repo.finish_crawl_run(session, run_id, status="finished", articles_stored=inserted)
    engine.dispose()
    print(inserted)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
