"""Subcommands this package adds to `raqib` (see cli.py): ``digest``.

Heavy imports (SQLAlchemy, Jinja2) happen inside the command function so building the parser stays
cheap.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime


def _iso(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date/time: {value!r} (e.g. 2024-05-01T06:00+03:00)"
        ) from None
    # A date without a zone means UTC; saying so in --help beats guessing the local zone.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this package's subcommands."""
    from storage.location import add_db_argument

    parser = subparsers.add_parser(
        "digest",
        help="write the digest of flagged stories not yet delivered (files, e-mail)",
        description=(
            "Deliver every core and related story not yet delivered, exactly once per channel (files, "
            "e-mail), grouped by story, with the health of every source. Prints the paths written."
        ),
    )
    add_db_argument(parser)
    parser.add_argument(
        "--config", metavar="FILE", help="TOML settings ([digest], [email]); default $RAQIB_CONFIG"
    )
    parser.add_argument(
        "--since", type=_iso, metavar="ISO", help="only articles fetched at or after (UTC if no zone)"
    )
    parser.add_argument(
        "--until", type=_iso, metavar="ISO", help="only articles fetched before (default: now)"
    )
    parser.add_argument(
        "--format", metavar="LIST", help="files to write: html,md,json,atom or none (default: config)"
    )
    parser.add_argument("--out", metavar="DIR", help="folder for the dated digest folders (default: config)")
    parser.add_argument("--email", action="store_true", help="also e-mail the digest to [email] recipients")
    parser.add_argument("--dry-run", action="store_true", help="claim and send nothing; write preview files")
    parser.add_argument(
        "--reclassify",
        action="store_true",
        help="first classify stored articles that are unclassified or judged by older rules (the daemon does)",
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.set_defaults(func=run_command)


def _reclassify_first(factory) -> None:  # type: ignore[no-untyped-def]
    """Bring every stored classification to the current rules, so that a story the rules now flag,
    or one whose classification failed during the crawl, reaches this digest."""
    from classifiers import load_classifier
    from storage.commands import reclassify

    report = reclassify(factory, load_classifier())
    for line in report.lines():
        print(f"raqib digest: {line}", file=sys.stderr)


def run_command(args: argparse.Namespace) -> int:
    from digests.config import load_settings, parse_formats
    from digests.run import run_digest
    from storage.db import open_database, session_factory

    settings = load_settings(args.config)
    formats = parse_formats(args.format) if args.format is not None else None
    engine = open_database(args.db)
    try:
        if args.reclassify and not args.dry_run:
            _reclassify_first(session_factory(engine))
        result = run_digest(
            session_factory(engine),
            settings,
            since=args.since,
            until=args.until,
            formats=formats,
            out_dir=args.out,
            email=args.email,
            dry_run=args.dry_run,
        )
    finally:
        engine.dispose()

    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        for path in result.paths:
            print(path)
        for path in result.feeds:
            print(f"{path} (rolling Atom feed: subscribe to this one)")
        for o in result.outcomes:
            if o.channel == "email" and o.status in {"sent", "preview"}:
                verb = "e-mailed" if o.status == "sent" else "would e-mail"
                print(f"{verb} {o.stories} stories ({o.articles} articles) to {', '.join(o.recipients)}")
            elif o.status == "skipped":
                print(f"{o.channel}: no new stories, nothing delivered (empty_day = skip)")
    if not result.ok:
        print(f"raqib: error: {result.errors[0]} (items stay pending for the next run)", file=sys.stderr)
        return 1
    return 0
