"""The rule what-if on real databases: a candidate that adds a term gains stories, one that drops a rule
loses one, the reviewed items' precision and recall before and after, nothing written; applying
installs the candidate's packs in the active folder (kept in history first) and reclassifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from classifiers import load_classifier
from storage import db
from storage.models import Classification, Review
from storage.rules_install import apply_candidate, candidate_under_roots
from storage.whatif import MAX_DAYS, WhatIfError, load_candidate, what_if
from tests.storage.whatif_seed import NEW_TERM, NOW, add_term, break_pack, copy_packs, remove_aml_rule, seed


def _snapshot(url: str) -> tuple[list[tuple], int]:
    engine = db.make_engine(url)
    try:
        with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
            rows = session.execute(
                select(
                    Classification.article_id, Classification.label, Classification.rules_version
                ).order_by(Classification.article_id)
            ).all()
            reviews = session.scalar(select(func.count()).select_from(Review))
    finally:
        engine.dispose()
    return [tuple(r) for r in rows], int(reviews or 0)


def _run(url: str, rules_dir: Path, days: int = 7):
    engine = db.make_engine(url)
    try:
        with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
            return what_if(
                session,
                load_candidate(rules_dir),
                days=days,
                current_version=load_classifier().rules_version,
                now=NOW,
            )
    finally:
        engine.dispose()


def _check_gain_and_loss(url: str, tmp_path: Path) -> None:
    ids = seed(url, with_users=False)
    before = _snapshot(url)

    gained = _run(url, add_term(copy_packs(tmp_path / "gain")))
    assert gained.counts == {"gained": 1, "lost": 0, "changed": 0}
    (change,) = gained.changes
    assert change.article_id == ids["zcash"] and change.old.label == "none" and change.new.label == "core"
    coin = [m for m in change.new.matches if m["text"] == NEW_TERM]
    assert coin and {m["field"] for m in coin} == {"title", "text"}
    for m in coin:  # offsets point into the stored title or text, as the classifier reports them
        source = change.title if m["field"] == "title" else change.text
        assert source[m["start"] : m["end"]] == NEW_TERM
    assert gained.examined == 4  # the story of 40 days ago is outside the period
    assert gained.candidate_version != gained.current_version
    # Reviews: zcash missed (core), fatf false alarm, seizure relevant.
    assert gained.before.n == gained.after.n == 3
    assert gained.before.flagged == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}
    assert gained.after.flagged["tp"] == 2 and gained.after.flagged["fn"] == 0
    assert gained.after.flagged["recall"] == 1.0 and gained.after.flagged["precision"] == pytest.approx(
        0.6667
    )
    assert gained.reviewed_changed == (ids["zcash"],)

    lost = _run(url, remove_aml_rule(copy_packs(tmp_path / "loss")))
    assert lost.counts == {"gained": 0, "lost": 1, "changed": 0}
    (change,) = lost.changes
    assert change.article_id == ids["fatf"] and change.old.label == "related" and change.new.label == "none"
    assert change.old.rules == ("crypto_aml_body",) and change.old.matches
    assert lost.after.flagged["fp"] == 0 and lost.after.flagged["precision"] == 1.0

    both = _run(url, remove_aml_rule(add_term(copy_packs(tmp_path / "both"))), days=60)
    assert both.examined == 5
    assert sorted(c.article_id for c in both.of_kind("gained")) == sorted([ids["zcash"], ids["old_zcash"]])
    assert [c.article_id for c in both.of_kind("lost")] == [ids["fatf"]]
    assert both.after.flagged == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 2, "fp": 0, "fn": 0}
    assert both.to_dict()["counts"] == {"gained": 2, "lost": 1, "changed": 0}

    assert _snapshot(url) == before  # a what-if writes nothing


def test_what_if_on_sqlite(tmp_path: Path) -> None:
    _check_gain_and_loss(f"sqlite:///{tmp_path / 'w.sqlite'}", tmp_path)


def test_what_if_on_postgresql(pg_schema_url: str, tmp_path: Path) -> None:
    _check_gain_and_loss(pg_schema_url, tmp_path)


def test_bad_input_is_refused_with_the_loaders_words(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    seed(url, with_users=False)
    broken = break_pack(copy_packs(tmp_path / "broken"))
    with pytest.raises(WhatIfError) as error:
        load_candidate(broken)
    assert "rules.yaml:" in str(error.value) and "no_such_concept" in str(error.value)
    with pytest.raises(WhatIfError, match="rules folder not found"):
        load_candidate(tmp_path / "nowhere")
    for days in (0, MAX_DAYS + 1):
        with pytest.raises(WhatIfError, match="days must be between"):
            _run(url, copy_packs(tmp_path / f"d{days}"), days=days)


def test_candidates_only_under_the_roots(tmp_path: Path) -> None:
    root = tmp_path / "roots"
    inside = copy_packs(root / "edited")
    outside = copy_packs(tmp_path / "elsewhere")
    assert candidate_under_roots(str(inside), [root.resolve()]) == inside.resolve()
    assert candidate_under_roots("edited", [root.resolve()]) == inside.resolve()
    for value in (str(outside), "../elsewhere", str(root), "/etc", ""):
        with pytest.raises(WhatIfError):
            candidate_under_roots(value, [root.resolve()])
    (root / "link").symlink_to(outside)
    with pytest.raises(WhatIfError, match="not inside"):
        candidate_under_roots("link", [root.resolve()])


def test_apply_installs_the_candidate_and_reclassifies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    ids = seed(url, with_users=False)
    active = copy_packs(tmp_path / "active")
    history = tmp_path / "history"
    candidate = remove_aml_rule(add_term(copy_packs(tmp_path / "candidate")))
    new_version = load_classifier(candidate).rules_version

    broken = break_pack(copy_packs(tmp_path / "broken"))
    engine = db.make_engine(url)
    try:
        factory = db.session_factory(engine)
        before = _snapshot(url)
        with pytest.raises(WhatIfError, match="no_such_concept"):
            apply_candidate(factory, broken, active_dir=active, history_dir=history)
        with pytest.raises(WhatIfError, match="changed since the preview"):
            apply_candidate(
                factory, candidate, active_dir=active, history_dir=history, expected_version="0" * 16
            )
        assert _snapshot(url) == before and not history.exists()  # nothing changed

        applied = apply_candidate(
            factory, candidate, active_dir=active, history_dir=history, expected_version=new_version, now=NOW
        )
    finally:
        engine.dispose()
    assert applied.new_version == new_version == load_classifier(active).rules_version
    assert (
        load_classifier(Path(applied.backup)).rules_version
        == applied.old_version
        == load_classifier().rules_version
    )
    assert applied.reclassified.examined == 5
    labels = {article: label for article, label, _ in _snapshot(url)[0]}
    assert labels[ids["zcash"]] == labels[ids["old_zcash"]] == "core"
    assert labels[ids["fatf"]] == "none" and labels[ids["seizure"]] == "core"
    assert {version for *_, version in _snapshot(url)[0]} == {new_version}
    assert _snapshot(url)[1] == 3  # reviews survive
