"""`raqib users add|list`, `raqib reviews export` and `raqib eval --reviews`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from storage import db
from storage.reviews import add_review
from tests.web.conftest import PASSWORD


def _review(url: str, article_id: int, verdict: str, **kwargs: str) -> None:
    engine = db.make_engine(url)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            add_review(session, article_id, verdict, "rev", **kwargs)
    finally:
        engine.dispose()


def test_users_add_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'u.sqlite'}"
    secret = tmp_path / "secret"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    assert (
        main(["users", "add", "amina", "--role", "reviewer", "--password-file", str(secret), "--db", url])
        == 0
    )
    monkeypatch.setenv("RAQIB_USER_PASSWORD", PASSWORD)
    assert main(["users", "add", "omar", "--role", "viewer", "--db", url]) == 0
    assert "added user omar (viewer)" in capsys.readouterr().out
    assert main(["users", "list", "--db", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:2] for line in out] == [["amina", "reviewer"], ["omar", "viewer"]]
    # Errors are one line, exit non-zero.
    assert main(["users", "add", "omar", "--role", "viewer", "--db", url]) == 2
    assert capsys.readouterr().err.strip() == "raqib: error: user 'omar' already exists"
    monkeypatch.setenv("RAQIB_USER_PASSWORD", "short")
    assert main(["users", "add", "zaid", "--role", "viewer", "--db", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("raqib: error: password too short") and "\n" not in err
    monkeypatch.delenv("RAQIB_USER_PASSWORD")
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115 - not a terminal: no prompt
    assert main(["users", "add", "zaid", "--role", "viewer", "--db", url]) == 2
    assert "no password" in capsys.readouterr().err


def test_reviews_export_and_eval_reviews(archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url, ids = archive["url"], archive["ids"]
    assert main(["eval", "--reviews", "--json", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 0

    _review(url, ids["seizure"], "relevant")
    _review(url, ids["hostile"], "false_alarm", reason="off_topic")
    _review(url, ids["weather"], "missed", label="related")
    out = tmp_path / "reviews.jsonl"
    assert main(["reviews", "export", str(out), "--db", url]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted((r["id"], r["label"]) for r in rows) == sorted(
        [(f"article-{ids['seizure']}", 2), (f"article-{ids['hostile']}", 0), (f"article-{ids['weather']}", 1)]
    )
    assert set(rows[0]) == {"id", "title", "text", "label"}
    capsys.readouterr()

    assert main(["eval", "--reviews", "--json", "--db", url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"n", "flagged", "core", "by_category", "misses", "false_alarms"}
    assert "predictions" not in report
    assert report["n"] == 3
    assert report["flagged"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}
    assert report["false_alarms"] == [f"article-{ids['hostile']}"]

    # The exported file is a dataset `raqib eval` reads as it is.
    assert main(["eval", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 3

    assert main(["eval", "--reviews", str(out), "--db", url]) == 2
    assert "--reviews measures the stored labels" in capsys.readouterr().err
