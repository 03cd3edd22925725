"""``raqib rules whatif RULES_DIR [--days N] [--json] [--apply]`` (see cli.py and storage/whatif.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.location import add_db_argument

if TYPE_CHECKING:
    from storage.whatif import Figures, StoryChange, WhatIf

APPLY_HELP = (
    "then make the candidate the active rules: its packs replace those in the active rules folder "
    "(classifiers/rules, the one the crawl, reclassify, the digest and the daemon all load), the "
    "previous packs are kept first in <data dir>/rules/history/<time>-<version>/ (a rules folder: "
    "what-if and apply it to undo), and every stored article is reclassified as `raqib reclassify` does"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``rules whatif``."""
    from storage.whatif import DEFAULT_DAYS, MAX_DAYS

    rules = subparsers.add_parser(
        "rules", help="try an edited copy of the rule packs on the stored stories", description=__doc__
    )
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    whatif = actions.add_parser(
        "whatif",
        help="which stored stories a rules folder would flag or unflag, and its precision/recall on reviews",
        description=(
            "Classify the stored stories of the last N days with the rule packs in RULES_DIR (an edited "
            "copy of classifiers/rules) and list those that would gain, lose or change a label, with the "
            "evidence; then the reviewed items' precision and recall under the stored labels and under "
            "RULES_DIR. Writes nothing unless --apply. An invalid pack is refused with the loader's error."
        ),
    )
    whatif.add_argument("rules_dir", type=Path, metavar="RULES_DIR")
    whatif.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        metavar="N",
        help=f"stories published (else fetched) in the last N days, 1..{MAX_DAYS} (default: {DEFAULT_DAYS})",
    )
    whatif.add_argument("--json", action="store_true", help="print the what-if as JSON")
    whatif.add_argument("--apply", action="store_true", help=APPLY_HELP)
    add_db_argument(whatif)
    whatif.set_defaults(func=cmd_whatif)


def _progress(label: str) -> Any:
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        print(f"{label}: {done}/{total} articles", end="\r" if tty else "\n", file=sys.stderr, flush=True)

    return show


def cmd_whatif(args: argparse.Namespace) -> int:
    from classifiers.loader import load_ruleset
    from storage import db
    from storage.rules_install import active_rules_dir, apply_candidate
    from storage.whatif import check_days, load_candidate, what_if

    check_days(args.days)
    candidate = load_candidate(args.rules_dir)  # before the database: a bad pack is the likelier mistake
    engine = db.open_database(args.db, migrate=False)
    try:
        with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
            result = what_if(
                session,
                candidate,
                days=args.days,
                current_version=load_ruleset(active_rules_dir()).version,
                progress=_progress("what-if"),
            )
        applied = None
        if args.apply:
            applied = apply_candidate(
                db.session_factory(engine),
                args.rules_dir,
                expected_version=result.candidate_version,
                progress=_progress("reclassify"),
            )
    finally:
        engine.dispose()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        data = result.to_dict()
        if applied is not None:
            data["applied"] = {
                "old_version": applied.old_version,
                "new_version": applied.new_version,
                "backup": applied.backup,
                "examined": applied.reclassified.examined,
                "transitions": [
                    {"from": old, "to": new, "n": n}
                    for (old, new), n in sorted(applied.reclassified.transitions.items())
                ],
            }
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print("\n".join(report_lines(result)))
    if applied is not None:
        print("\n".join(["", "applied:", *("  " + line for line in applied.lines())]))
    else:
        print("nothing was written (add --apply to make these the active rules)")
    return 0


def report_lines(result: WhatIf) -> list[str]:
    counts = result.counts
    lines = [
        f"what-if: rules {result.candidate_version} ({result.candidate_dir}) "
        f"against the active rules {result.current_version}",
        f"stories of the last {result.days} days (since {result.since.isoformat(timespec='minutes')}): "
        f"{result.examined} examined" + (" (cut short: only the newest)" if result.truncated else ""),
        f"  gained {counts['gained']}, lost {counts['lost']}, changed {counts['changed']}",
    ]
    for change in result.changes:
        lines += ["", *_change_lines(change)]
    lines += ["", f"reviewed items: {result.before.n}", *_figures_lines(result.before, result.after)]
    if result.reviewed_changed:
        lines.append(
            "  reviewed articles whose label changes: " + ", ".join(map(str, result.reviewed_changed))
        )
    return lines


def _change_lines(change: StoryChange) -> list[str]:
    from classifiers.evidence import place

    when = change.published_at.date().isoformat() if change.published_at else "-"
    evidence = change.old if change.kind == "lost" else change.new
    lines = [
        f"{change.kind:7} #{change.article_id} {change.old.label} → {change.new.label} "
        f"(score {change.old.score:g} → {change.new.score:g})  {change.title}  [{change.outlet}, {when}]",
        f"  rules {'that no longer fire' if change.kind == 'lost' else 'that fire'}: "
        + (", ".join(evidence.rules) or "-"),
    ]
    for m in evidence.matches[:20]:
        where = place(str(m.get("part") or "body"), int(m.get("paragraph") or 0), "en")
        lines.append(f"    {m.get('concept', '')}: «{m.get('text', '')}» ({m.get('term', '')}; {where})")
    if len(evidence.matches) > 20:
        lines.append(f"    … {len(evidence.matches) - 20} more matches")
    return lines


def _figures_lines(before: Figures, after: Figures) -> list[str]:
    lines = []
    for name in ("flagged", "core"):
        b, a = getattr(before, name), getattr(after, name)
        lines.append(
            f"  {name:7} precision {b['precision']:.2f} → {a['precision']:.2f}   "
            f"recall {b['recall']:.2f} → {a['recall']:.2f}   "
            f"(tp {b['tp']}→{a['tp']}, fp {b['fp']}→{a['fp']}, fn {b['fn']}→{a['fn']})"
        )
    return lines
