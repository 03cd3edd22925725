"""Subcommands this package adds to `raqib` (see cli.py): ``db upgrade|current|check`` and ``reclassify``.

The heavy imports (SQLAlchemy engines, Alembic, the classifier) happen inside the command functions,
so building the CLI parser stays cheap.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from storage.location import add_db_argument

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

# Articles in these languages are classified when the classifier does not say which it supports.
DEFAULT_LANGUAGES = ("ar", "en", "fr")
UNCLASSIFIED = "unclassified"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this package's subcommands."""
    db = subparsers.add_parser(
        "db",
        help="create or upgrade the database schema, show its revision, check it against the models",
        description="Manage the database schema (Alembic migrations shipped with Raqib).",
    )
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    upgrade = db_commands.add_parser("upgrade", help="bring the database to the current schema (creates it)")
    add_db_argument(upgrade)
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(func=cmd_db_upgrade)

    current = db_commands.add_parser("current", help="print the database's schema revision")
    add_db_argument(current)
    current.set_defaults(func=cmd_db_current)

    check = db_commands.add_parser(
        "check", help="fail when the models and the migrations differ (alembic check)"
    )
    add_db_argument(check)
    check.set_defaults(func=cmd_db_check)

    revision = db_commands.add_parser(
        "revision",
        help="write a new migration from the models' changes (for developers; review the file)",
    )
    add_db_argument(revision)
    revision.add_argument("-m", "--message", required=True, help="what the migration changes")
    revision.add_argument("--rev-id", default=None, help="revision id, e.g. 0003_something")
    revision.set_defaults(func=cmd_db_revision)

    reindex = db_commands.add_parser(
        "reindex", help="rebuild the search index from the stored articles (storage/search.py)"
    )
    add_db_argument(reindex)
    reindex.set_defaults(func=cmd_db_reindex)

    reclassify_parser = subparsers.add_parser(
        "reclassify",
        help="re-run the classifier on stored articles classified by other rules",
        description=(
            "Classify stored articles that were never classified or were classified by another rules "
            "version; commits every batch, so an interrupted run resumes where it stopped."
        ),
    )
    add_db_argument(reclassify_parser)
    reclassify_parser.add_argument(
        "--dry-run", action="store_true", help="report which labels would change; write nothing"
    )
    reclassify_parser.add_argument(
        "--batch", type=_positive_int, default=500, metavar="N", help="articles per batch (default: 500)"
    )
    reclassify_parser.set_defaults(func=cmd_reclassify)


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


# ---------------------------------------------------------------------------------------------------
# db


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage import db

    engine = db.connect_checked(db.resolve_database_url(args.db))
    try:
        before = db.current_revision(engine)
        db.upgrade(engine, args.revision)
        after = db.current_revision(engine)
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        print(f"{where}: already at revision {after}")
    else:
        print(f"{where}: upgraded from {before or 'an empty database'} to {after}")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from storage import db

    engine = db.connect_checked(db.resolve_database_url(args.db))
    try:
        current = db.current_revision(engine)
    finally:
        engine.dispose()
    head = db.head_revision()
    state = "head" if current == head else f"behind head {head}: run `raqib db upgrade`"
    print(f"{current or 'none (empty database)'} ({state})")
    return 0


def cmd_db_check(args: argparse.Namespace) -> int:
    from storage import db

    engine = db.connect_checked(db.resolve_database_url(args.db))
    try:
        db.require_current(engine)
        db.check(engine)  # SchemaDriftError names the differences in one line
    finally:
        engine.dispose()
    print("models and migrations agree")
    return 0


def cmd_db_reindex(args: argparse.Namespace) -> int:
    from storage import db
    from storage.search import reindex

    engine = db.open_database(args.db)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            count = reindex(session)
    finally:
        engine.dispose()
    print(f"search index rebuilt: {count} articles")
    return 0


def cmd_db_revision(args: argparse.Namespace) -> int:
    from storage import db

    engine = db.connect_checked(db.resolve_database_url(args.db))
    try:
        db.require_current(engine)
        path = db.revision(engine, args.message, args.rev_id)
    finally:
        engine.dispose()
    print(f"wrote {path}: review it, then `raqib db upgrade`")
    return 0


# ---------------------------------------------------------------------------------------------------
# reclassify


@dataclass
class ReclassifyReport:
    rules_version: str
    dry_run: bool
    examined: int = 0
    # (old label or "unclassified", new label) → articles
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def changes(self) -> dict[tuple[str, str], int]:
        return {pair: n for pair, n in self.transitions.items() if pair[0] != pair[1]}

    def lines(self) -> list[str]:
        verb = "would reclassify" if self.dry_run else "reclassified"
        lines = [f"{verb} {self.examined} articles with rules {self.rules_version}"]
        changes = self.changes
        if not changes:
            lines.append("  no label changed")
        for (old, new), count in sorted(changes.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {old} → {new}: {count}")
        unchanged = self.examined - sum(changes.values())
        if changes and unchanged:
            lines.append(f"  unchanged: {unchanged}")
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return lines


def reclassify(
    factory: sessionmaker[Session],
    classifier: Any,
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    languages: tuple[str, ...] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReclassifyReport:
    """Classify every stored article whose classification is missing or from other rules.

    ``classifier`` has ``rules_version`` and ``classify(text, title=..., language=...)`` returning a
    decision with ``to_dict()``. Each batch is committed on its own: a run killed half-way keeps what
    it did, and the next run picks up only what is still stale. ``progress(done, total)`` is called
    after each batch.
    """
    from storage import repository as repo
    from storage.db import unit_of_work

    version = str(classifier.rules_version)
    if languages is None:
        languages = tuple(getattr(classifier, "languages", None) or DEFAULT_LANGUAGES)
    report = ReclassifyReport(rules_version=version, dry_run=dry_run)
    with unit_of_work(factory) as session:
        total = repo.count_needing_classification(session, version, languages=languages)
    after_id = 0
    while True:
        with unit_of_work(factory) as session:
            batch = repo.articles_needing_classification(
                session, version, languages=languages, after_id=after_id, limit=batch_size
            )
            if not batch:
                break
            old_labels = repo.current_labels(session, (article.id for article in batch))
            for article in batch:
                decision = classifier.classify(article.text, title=article.title, language=article.language)
                record = repo.ClassificationRecord.from_decision(decision, version)
                record.rules_version = version
                report.transitions[(old_labels.get(article.id, UNCLASSIFIED), record.label)] += 1
                if not dry_run:
                    repo.save_classification(session, article.id, record)
            if dry_run:
                session.rollback()
        report.examined += len(batch)
        after_id = batch[-1].id
        if progress is not None:
            progress(report.examined, max(total, report.examined))
    return report


def _stderr_progress(done: int, total: int) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    print(f"reclassify: {done}/{total} articles", end=end, file=sys.stderr, flush=True)


def cmd_reclassify(args: argparse.Namespace) -> int:
    from classifiers import load_classifier
    from storage import db

    classifier = load_classifier()
    engine = db.open_database(args.db, migrate=False)
    try:
        report = reclassify(
            db.session_factory(engine),
            classifier,
            batch_size=args.batch,
            dry_run=args.dry_run,
            progress=_stderr_progress,
        )
    finally:
        engine.dispose()
    if sys.stderr.isatty() and report.examined:
        print(file=sys.stderr)
    print("\n".join(report.lines()))
    return 0
