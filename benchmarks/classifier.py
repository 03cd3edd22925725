"""Classifier speed: ``python -m benchmarks.classifier [--docs N] [--runs R] [--json]``.

Measures, in one process (one core), on ~5 KB Arabic articles assembled from the project's own
written items (tests/classifiers/data/written.jsonl):

* the full classifier (all rule packs; normalise, match, rules, explanations) in docs/s,
* a naive baseline in the same run: one big ``re`` alternation over the same surface terms,
* both again with the Arabic term list grown tenfold, to check that matching cost does not grow
  with the number of terms. The added terms are pseudo-words shaped like real ones (Arabic letters,
  4–8 letters, one or two words, like the lexicon's), so they are keyed, stemmed and matched like
  real terms, but they almost never occur in the articles — as with a real lexicon, most terms are
  absent from any one story. Their concept is used by no rule, so decisions do not change.

The four contestants run interleaved (one pass each per round, order rotated), so a busy moment on
a shared machine hits them alike. Each figure is the median over the rounds, both in wall-clock and
in CPU time of this process; docs/s "per core" is judged on CPU time, which other load on the
machine does not inflate. ``run()`` returns the figures as a dict.
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
_ARABIC = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"


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


# Noun and adjective patterns of Arabic (ف ع ل stand for the three root letters), the shapes most lexicon
# words take: masdar, participles, place nouns, intensive and nisba forms.
_PATTERNS = (
    "فعال", "فعيل", "فعول", "فاعل", "مفعول", "مفعل", "مفعال", "تفعيل", "تفاعل", "افتعال", "انفعال",
    "استفعال", "مفاعل", "فعالي", "فعلي", "مفعلي", "فواعل", "افعال", "تفعل", "متفاعل", "مستفعل",
)  # fmt: skip
_ROOT_LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _pseudo_word(rng: random.Random, letters: list[str], weights: list[int]) -> str:
    """A word that looks Arabic: a random root poured into a common pattern, sometimes feminine."""
    r1, r2, r3 = rng.choices(letters, weights, k=3)
    word = rng.choice(_PATTERNS).translate({ord("ف"): r1, ord("ع"): r2, ord("ل"): r3})
    return word + ("ة" if rng.random() < 0.35 else "")


def _grow_rules(src: Path, dst: Path, factor: int, seed: int = 11) -> int:
    """Copy the rule packs and add (factor - 1) × as many pseudo-terms to the Arabic lexicon.

    The pseudo-terms are made like real ones: Arabic words built from a root and a pattern (root
    letters drawn with their frequency in Arabic news text), feminine ة on about a third, and as many
    words per term as the real Arabic terms have. So they share prefixes and substrings with the
    articles as real terms do (and get the same clitic and suffix variants), while few of them are
    real words that occur; those match like any term (their concept is used by no rule).
    """
    shutil.copytree(src, dst)
    lexicon = dst / "ar" / "lexicon.yaml"
    data = yaml.safe_load(lexicon.read_text(encoding="utf-8"))
    real = [
        text
        for c in data["concepts"].values()
        for t in c["terms"]
        if (text := str(t if isinstance(t, str) else t.get("term", ""))) and any(ch in _ARABIC for ch in text)
    ]
    n_terms = sum(len(c["terms"]) for c in data["concepts"].values())
    lengths = [len(t.split()) for t in real]
    corpus = WRITTEN.read_text(encoding="utf-8")
    letters = list(_ROOT_LETTERS)
    weights = [corpus.count(ch) + 1 for ch in letters]
    rng = random.Random(seed)
    extra: set[str] = set()
    while len(extra) < (factor - 1) * n_terms:
        extra.add(" ".join(_pseudo_word(rng, letters, weights) for _ in range(rng.choice(lengths))))
    data["concepts"]["padding"] = {"description": "benchmark padding", "terms": sorted(extra)}
    lexicon.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return n_terms * factor


def _naive(terms: list[str]) -> Callable[[str], int]:
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)), re.IGNORECASE
    )
    return lambda text: len(pattern.findall(text))


def _one_pass(fn: Callable[[str], object], docs: Sequence[str]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for doc in docs:
        fn(doc)
    return time.perf_counter() - wall, time.process_time() - cpu


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
        results["arabic_terms_x10"] = _grow_rules(DEFAULT_RULES_DIR, big_dir, factor)
        big_terms = _surface_terms(big_dir)
        results["terms_base"], results["terms_x10"] = len(base_terms), len(big_terms)
        contestants: dict[str, Callable[[str], object]] = {}
        for name, rules_dir, terms in (("base", None, base_terms), ("x10", big_dir, big_terms)):
            started = time.perf_counter()
            clf = load_classifier(rules_dir)
            results[f"classifier_{name}_load_s"] = round(time.perf_counter() - started, 3)
            contestants[f"classifier_{name}"] = clf.classify
            contestants[f"naive_{name}"] = _naive(terms)
    names = list(contestants)
    for fn in contestants.values():  # warm-up
        for doc in articles[:20]:
            fn(doc)
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for r in range(runs):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            w, c = _one_pass(contestants[name], articles)
            wall[name].append(docs / w)
            cpu[name].append(docs / c if c > 0 else float("inf"))
    for name in names:
        results[f"{name}_docs_s"] = round(statistics.median(cpu[name]))
        results[f"{name}_wall_docs_s"] = round(statistics.median(wall[name]))
        results[f"{name}_cpu_range"] = [round(min(cpu[name])), round(max(cpu[name]))]
    for kind in ("classifier", "naive"):
        results[f"{kind}_slowdown_x10"] = round(
            1 - results[f"{kind}_x10_docs_s"] / results[f"{kind}_base_docs_s"], 3
        )
    for size in ("base", "x10"):
        results[f"speedup_vs_naive_{size}"] = round(
            results[f"classifier_{size}_docs_s"] / results[f"naive_{size}_docs_s"], 1
        )
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
        ("classifier (full rules)", "classifier_base", "terms_base"),
        ("classifier, Arabic terms ×10", "classifier_x10", "terms_x10"),
        ("naive re alternation", "naive_base", "terms_base"),
        ("naive re alternation ×10", "naive_x10", "terms_x10"),
    ]
    lines = [
        f"classifier benchmark — {r['docs']} docs of ~{r['avg_doc_bytes']} bytes ({r['avg_doc_chars']} chars), "
        f"median of {r['runs']} interleaved runs, one core",
        f"machine: {r['machine']}",
        f"{'':30} {'terms':>6} {'docs/s (CPU)':>13} {'CPU min–max':>15} {'docs/s (wall)':>14}",
    ]
    for label, key, terms in rows:
        lo, hi = r[f"{key}_cpu_range"]
        lines.append(
            f"{label:30} {r[terms]:>6} {r[f'{key}_docs_s']:>13} {f'{lo}–{hi}':>15} {r[f'{key}_wall_docs_s']:>14}"
        )
    lines.append(
        f"vs naive in this run: classifier {r['speedup_vs_naive_base']}× faster "
        f"({r['speedup_vs_naive_x10']}× with 10× terms)"
    )
    lines.append(
        f"slowdown with 10× terms: classifier {r['classifier_slowdown_x10']:.1%}, naive {r['naive_slowdown_x10']:.1%}"
    )
    lines.append(
        f"targets: ≥ 2000 docs/s per core: {'met' if r['meets_2000_docs_s'] else 'NOT met'}; "
        f"≤ 20 % slower with 10× terms: {'met' if r['meets_20pct_growth'] else 'NOT met'}"
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
