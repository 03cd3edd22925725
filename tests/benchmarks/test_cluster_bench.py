"""The cluster benchmark stays runnable: at a toy size, one worker, on the real RabbitMQ and PostgreSQL.
Its report's shape and its own consistency checks are tested, never its figures (speed belongs to
`python -m benchmarks.cluster`, not to a test)."""

from __future__ import annotations

import os

import pytest

from benchmarks import cluster
from benchmarks import cluster_setup as setup
from tests.conftest import missing


@pytest.fixture
def services() -> setup.Services:
    found = setup.Services(
        pg_url=os.environ.get("RAQIB_TEST_PG_URL", setup.Services.pg_url),
        broker_url=os.environ.get("RAQIB_TEST_BROKER_URL", setup.Services.broker_url),
    )
    try:
        setup.check_services(found)
    except setup.ServiceMissing as error:
        missing(str(error))
    return found


def test_cluster_benchmark_runs_and_reports_every_part(services: setup.Services) -> None:
    sizes = cluster.Sizes(sources=1, pages_per_source=2, batch=1, workers=(1,), runs=1, feeds=3, fixed_runs=1)
    # run() itself fails unless every page was stored, every job finished, and the poll cycle was
    # answered 304 (resp. 200) for every feed.
    result = cluster.run(sizes, services)

    assert result["sizes"]["pages"] == 2
    assert result["machine"]["nproc"] >= 1 and result["machine"]["ram_gib"] > 0
    local, (one,) = result["local"], result["cluster"]
    assert one["workers"] == 1 and one["jobs"] == 1
    for figures in (local, one):
        assert figures["pages_per_s"] > 0 and figures["wall_s"] > 0
        assert figures["cpu_ms_per_page"] > 0, "the CPU of the crawl processes was not read"
        assert len(figures["all_pages_per_s"]) == 1
    assert one["jobs_per_s"] > 0 and one["daemon_cpu_s"] > 0
    assert result["daemon_due_ms_per_source"] > 0

    cycle = result["poll_cycle"]
    assert cycle["feeds"] == 3
    assert cycle["not_modified"]["status_304"] == 3 and cycle["not_modified"]["status_200"] == 0
    assert cycle["full"]["status_200"] >= 3 and cycle["full"]["status_304"] == 0
    # A 304 carries no feed body: that is what conditional GET saves.
    assert cycle["not_modified"]["bytes_received"] < cycle["full"]["bytes_received"]
    assert cycle["not_modified"]["article_pages_fetched"] == cycle["full"]["article_pages_fetched"] == 0
    assert result["job_fixed_cost"]["cpu_s"] > 0

    sizes_per_article = result["pg_bytes_per_article"]
    assert set(sizes_per_article) == {"articles", "article_urls", "classifications", "article_search", "per_article_total"}
    assert sizes_per_article["articles"] > 0
    rows = result["pg_avg_row_bytes"]
    assert set(rows) == {"cluster_jobs", "crawl_runs", "poll_validators"} and min(rows.values()) > 0


def test_bad_sizes_are_refused_with_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cluster.main(["--workers", "1,two"])
    assert stop.value.code == 2
    assert "--workers: expected counts such as 1,2,3" in capsys.readouterr().err
