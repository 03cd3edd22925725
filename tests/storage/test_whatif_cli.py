"""`raqib rules whatif`: the diff and the reviewed items' figures, JSON, bad input, --apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers import load_classifier
from cli import main
from storage import rules_install
from storage.models import utcnow
from tests.storage.test_whatif import _snapshot
from tests.storage.whatif_seed import NEW_TERM, add_term, break_pack, copy_packs, remove_aml_rule, seed


@pytest.fixture
def archive(tmp_path: Path) -> tuple[str, dict[str, int]]:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    # Dated from the real clock: the command measures its period from now.
    return url, seed(url, with_users=False, now=utcnow())


def test_whatif_prints_the_diff_and_writes_nothing(archive, tmp_path: Path, capsys) -> None:
    url, ids = archive
    before = _snapshot(url)
    candidate = remove_aml_rule(add_term(copy_packs(tmp_path / "candidate")))
    assert main(["rules", "whatif", str(candidate), "--days", "90", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "gained 2, lost 1, changed 0" in out
    assert f"gained  #{ids['zcash']} none → core" in out and f"lost    #{ids['fatf']} related → none" in out
    assert f"crypto: «{NEW_TERM}» ({NEW_TERM}; title)" in out
    assert "flagged precision 0.50 → 1.00   recall 0.50 → 1.00" in out
    assert "nothing was written" in out

    assert main(["rules", "whatif", str(candidate), "--json", "--db", url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["days"] == 7 and data["examined"] == 4  # the default period leaves the old story out
    assert data["counts"] == {"gained": 1, "lost": 1, "changed": 0}
    assert data["candidate_version"] == load_classifier(candidate).rules_version
    assert data["reviews"]["before"]["flagged"]["fp"] == 1 and data["reviews"]["after"]["flagged"]["fp"] == 0
    gained = next(c for c in data["changes"] if c["kind"] == "gained")
    assert any(m["text"] == NEW_TERM and m["field"] == "text" for m in gained["new"]["matches"])
    assert _snapshot(url) == before


def test_invalid_pack_and_bad_days_are_refused(archive, tmp_path: Path, capsys) -> None:
    url, _ = archive
    before = _snapshot(url)
    broken = break_pack(copy_packs(tmp_path / "broken"))
    assert main(["rules", "whatif", str(broken), "--apply", "--db", url]) == 2
    err = capsys.readouterr().err
    assert "rules.yaml:" in err and "no_such_concept" in err
    assert main(["rules", "whatif", str(tmp_path / "candidate"), "--days", "0", "--db", url]) == 2
    assert "days must be between 1 and 90" in capsys.readouterr().err
    assert _snapshot(url) == before


def test_apply_makes_the_candidate_the_active_rules(archive, tmp_path: Path, capsys, monkeypatch) -> None:
    url, ids = archive
    # The packaged folder is never touched by tests: a copy plays the active rules, and the data dir is ours.
    active = copy_packs(tmp_path / "active")
    monkeypatch.setattr(rules_install, "active_rules_dir", lambda: active)
    monkeypatch.setenv("RAQIB_DATA_DIR", str(tmp_path / "data"))
    candidate = add_term(copy_packs(tmp_path / "candidate"))
    assert main(["rules", "whatif", str(candidate), "--apply", "--db", url]) == 0
    out = capsys.readouterr().out
    version = load_classifier(candidate).rules_version
    assert load_classifier(active).rules_version == version
    (backup,) = (tmp_path / "data" / "rules" / "history").iterdir()
    assert load_classifier(backup).rules_version == load_classifier().rules_version
    assert f"previous rules kept in {backup}" in out and "none → core: 2" in out
    labels = {article: (label, v) for article, label, v in _snapshot(url)[0]}
    assert labels[ids["zcash"]] == ("core", version) and labels[ids["fatf"]] == ("related", version)
