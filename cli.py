"""The ``raqib`` console entry point.

Each package contributes its subcommands through a ``register(subparsers)`` function in its
``commands`` module, so this file only assembles them and turns failures into one-line errors.
A command that spans packages lives beside this file (``demo_command``: a crawl, then a digest).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# Order is the order `raqib --help` lists the command groups in.
COMMAND_MODULES = (
    "demo_command",  # demo: crawls, then writes a digest, so in no one package
    "crawler.commands",  # crawl, extract, sources
    "classifiers.commands",  # classify, eval
    "storage.commands",  # db, reclassify
    "storage.whatif_commands",  # rules whatif
    "digests.commands",  # digest
    "web.commands",  # users, reviews, web
    "scheduler",  # daemon
    "daemon.commands",  # worker, cluster status
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raqib",
        description=(
            "Raqib watches Arabic news for stories about cryptocurrencies and virtual assets used to "
            "finance terrorism, and about the fight against it."
        ),
        epilog="Run `raqib COMMAND --help` for a command's options. Exit status is 0 on success.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("raqib: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI's job is to turn any failure into one line
        if args.debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"raqib: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
