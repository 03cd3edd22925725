"""`raqib extract`: the JSON contract of DESIGN.md, human output, and one-line failures."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from crawler.extract_cli import main, register_extract
from tests.conftest import REPO
from tests.extraction.pages import PARAGRAPHS, SIDEBAR_HEADLINES, TITLE, article_page

CONTRACT_KEYS = {"title", "text", "published_at", "author", "sitename", "language", "language_probability"}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="raqib")
    register_extract(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["extract", *argv])
    return args.func(args)


def test_json_contract(tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_bytes(article_page(meta_date="2024-03-14T19:30:00+03:00").encode("cp1256"))
    assert (
        run(
            [
                str(page),
                "--url",
                "https://wahanews.test/a",
                "--content-type",
                "text/html; charset=iso-8859-1",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert CONTRACT_KEYS <= set(report)
    assert {"date_confidence", "published_at_raw", "encoding", "status", "error"} <= set(report)
    assert report["title"] == TITLE
    assert PARAGRAPHS[0] in report["text"] and SIDEBAR_HEADLINES[0] not in report["text"]
    assert report["published_at"] == "2024-03-14T16:30:00+00:00"
    assert report["date_confidence"] == "high"
    assert report["language"] == "ar" and 0.5 < report["language_probability"] <= 1.0
    assert report["encoding"] == "windows-1256"
    assert (report["status"], report["error"]) == ("ok", "")


def test_human_output(tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text(article_page(), encoding="utf-8")
    assert run([str(page)]) == 0
    out = capsys.readouterr().out
    assert TITLE in out and "language:  ar" in out and PARAGRAPHS[1] in out
    assert "visible, medium confidence" in out


def test_not_html_exits_non_zero_with_one_line_reason(tmp_path, capsys):
    pdf = tmp_path / "report.html"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\n")
    assert run([str(pdf), "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "not_html"
    assert captured.err.count("\n") == 1 and "not_html" in captured.err


def test_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("raqib: error: cannot read") and err.count("\n") == 1


def test_runs_as_a_module_in_its_own_process(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(article_page(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "crawler.extract_cli", str(page), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == TITLE
