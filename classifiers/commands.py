"""Subcommands this package adds to `raqib` (see cli.py): classify, eval."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from storage.location import add_db_argument

if TYPE_CHECKING:
    from .engine import Classifier, Decision


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this package's subcommands."""
    p = subparsers.add_parser(
        "classify",
        help="classify one article (core / related / none) and explain why",
        description="Read an article's text from FILE (or stdin with '-') and print the label, score, "
        "fired rules, matches and snippets with the matched terms marked «like this».",
    )
    p.add_argument("file", nargs="?", default="-", metavar="FILE|-", help="text file (default: stdin)")
    p.add_argument("--title", default="", help="the article's title (title matches weigh more)")
    p.add_argument("--language", default=None, help="rule pack to use (ar, en, fr; default: by script)")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.add_argument("--rules", type=Path, default=None, metavar="DIR", help="use the rule packs in DIR")
    p.set_defaults(func=run_classify)

    e = subparsers.add_parser(
        "eval",
        help="measure the classifier on labelled JSONL sets",
        description='Each line: {"id", "title"?, "text", "label": 0|1|2, "category"?}. Reports precision, '
        "recall and F1 for flagged (label >= 1) and core, a confusion table by category, misses and false alarms.",
    )
    e.add_argument("datasets", nargs="*", type=Path, metavar="DATASET.jsonl")
    e.add_argument(
        "--reviews",
        action="store_true",
        help="measure the stored classifications on the analysts' reviewed articles instead (see --db)",
    )
    add_db_argument(e)  # with --reviews
    e.add_argument("--json", action="store_true", help="print the report as JSON")
    e.add_argument("--rules", type=Path, default=None, metavar="DIR", help="use the rule packs in DIR")
    e.set_defaults(func=run_eval)


def _read_input(name: str) -> str:
    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(name)
        if not path.is_file():
            raise FileNotFoundError(f"{name}: no such file")
        data = path.read_bytes()
    return data.decode("utf-8", errors="replace")


def run_classify(args: argparse.Namespace) -> int:
    from .engine import load_classifier

    clf = load_classifier(args.rules)
    decision = clf.classify(_read_input(args.file), title=args.title, language=args.language)
    if args.json:
        print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"label: {decision.label}   score: {decision.score}   pack: {decision.language}")
    print(_explain(clf, decision))
    print(f"rules version: {decision.rules_version}")
    return 0


def _explain(clf: Classifier, decision: Decision) -> str:
    """The human explanation: what the score means, the rules in words, snippets, terms and where."""
    from .evidence import describe_rules, group_terms, place
    from .policy import score_meaning

    pack = clf.ruleset.packs.get(decision.language)
    lines = [score_meaning(decision.label, decision.score, pack.thresholds if pack else {}, "en")]
    fired = describe_rules(decision.rules, pack, "en")
    lines.append("rules:" + ("" if fired else " -"))
    lines += [f"  {name}" + (f" — {text}" if text != name else "") for name, text in fired]
    lines += [f"  … {snippet}" for snippet in decision.snippets]
    matches = [m.to_dict() for m in decision.matches]
    if matches:
        lines.append("terms:")
        lines += [f"  {entry.label('en')}" for entry in group_terms(matches)]
        lines.append("matches:")
        for m in decision.matches:
            where = place(m.part, m.paragraph, "en") + ("" if m.field == "title" else f", {m.start}-{m.end}")
            lines.append(f"  {m.concept:17} «{m.text}»  ({m.term}; {where})")
    return "\n".join(lines)


def run_eval(args: argparse.Namespace) -> int:
    from .engine import load_classifier
    from .evaluate import ProgressBar, evaluate, format_report, read_dataset

    if args.reviews:
        if args.datasets or args.rules:
            raise ValueError("--reviews measures the stored labels: give no DATASET.jsonl and no --rules")
        report = _review_report(args.db)
        if args.json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        elif not report["n"]:
            print("no reviewed articles yet")
        else:
            print(format_report(report))
        return 0
    if not args.datasets:
        raise ValueError("give DATASET.jsonl files, or --reviews")
    items = [item for path in args.datasets for item in read_dataset(path)]
    if not items:
        raise ValueError("no items in the dataset(s)")
    report = evaluate(load_classifier(args.rules), items, progress=ProgressBar(sys.stderr))
    if args.json:
        report.pop("predictions", None)
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    return 0


def _review_report(db_url: str | None) -> dict:
    from storage import db
    from storage.reviews import report

    engine = db.open_database(db_url, migrate=False)
    try:
        with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
            return report(session)
    finally:
        engine.dispose()
