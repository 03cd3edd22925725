"""Classifier speed: ``python -m benchmarks.classifier [--docs N] [--runs R]``.

Measures, in one process (one core), on ~5 KB Arabic articles assembled from the project's own
written items (tests/classifiers/data/written.jsonl):

* the full classifier (all rule packs; normalise, match, rules, explanations) in docs/s,
* a naive baseline in the same run: one big ``re`` alternation over the same surface terms,
* both again with a term list ten times larger (random pseudo-words shaped like the real terms),
  to check that matching cost does not grow with the number of terms.

Each figure is the median of several runs. ``run()`` returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WRITTEN = REPO / "tests" / "classifiers" / "data" / "written.jsonl"
TARGET_BYTES = 5_000
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def make_articles(n: int, seed: int = 7, target_bytes: int = TARGET_BYTES) -> list[str]:
    """``n`` articles of about ``target_bytes`` UTF-8 bytes, built from shuffled written paragraphs."""
    rows = [json.loads(line) for line in WRITTEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    paragraphs = [p for r in rows for p in r["text"].split("\n") if p.strip()]
    rng = random.Random(seed)
    articles = []
    for _ in range(n):
        parts: list[str] = []
        size = 0
        while size < target_bytes:
            p = rng.choice(paragraphs)
            parts.append(p)
            size += len(p.encode("utf-8")) + 1
        text = "\n".join(parts).encode("utf-8")[:target_bytes].decode("utf-8", errors="ignore")
        articles.append(text.rsplit(" ", 1)[0])
    return articles


def _surface_terms(rules_dir: Path) -> list[str]:
    terms = []
    for lexicon in sorted(rules_dir.glob("*/lexicon.yaml")):
        data = yaml.safe_load(lexicon.read_text(encoding="utf-8"))
        for concept in data["concepts"].values():
            for t in concept["terms"]:
                text = t if isinstance(t, str) else t.get("term")
                if text:
                    terms.append(str(text))
    return terms


def _grow_rules(src: Path, dst: Path, factor: int, seed: int = 11) -> int:
    """Copy the rule packs and add (factor - 1) × as many pseudo-terms to the Arabic lexicon."""
    shutil.copytree(src, dst)
    lexicon = dst / "ar" / "lexicon.yaml"
    data = yaml.safe_load(lexicon.read_text(encoding="utf-8"))
    n_terms = sum(len(c["terms"]) for c in data["concepts"].values())
    rng = random.Random(seed)
    extra = set()
    while len(extra) < (factor - 1) * n_terms:
        words = [
            "".join(rng.choice(_ARABIC) for _ in range(rng.randint(4, 8)))
            for _ in range(rng.choice((1, 1, 2)))
        ]
        extra.add(" ".join(words))
    data["concepts"]["padding"] = {"description": "benchmark padding", "terms": sorted(extra)}
    lexicon.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return n_terms * factor


def _naive(terms: list[str]) -> Callable[[str], int]:
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)), re.IGNORECASE
    )
    return lambda text: len(pattern.findall(text))


def _rate(fn: Callable[[str], object], docs: Sequence[str], runs: int) -> float:
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        for doc in docs:
            fn(doc)
        rates.append(len(docs) / (time.perf_counter() - started))
    return statistics.median(rates)


def run(docs: int = 300, runs: int = 5, factor: int = 10) -> dict:
    """Measure and return the figures (docs/s are per core: everything runs in one process)."""
    from classifiers import load_classifier
    from classifiers.loader import DEFAULT_RULES_DIR

    articles = make_articles(docs)
    results: dict = {
        "machine": f"{platform.machine()} {_cpu_name()}, Python {platform.python_version()}",
        "docs": docs,
        "runs": runs,
        "avg_doc_bytes": round(statistics.mean(len(a.encode("utf-8")) for a in articles)),
        "avg_doc_chars": round(statistics.mean(len(a) for a in articles)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        big_dir = Path(tmp) / "rules"
        base_terms = _surface_terms(DEFAULT_RULES_DIR)
        grown = _grow_rules(DEFAULT_RULES_DIR, big_dir, factor)
        big_terms = _surface_terms(big_dir)
        for name, rules_dir, terms in (("base", None, base_terms), ("x10", big_dir, big_terms)):
            clf = load_classifier(rules_dir)
            clf.classify(articles[0])  # warm-up
            results[f"classifier_{name}_docs_s"] = round(
                _rate(lambda d, c=clf: c.classify(d), articles, runs)
            )
            results[f"naive_{name}_docs_s"] = round(_rate(_naive(terms), articles, runs))
            results[f"terms_{name}"] = len(terms)
        results["arabic_terms_x10"] = grown
    results["classifier_slowdown_x10"] = round(
        1 - results["classifier_x10_docs_s"] / results["classifier_base_docs_s"], 3
    )
    results["naive_slowdown_x10"] = round(1 - results["naive_x10_docs_s"] / results["naive_base_docs_s"], 3)
    results["meets_2000_docs_s"] = results["classifier_base_docs_s"] >= 2000
    results["meets_20pct_growth"] = results["classifier_slowdown_x10"] <= 0.20
    return results


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def format_table(r: dict) -> str:
    rows = [
        ("classifier (full rules)", r["terms_base"], r["classifier_base_docs_s"]),
        ("classifier, Arabic terms ×10", r["terms_x10"], r["classifier_x10_docs_s"]),
        ("naive re alternation", r["terms_base"], r["naive_base_docs_s"]),
        ("naive re alternation ×10", r["terms_x10"], r["naive_x10_docs_s"]),
    ]
    lines = [
        f"classifier benchmark — {r['docs']} docs of ~{r['avg_doc_bytes']} bytes ({r['avg_doc_chars']} chars), "
        f"median of {r['runs']} runs, one core",
        f"machine: {r['machine']}",
        f"{'':28} {'terms':>7} {'docs/s':>9}",
    ]
    lines += [f"{name:28} {terms:>7} {rate:>9}" for name, terms, rate in rows]
    lines.append(
        f"slowdown with 10× terms: classifier {r['classifier_slowdown_x10']:.1%}, naive {r['naive_slowdown_x10']:.1%}"
        f"   (targets: ≥ 2000 docs/s: {'met' if r['meets_2000_docs_s'] else 'NOT met'}; "
        f"≤ 20 % slower: {'met' if r['meets_20pct_growth'] else 'NOT met'})"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.classifier", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    results = run(docs=args.docs, runs=args.runs)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
