"""End-to-end crawl throughput against the floor, in one run.

End to end: `raqib crawl` (its own process, as users run it) over N generated article pages of the
bundled site: download, extract, language, dedup, classify, store into a fresh SQLite file.
Floor: the same extraction + language detection in a plain single-process loop over the same page
bytes, times the cores available — what a perfect use of every core would give. Beside it, the
parallel floor: one such loop per core, all at once, which is what the cores really give together.

The machine is shared and its speed drifts by tens of percent within minutes, so the floor of each
run is measured just before and just after its crawl, and the two are averaged. For long crawls the
floor runs on an evenly spaced sample of the pages (``--floor-sample``): the generated pages are alike,
and a full floor of 10,000 pages would itself take minutes on each side.

    python -m benchmarks.crawl --pages 1000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from benchmarks.procmem import TreeMemorySampler, wait_cpu_seconds

REPO = Path(__file__).resolve().parent.parent


def _sources_yaml(base_url: str) -> str:
    return f"""sources:
  - name: bench-sitemap
    outlet: Bench
    kind: sitemap
    start_urls: ["{base_url}/bench/sitemap.xml"]
    allowed_domains: ["127.0.0.1"]
    max_age_days: 36500
"""


def floor_rate(pages: list[tuple[str, bytes]]) -> float:
    """Pages/s of extraction + language detection in one process, one page after another."""
    from crawler.extraction import extract_article
    from crawler.language import detect_language

    start = time.perf_counter()
    for url, body in pages:
        result = extract_article(body, url, "text/html; charset=utf-8")
        detect_language(f"{result.title}\n{result.text}")
    return len(pages) / (time.perf_counter() - start)


def _floor_worker(pages: list[tuple[str, bytes]], start: Any, rates: Any) -> None:
    floor_rate(pages[:20])  # imports and first calls, before the common start
    start.wait()
    rates.put(floor_rate(pages))


def parallel_floor_rate(pages: list[tuple[str, bytes]], processes: int) -> float:
    """Pages/s of ``processes`` plain loops run at once, one per core, started together.

    The floor multiplies one loop by the cores, as if cores never slowed each other down. On a
    shared virtual machine they do (a busy neighbour, vCPUs that are hyperthreads on the host, one
    L3 cache); this measures what the cores really give this work together, nothing else running.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # this process serves the site from a thread
    start, rates = context.Barrier(processes), context.Queue()
    procs = [context.Process(target=_floor_worker, args=(pages, start, rates)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    total = sum(rates.get(timeout=3600) for _ in procs)
    for proc in procs:
        proc.join()
    return total


def crawl_once(base_url: str, workdir: Path, db: Path) -> dict[str, Any]:
    """One `raqib crawl` of the bench sitemap; wall time, peak tree memory, article pages fetched."""
    sources = workdir / "bench-sources.yaml"
    sources.write_text(_sources_yaml(base_url), encoding="utf-8")
    cmd = [
        sys.executable, "-m", "cli", "crawl", "--sources", str(sources), "--db", f"sqlite:///{db}", "--json",
        "-s", "RAQIB_ALLOWED_NETWORKS=127.0.0.1/32", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING", "-s", "ROBOTSTXT_OBEY=False",
        # Generated pages reuse a pool of paragraphs, which template learning would rightly call a
        # template: the benchmark measures the work per page, so every page keeps its text.
        "-s", "RAQIB_CHROME_LEARN=False",
    ]
    # Output goes to files, not pipes: reading pipes to their end would reap the crawl before its
    # CPU time is read (wait_cpu_seconds reads it between its exit and its reaping).
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as out_file,
        tempfile.TemporaryFile("w+", encoding="utf-8") as err_file,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out_file, stderr=err_file, text=True)
        try:
            with TreeMemorySampler(proc.pid) as mem:
                exact_cpu = wait_cpu_seconds(proc)
        finally:
            proc.wait()
        wall = time.perf_counter() - start
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if proc.returncode != 0:
        raise RuntimeError(f"crawl failed ({proc.returncode}): {err[-2000:]}")
    summary = json.loads(out[out.index("{"):])
    # Memory over the run's second half: flat means items and responses are not accumulating. The
    # last samples are the shutdown (workers gone), so the points are taken at 0, 50 and 90 %.
    half = mem.samples[len(mem.samples) // 2 :] or [0]
    quarters = [half[min(len(half) - 1, round(q * (len(half) - 1)))] / 2**20 for q in (0, 0.5, 0.9)]
    # Exact from the kernel where it can be read. Samples miss what a process spent after its last
    # one, and a whole process that lived between two rescans: they are the fallback where the
    # kernel's figures are missing (no waitid, or a crawl that left its forkserver unreaped).
    sampled_crawl, sampled_workers = mem.cpu_seconds()
    crawl_cpu, workers_cpu = exact_cpu or (sampled_crawl, 0.0)
    workers_cpu = max(workers_cpu, sampled_workers)
    return {
        "wall_s": wall,
        "peak_rss_mb": mem.peak / 2**20,
        "peak_pss_mb": mem.peak_pss / 2**20,
        "rss_second_half_mb": quarters,
        "summary": summary,
        "crawl_process_cpu_s": crawl_cpu,
        "workers_cpu_s": workers_cpu,
    }


def evenly_spaced(items: list[Any], count: int) -> list[Any]:
    """``count`` items spread over the whole list, first and last included."""
    if count >= len(items):
        return items
    if count <= 1:
        return items[:1]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def run(pages: int = 1000, runs: int = 3, floor_sample: int = 500) -> dict[str, Any]:
    from crawler.demo_site import DemoSite

    cores = os.cpu_count() or 1
    with DemoSite(bench_articles=pages) as site, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        site.render_bench_pages()
        urls = [f"{site.base_url}/bench/article/{i}.html" for i in range(pages)]
        sample = evenly_spaced(urls, floor_sample)
        bodies = [(u, urlopen(u, timeout=30).read()) for u in sample]  # noqa: S310 - loopback only
        floor_rate(bodies[:20])  # imports and first-call costs are not the floor's
        floors, parallel, e2e, mems, psss, second, trends = [], [], [], [], [], [], []
        split: list[dict[str, float]] = []
        for i in range(runs):
            before = floor_rate(bodies) * cores
            parallel_before = parallel_floor_rate(bodies, cores)
            db = workdir / f"bench-{i}.sqlite"
            # This process serves the pages: its CPU time is the site's, on the same cores as the crawl.
            cpu0 = time.process_time()
            first = crawl_once(site.base_url, workdir, db)
            site_cpu = time.process_time() - cpu0
            # Where the two cores went: the crawl process, its workers, this site, or nowhere (idle).
            crawl_cpu, workers_cpu = first["crawl_process_cpu_s"], first["workers_cpu_s"]
            split.append(
                {
                    "crawl_process_ms": crawl_cpu / pages * 1000,
                    "workers_ms": workers_cpu / pages * 1000,
                    "site_ms": site_cpu / pages * 1000,
                    "busy": (crawl_cpu + workers_cpu + site_cpu) / (cores * first["wall_s"]),
                }
            )
            after = floor_rate(bodies) * cores
            parallel.append((parallel_before + parallel_floor_rate(bodies, cores)) / 2)
            floors.append((before + after) / 2)
            stored = first["summary"]["articles_stored"]
            if stored != pages:
                raise RuntimeError(f"run {i}: stored {stored} of {pages} pages")
            e2e.append(pages / first["wall_s"])
            mems.append(first["peak_rss_mb"])
            psss.append(first["peak_pss_mb"])
            trends.append([round(x) for x in first["rss_second_half_mb"]])
            site.reset_requests()
            again = crawl_once(site.base_url, workdir, db)
            second.append(sum(1 for r in site.requests if "/bench/article/" in r.path))
            print(
                f"run {i + 1}/{runs}: end-to-end {e2e[-1]:.1f} pages/s, floor {floors[-1]:.1f} pages/s "
                f"(×{cores} cores; {before:.1f} before, {after:.1f} after), ratio {e2e[-1] / floors[-1]:.2f}; "
                f"{cores} loops at once {parallel[-1]:.1f} pages/s (scaling {parallel[-1] / floors[-1]:.2f}), "
                f"ratio to it {e2e[-1] / parallel[-1]:.2f}; "
                f"CPU per page: crawl process {split[-1]['crawl_process_ms']:.1f} ms, workers "
                f"{split[-1]['workers_ms']:.1f} ms, site {split[-1]['site_ms']:.2f} ms; cores busy {split[-1]['busy']:.0%}; "
                f"peak RSS {mems[-1]:.0f} MB (second half {trends[-1]} MB), PSS {psss[-1]:.0f} MB, "
                f"second crawl fetched {second[-1]} article pages "
                f"in {again['wall_s']:.1f}s",
                file=sys.stderr,
            )
    e2e_med, floor_med = statistics.median(e2e), statistics.median(floors)
    return {
        "pages": pages,
        "runs": runs,
        "cores": cores,
        "floor_sample_pages": len(bodies),
        "machine": f"{platform.machine()} {platform.processor() or ''} {platform.python_implementation()} {platform.python_version()}".strip(),
        "end_to_end_pages_per_s": round(e2e_med, 1),
        "floor_pages_per_s": round(floor_med, 1),
        "ratio": round(e2e_med / floor_med, 2),
        "median_run_ratio": round(statistics.median(e / f for e, f in zip(e2e, floors, strict=True)), 2),
        # What the cores give this work when they all run it at once, against one loop × cores.
        "parallel_floor_pages_per_s": round(statistics.median(parallel), 1),
        "core_scaling": round(statistics.median(p / f for p, f in zip(parallel, floors, strict=True)), 2),
        "ratio_to_parallel_floor": round(statistics.median(e / p for e, p in zip(e2e, parallel, strict=True)), 2),
        "cpu_ms_per_page": {
            key: round(statistics.median(run[key] for run in split), 2)
            for key in ("crawl_process_ms", "workers_ms", "site_ms")
        },
        "cores_busy": round(statistics.median(run["busy"] for run in split), 3),
        "peak_rss_mb": round(max(mems), 1),
        "peak_pss_mb": round(max(psss), 1),
        "rss_second_half_mb": trends,
        "second_crawl_article_downloads": max(second),
        "all_end_to_end": [round(x, 1) for x in e2e],
        "all_floor": [round(x, 1) for x in floors],
        "all_parallel_floor": [round(x, 1) for x in parallel],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crawl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--floor-sample", type=int, default=500, help="pages the floor is measured on (evenly spaced; default 500)"
    )
    args = parser.parse_args(argv)
    result = run(args.pages, args.runs, args.floor_sample)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
