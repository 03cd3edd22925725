"""`python -m benchmarks [crawl|classifier|web|cluster] [options]`: run one benchmark, or crawl,
classifier and web with defaults. The cluster benchmark is run only by name: it needs RabbitMQ and
PostgreSQL and takes tens of minutes. Run with the others, the web benchmark uses a 20,000-article
archive (generating and loading 100,000 into both databases takes several minutes); `python -m
benchmarks web` alone defaults to 100,000."""

from __future__ import annotations

import sys

ALL_WEB_ARGS = ["--articles", "20000"]


def main() -> int:
    args = sys.argv[1:]
    if args and args[0] == "cluster":
        from benchmarks import cluster

        return cluster.main(args[1:])
    which = args.pop(0) if args and args[0] in ("crawl", "classifier", "web") else None
    status = 0
    if which in (None, "classifier"):
        from benchmarks import classifier

        status |= classifier.main(args if which else [])
    if which in (None, "crawl"):
        from benchmarks import crawl

        status |= crawl.main(args if which else [])
    if which in (None, "web"):
        from benchmarks import web

        status |= web.main(args if which else ALL_WEB_ARGS)
    return status


if __name__ == "__main__":
    sys.exit(main())
