"""The web benchmark stays runnable: a 300-article archive on SQLite and on the real PostgreSQL, every
page answered 200 and the searches finding what the archive holds (no figure is checked: speed is
measured by `python -m benchmarks.web`, not by tests)."""

from __future__ import annotations

from benchmarks import web


def test_web_benchmark_runs_on_both_backends(pg_url: str) -> None:
    result = web.run(articles=300, repeats=2, pg_url=pg_url)
    assert set(result["backends"]) == {"sqlite", "postgresql"}, result["skipped"]
    counts = {}
    for backend, data in result["backends"].items():
        archive = data["archive"]
        assert archive["articles"] == 300
        assert archive["flagged"]["core"] > 0 and archive["flagged"]["related"] > 0
        assert archive["reviews"] > 0
        requests = data["requests"]
        assert {m["kind"] for m in requests.values()} == {"", "inbox", "story", "search"}
        for name, m in requests.items():
            assert 0 < m["min_ms"] <= m["median_ms"] <= m["max_ms"], (backend, name)
            assert m["within_budget"] is (None if not m["kind"] else m["median_ms"] < m["budget_ms"])
        searches = {name: m["results"] for name, m in requests.items() if m["kind"] == "search"}
        rare = next(n for name, n in searches.items() if web.RARE_WORD in name)
        assert rare == archive["rare_word_articles"] > 0
        common = next(n for name, n in searches.items() if web.COMMON_WORD in name)
        clitic = next(n for name, n in searches.items() if web.CLITIC_FORM in name)
        assert common > rare and clitic > 0
        counts[backend] = searches
    # One archive, one search: both backends find the same number of articles for every query.
    assert counts["sqlite"] == counts["postgresql"]
    assert "web benchmark — 300 articles" in web.format_table(result)
