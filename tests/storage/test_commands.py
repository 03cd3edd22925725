"""`raqib db …` and `raqib reclassify` through cli.main, and the reclassify library function."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import cli
from storage import db
from storage import repository as repo
from storage.commands import reclassify
from storage.db import unit_of_work
from storage.models import Classification


def test_db_upgrade_current_check_via_cli(empty_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["db", "current", "--db", empty_url]) == 0
    assert "none (empty database)" in capsys.readouterr().out

    assert cli.main(["db", "upgrade", "--db", empty_url]) == 0
    out = capsys.readouterr().out
    assert f"upgraded from an empty database to {db.head_revision()}" in out
    assert db.current_revision(empty_url) == db.head_revision()

    assert cli.main(["db", "upgrade", "--db", empty_url]) == 0
    assert "already at revision" in capsys.readouterr().out
    assert cli.main(["db", "current", "--db", empty_url]) == 0
    assert capsys.readouterr().out.strip() == f"{db.head_revision()} (head)"
    assert cli.main(["db", "check", "--db", empty_url]) == 0
    assert "models and migrations agree" in capsys.readouterr().out


def test_db_upgrade_takes_the_url_from_the_environment(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "env" / "raqib.sqlite"
    monkeypatch.setenv("RAQIB_DATABASE_URL", str(path))  # a plain path means a SQLite file
    assert cli.main(["db", "upgrade"]) == 0
    assert path.is_file()
    assert db.current_revision(f"sqlite:///{path}") == db.head_revision()


def test_db_commands_fail_in_one_line(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert cli.main(["db", "upgrade", "--db", f"postgresql://postgres@127.0.0.1:{port}/test"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"raqib: error: cannot connect to PostgreSQL at 127.0.0.1:{port}: ")
    assert err.count("\n") == 1 and "Traceback" not in err

    empty = tmp_path / "empty.sqlite"
    assert cli.main(["db", "check", "--db", str(empty)]) == 2
    assert "has no Raqib schema: run `raqib db upgrade" in capsys.readouterr().err
    assert cli.main(["reclassify", "--db", str(empty)]) == 2
    assert "has no Raqib schema" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------
# reclassify with a classifier built here: same interface as classifiers.load_classifier()


@dataclass
class _Decision:
    label: str
    rules_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": 1.0,
            "rules": [],
            "matches": [],
            "snippets": [],
            "rules_version": self.rules_version,
        }


@dataclass
class KeywordClassifier:
    """ "core" when a keyword is in the text, else "none"; can stop after a number of calls, as if killed."""

    rules_version: str
    keyword: str = "بيتكوين"
    languages: list[str] = field(default_factory=lambda: ["ar", "en"])
    die_after: int | None = None
    calls: int = 0

    def classify(self, text: str, title: str = "", language: str | None = None) -> _Decision:
        self.calls += 1
        if self.die_after is not None and self.calls > self.die_after:
            raise KeyboardInterrupt  # the process is killed in the middle of a batch
        return _Decision("core" if self.keyword in text else "none", self.rules_version)


def _store_corpus(factory: sessionmaker[Session]) -> None:
    records = [
        repo.ArticleRecord(
            canonical_url=f"https://alpha.example/{n}",
            text=("تمويل الإرهاب عبر بيتكوين" if n % 3 == 0 else "مباراة كرة القدم") + f" {n}",
            content_hash=f"{n:064x}",
            language="fr" if n == 25 else "ar",
            classification=repo.ClassificationRecord("none", 0.0, rules_version="old") if n < 10 else None,
        )
        for n in range(30)
    ]
    with unit_of_work(factory) as session:
        repo.store_articles(session, records, None)


def _labels(factory: sessionmaker[Session]) -> dict[int, tuple[str, str]]:
    with unit_of_work(factory) as session:
        rows = session.execute(
            select(Classification.article_id, Classification.label, Classification.rules_version)
        )
        return {article_id: (label, version) for article_id, label, version in rows}


def test_reclassify_is_resumable_and_idempotent(factory: sessionmaker[Session]) -> None:
    _store_corpus(factory)
    before = _labels(factory)
    assert len(before) == 10

    dry = reclassify(factory, KeywordClassifier("new"), batch_size=7, dry_run=True)
    assert dry.examined == 29  # the French article is not in the classifier's languages
    assert _labels(factory) == before  # a dry run writes nothing
    assert dry.changes == {("none", "core"): 4, ("unclassified", "core"): 6, ("unclassified", "none"): 13}
    assert "none → core: 4" in "\n".join(dry.lines()) and "dry run" in dry.lines()[-1]

    # killed during the third batch: the two committed batches stay, the third is rolled back
    with pytest.raises(KeyboardInterrupt):
        reclassify(factory, KeywordClassifier("new", die_after=17), batch_size=7)
    done = {k: v for k, v in _labels(factory).items() if v[1] == "new"}
    assert len(done) == 14

    seen: list[tuple[int, int]] = []
    resumed = reclassify(
        factory, KeywordClassifier("new"), batch_size=7, progress=lambda d, t: seen.append((d, t))
    )
    assert resumed.examined == 29 - 14
    assert seen[-1] == (15, 15)
    after = _labels(factory)
    assert sum(1 for label, version in after.values() if version == "new") == 29
    assert sum(1 for label, _ in after.values() if label == "core") == 10

    again = reclassify(factory, KeywordClassifier("new"), batch_size=7)
    assert again.examined == 0 and again.lines()[1] == "  no label changed"
    assert _labels(factory) == after


def test_raqib_reclassify_with_the_real_classifier(
    db_url: str, factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    classifiers = pytest.importorskip("classifiers")
    version = classifiers.load_classifier().rules_version
    _store_corpus(factory)

    assert cli.main(["reclassify", "--db", db_url, "--dry-run", "--batch", "8"]) == 0
    captured = capsys.readouterr()
    assert "would reclassify 30 articles" in captured.out
    assert "reclassify: 30/30 articles" in captured.err
    assert all(v == "old" for _, v in _labels(factory).values())

    assert cli.main(["reclassify", "--db", db_url, "--batch", "8"]) == 0
    assert f"reclassified 30 articles with rules {version}" in capsys.readouterr().out
    labels = _labels(factory)
    assert len(labels) == 30 and {v for _, v in labels.values()} == {version}

    assert cli.main(["reclassify", "--db", db_url]) == 0
    assert "reclassified 0 articles" in capsys.readouterr().out
