"""The benchmarks stay runnable: each one, at a toy size, end to end (figures are not checked here;
speed is measured by `make bench`, not by timed tests)."""

from __future__ import annotations

from benchmarks import classifier, crawl


def test_crawl_benchmark_runs_and_checks_its_own_work() -> None:
    result = crawl.run(pages=40, runs=1, floor_sample=8)
    # run() itself fails unless every page was stored; the second crawl must download none of them.
    assert result["second_crawl_article_downloads"] == 0
    assert result["end_to_end_pages_per_s"] > 0 and result["floor_pages_per_s"] > 0
    assert result["cpu_ms_per_page"]["workers_ms"] > 0, "the workers' CPU time was not sampled"
    assert 0 < result["cores_busy"] <= 1.05


def test_classifier_benchmark_runs() -> None:
    result = classifier.run(docs=10, runs=1, factor=2)
    assert "classifier" in classifier.format_table(result)
