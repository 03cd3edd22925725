"""`raqib digest --reclassify` (what the daemon runs): a story the current rules flag reaches the digest
even when the crawl stored it unclassified or judged by older rules."""

from __future__ import annotations

import json
from pathlib import Path

import cli
from tests.digests.conftest import WIRE, ArticleSpec


def _digest_items(out: Path) -> list[dict]:
    files = sorted(out.rglob("*.json"))
    return [item for f in files for item in json.loads(f.read_text(encoding="utf-8"))["items"]]


def test_reclassify_before_the_digest_delivers_what_the_current_rules_flag(store, db_url, tmp_path, capsys):
    # Judged "none" by some older rule set: without a re-judgement it would never be delivered.
    store.add(ArticleSpec("https://one.example/stale", "خلية وتمويل", WIRE, label="none", score=0.0))
    plain = tmp_path / "plain"
    assert cli.main(["digest", "--db", db_url, "--format", "json", "--out", str(plain)]) == 0
    assert _digest_items(plain) == []

    fresh = tmp_path / "fresh"
    assert cli.main(["digest", "--db", db_url, "--format", "json", "--out", str(fresh), "--reclassify"]) == 0
    items = _digest_items(fresh)
    assert [i["label"] for i in items] == ["core"]
    assert "none → core" in capsys.readouterr().err

    again = tmp_path / "again"
    assert cli.main(["digest", "--db", db_url, "--format", "json", "--out", str(again), "--reclassify"]) == 0
    assert _digest_items(again) == [], "delivered once"
