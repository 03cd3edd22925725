"""`python -m benchmarks [crawl|classifier|cluster] [options]`: run one benchmark, or crawl and
classifier with defaults. The cluster benchmark is run only by name: it needs RabbitMQ and PostgreSQL
and takes tens of minutes."""

from __future__ import annotations

import sys


def main() -> int:
    args = sys.argv[1:]
    if args and args[0] == "cluster":
        from benchmarks import cluster

        return cluster.main(args[1:])
    which = args.pop(0) if args and args[0] in ("crawl", "classifier") else None
    status = 0
    if which in (None, "classifier"):
        from benchmarks import classifier

        status |= classifier.main(args if which else [])
    if which in (None, "crawl"):
        from benchmarks import crawl

        status |= crawl.main(args if which else [])
    return status


if __name__ == "__main__":
    sys.exit(main())
