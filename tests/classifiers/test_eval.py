"""The quality bar of issue 3, measured on the real dev set, the written set and the seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cli
from classifiers import Classifier
from classifiers.evaluate import evaluate, read_dataset

HERE = Path(__file__).resolve().parent
WRITTEN = HERE / "data" / "written.jsonl"  # written for the project: free to copy


def test_written_set_meets_the_bar(clf: Classifier) -> None:
    report = evaluate(clf, read_dataset(WRITTEN))
    assert report["flagged"]["recall"] >= 0.95
    assert report["flagged"]["precision"] >= 0.90
    assert report["core"]["recall"] >= 0.95
    assert report["by_category"]["false_friend"]["none"] == report["by_category"]["false_friend"]["n"]


def test_dev_and_written_meet_the_bar(clf: Classifier, shared_data: Path) -> None:
    dev = shared_data / "classification" / "dev.jsonl"
    if not dev.is_file():
        pytest.skip(f"{dev} not found")
    report = evaluate(clf, read_dataset(dev) + read_dataset(shared_data / "classification" / "written.jsonl"))
    assert report["flagged"]["recall"] >= 0.95, report["misses"]
    assert report["flagged"]["precision"] >= 0.90, report["false_alarms"]
    assert report["core"]["recall"] >= 0.95, report["core_misses"]
    ff = report["by_category"]["false_friend"]
    assert ff["none"] == ff["n"], report["false_alarms"]


SEEDS = {"000": "core", "001": "core", "002": "core", "003": ("core", "related"), "004": "core"}


def test_seeds(clf: Classifier, shared_data: Path) -> None:
    seeds = sorted((shared_data / "seeds").glob("*.txt"))
    if not seeds:
        pytest.skip("no seeds in the shared data folder")
    for path in seeds:
        expected = SEEDS.get(path.name[:3])
        if expected is None:
            continue
        label = clf.classify(path.read_text(encoding="utf-8")).label
        assert label in (expected if isinstance(expected, tuple) else (expected,)), path.name


def test_cli_classify_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = tmp_path / "a.txt"
    text = "صادرت الشرطة محافظ بيتكوين استخدمت في تمويل الإرهاب."
    article.write_text(text, encoding="utf-8")
    assert cli.main(["classify", str(article), "--json", "--title", "مصادرة عملات مشفرة"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"label", "score", "rules", "matches", "snippets", "rules_version"}
    assert out["label"] == "core"
    for m in out["matches"]:
        source = text if m["field"] == "text" else "مصادرة عملات مشفرة"
        assert source[m["start"] : m["end"]] == m["text"]
        assert set(m) >= {"concept", "term", "start", "end", "text"}


def test_cli_classify_human_output_marks_terms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = tmp_path / "a.txt"
    article.write_text(
        "حذرت مجموعة العمل المالي من استخدام العملات المشفرة في غسل الأموال.", encoding="utf-8"
    )
    assert cli.main(["classify", str(article)]) == 0
    out = capsys.readouterr().out
    assert "label: related" in out
    assert "«العملات المشفرة»" in out


def test_cli_eval_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["eval", str(WRITTEN), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 74
    assert set(report) >= {"n", "flagged", "core", "by_category", "misses", "false_alarms"}
    assert set(report["flagged"]) == {"precision", "recall", "f1", "tp", "fp", "fn"}


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "x", "text": "t", "label": 1}\n{"id": "y", "text": "t", "label": 5}\n', encoding="utf-8"
    )
    assert cli.main(["eval", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.jsonl:2" in err and len(err.splitlines()) == 1
    assert cli.main(["classify", str(tmp_path / "missing.txt")]) == 2
    assert "no such file" in capsys.readouterr().err
