"""Measure a classifier on labelled JSONL sets (``raqib eval``).

Each line is ``{"id", "title"?, "text", "label": 0|1|2, "category"?}``. Flagged means label ≥ 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .engine import Classifier

LABELS = ("none", "related", "core")


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    title: str
    gold: int
    category: str
    language: str | None = None


def read_dataset(path: Path) -> list[Item]:
    """Parse one JSONL file; errors name the file and line."""
    items: list[Item] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read dataset: {exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{n}: each line needs a string 'text'")
        label = row.get("label")
        if label not in (0, 1, 2) or isinstance(label, bool):
            raise ValueError(f"{path}:{n}: 'label' must be 0, 1 or 2, got {label!r}")
        items.append(
            Item(
                id=str(row.get("id", f"{path.name}:{n}")),
                text=row["text"],
                title=row.get("title") or "",
                gold=label,
                category=str(row.get("category") or LABELS[label]),
                language=row.get("language"),
            )
        )
    return items


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def evaluate(
    classifier: Classifier, items: Iterable[Item], progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Precision/recall/F1 for flagged and core, confusion by category, misses and false alarms."""
    items = list(items)
    predictions: dict[str, str] = {}
    for i, item in enumerate(items, 1):
        predictions[item.id] = classifier.classify(item.text, title=item.title, language=item.language).label
        if progress is not None:
            progress(i, len(items))
    return measure(items, predictions, classifier.rules_version)


def measure(items: Iterable[Item], predictions: dict[str, str], rules_version: str = "") -> dict[str, Any]:
    """The report of :func:`evaluate` for labels already decided (``predictions``: item id → label),
    e.g. the stored classifications of reviewed articles (``raqib eval --reviews``)."""
    items = list(items)
    rank = {"none": 0, "related": 1, "core": 2}
    counts = {"flagged": [0, 0, 0], "core": [0, 0, 0]}  # tp, fp, fn
    by_category: dict[str, dict[str, int]] = {}
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    misses, false_alarms, core_misses = [], [], []
    for item in items:
        label = predictions.get(item.id, "none")
        pred = rank[label]
        for name, threshold in (("flagged", 1), ("core", 2)):
            g, p = item.gold >= threshold, pred >= threshold
            c = counts[name]
            if g and p:
                c[0] += 1
            elif p:
                c[1] += 1
            elif g:
                c[2] += 1
        cat = by_category.setdefault(item.category, {"n": 0, **dict.fromkeys(LABELS, 0)})
        cat["n"] += 1
        cat[label] += 1
        confusion[LABELS[item.gold]][label] += 1
        if item.gold >= 1 and pred == 0:
            misses.append(item.id)
        if item.gold == 0 and pred >= 1:
            false_alarms.append(item.id)
        if item.gold == 2 and pred < 2:
            core_misses.append(item.id)
    return {
        "n": len(items),
        "flagged": _prf(*counts["flagged"]),
        "core": _prf(*counts["core"]),
        "by_category": by_category,
        "confusion": confusion,
        "misses": misses,
        "core_misses": core_misses,
        "false_alarms": false_alarms,
        "predictions": {item.id: predictions.get(item.id, "none") for item in items},
        "rules_version": rules_version,
    }


class ProgressBar:
    """A one-line progress bar on a terminal stream; silent when the stream is not a terminal."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30, min_items: int = 200) -> None:
        self.stream, self.width, self.min_items = stream, width, min_items
        self.enabled = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.min_items:
            return
        if done != total and done % max(1, total // 200):
            return
        filled = self.width * done // total
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\reval [{bar}] {done}/{total}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def format_report(report: dict[str, Any]) -> str:
    """Human-readable summary of ``evaluate``'s result."""
    lines = [f"items: {report['n']}   rules version: {report['rules_version']}"]
    for name in ("flagged", "core"):
        r = report[name]
        lines.append(
            f"{name:8} precision {r['precision']:.3f}  recall {r['recall']:.3f}  f1 {r['f1']:.3f}"
            f"  (tp {r['tp']}, fp {r['fp']}, fn {r['fn']})"
        )
    lines.append("")
    lines.append(f"{'category':16} {'n':>4} {'core':>5} {'related':>8} {'none':>5}")
    for cat, c in sorted(report["by_category"].items()):
        lines.append(f"{cat:16} {c['n']:>4} {c['core']:>5} {c['related']:>8} {c['none']:>5}")
    for key, title in (
        ("misses", "missed (flagged → none)"),
        ("core_misses", "core not called core"),
        ("false_alarms", "false alarms"),
    ):
        if report[key]:
            lines.append(f"{title}: " + ", ".join(report[key]))
    return "\n".join(lines)
