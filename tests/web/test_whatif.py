"""The rule what-if page through Starlette's TestClient: roles, CSRF, roots, invalid packs, apply."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from classifiers import load_classifier
from storage.models import utcnow
from tests.storage.test_whatif import _snapshot
from tests.storage.whatif_seed import NEW_TERM, add_term, break_pack, copy_packs, remove_aml_rule, seed
from tests.web.test_app import csrf_of, login
from web.app import create_app


@pytest.fixture
def setup(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    ids = seed(url, now=utcnow())
    roots = tmp_path / "roots"
    # The packaged rules are never touched by tests: a copy plays the active folder.
    active = copy_packs(tmp_path / "active")
    app = create_app(
        url,
        secret_key="test-secret",
        rules_dir=active,
        rules_roots=[roots],
        rules_history=tmp_path / "history",
    )
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield {"client": client, "url": url, "ids": ids, "roots": roots, "active": active, "tmp": tmp_path}
    app.state.engine.dispose()


def _preview(client: TestClient, folder: str, days: str = "7", csrf: str | None = None):
    token = csrf if csrf is not None else csrf_of(client.get("/").text)
    return client.post("/whatif", data={"csrf": token, "folder": folder, "days": days})


def _apply(client: TestClient, page: str):
    fields = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.split('action="/whatif/apply"')[1]
        )
    )
    return client.post("/whatif/apply", data=fields)


def test_viewer_gets_403(setup) -> None:
    client = setup["client"]
    login(client, "view")
    home = client.get("/").text
    assert 'href="/whatif"' not in home
    assert client.get("/whatif").status_code == 403
    candidate = add_term(copy_packs(setup["roots"] / "edited"))
    before = _snapshot(setup["url"])
    token = csrf_of(home)
    assert _preview(client, str(candidate), csrf=token).status_code == 403
    response = client.post("/whatif/apply", data={"csrf": token, "folder": str(candidate), "days": "7"})
    assert response.status_code == 403
    assert _snapshot(setup["url"]) == before


def test_reviewer_previews_with_evidence_but_cannot_apply(setup) -> None:
    client, ids = setup["client"], setup["ids"]
    login(client, "rev")
    assert 'href="/whatif"' in client.get("/").text
    page = client.get("/whatif")
    assert page.status_code == 200 and "ماذا لو تغيرت القواعد؟" in page.text
    assert str(setup["roots"].resolve()) in page.text
    remove_aml_rule(add_term(copy_packs(setup["roots"] / "edited")))
    before = _snapshot(setup["url"])
    result = _preview(client, "edited")  # relative to the first root
    assert result.status_code == 200, result.text
    html = result.text
    assert 'id="whatif-counts">يكتسب تصنيفا: 1 · يفقده: 1 · يتغير: 0' in html
    gained = re.search(rf'data-id="{ids["zcash"]}" data-kind="gained">(.*?)</li>', html, re.S).group(1)
    assert f"<mark>{NEW_TERM}</mark>" in gained and "crypto_terror_financing" in gained
    lost = re.search(rf'data-id="{ids["fatf"]}" data-kind="lost">(.*?)</li>', html, re.S).group(1)
    assert "crypto_aml_body" in lost and "<mark>" in lost
    # Precision on the reviewed items: 1 of 2 flagged were right; with the candidate, 2 of 2.
    flagged = re.search(r'class="figure-flagged-precision">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>([\d.]+) ", flagged) == ["0.50", "1.00"]
    assert "whatif-apply-button" not in html and "الاعتماد للمشرفين فقط" in html
    # With a valid token and the previewed version, the role alone refuses it.
    version = re.search(r"القواعد المرشحة (\w+)", html).group(1)
    refused = client.post(
        "/whatif/apply", data={"csrf": csrf_of(html), "folder": "edited", "days": "7", "version": version}
    )
    assert refused.status_code == 403 and "غير مسموح" in refused.text
    assert _snapshot(setup["url"]) == before
    english = client.get("/whatif?lang=en").text
    assert "What if the rules changed?" in english and 'lang="en"' in english


def test_admin_applies_and_the_labels_change(setup) -> None:
    client, ids = setup["client"], setup["ids"]
    login(client, "boss")
    candidate = remove_aml_rule(add_term(copy_packs(setup["roots"] / "edited")))
    page = _preview(client, str(candidate)).text
    assert "whatif-apply-button" in page
    response = _apply(client, page)
    assert response.status_code == 200, response.text
    version = load_classifier(candidate).rules_version
    assert 'id="whatif-applied"' in response.text and version in response.text
    assert load_classifier(setup["active"]).rules_version == version
    (backup,) = (setup["tmp"] / "history").iterdir()
    assert load_classifier(backup).rules_version == load_classifier().rules_version
    rows, reviews = _snapshot(setup["url"])
    labels = {article: label for article, label, _ in rows}
    assert labels[ids["zcash"]] == labels[ids["old_zcash"]] == "core" and labels[ids["fatf"]] == "none"
    assert reviews == 3
    # The story page now explains with the applied packs.
    assert client.get(f"/story/{ids['zcash']}").status_code == 200


def test_an_invalid_pack_shows_the_loaders_error_and_changes_nothing(setup) -> None:
    client = setup["client"]
    login(client, "boss")
    broken = break_pack(copy_packs(setup["roots"] / "broken"))
    before, active = _snapshot(setup["url"]), load_classifier(setup["active"]).rules_version
    response = _preview(client, str(broken))
    assert response.status_code == 400
    error = re.search(r'id="whatif-error" dir="ltr">(.*?)</pre>', response.text, re.S).group(1)
    assert "rules.yaml:" in error and "no_such_concept" in error
    token = csrf_of(response.text)
    applied = client.post("/whatif/apply", data={"csrf": token, "folder": str(broken), "days": "7"})
    assert applied.status_code == 400 and "no_such_concept" in applied.text
    assert _snapshot(setup["url"]) == before and load_classifier(setup["active"]).rules_version == active
    assert not (setup["tmp"] / "history").exists()


def test_paths_outside_the_roots_and_bad_days_are_refused(setup) -> None:
    client = setup["client"]
    login(client, "boss")
    outside = add_term(copy_packs(setup["tmp"] / "elsewhere"))
    for folder in (str(outside), "../elsewhere", "/etc", str(setup["active"])):
        response = _preview(client, folder)
        assert response.status_code == 400 and ("not inside" in response.text or "not found" in response.text)
    hostile = _preview(client, "<script>alert(1)</script>")
    assert hostile.status_code == 400 and "<script>alert(1)" not in hostile.text
    assert "&lt;script&gt;alert(1)" in hostile.text
    add_term(copy_packs(setup["roots"] / "edited"))
    for days in ("0", "91", "سبعة"):
        assert _preview(client, "edited", days=days).status_code == 400


def test_forms_without_csrf_are_refused(setup) -> None:
    client = setup["client"]
    login(client, "boss")
    candidate = add_term(copy_packs(setup["roots"] / "edited"))
    before = _snapshot(setup["url"])
    assert client.post("/whatif", data={"folder": str(candidate), "days": "7"}).status_code == 403
    assert client.post("/whatif/apply", data={"folder": str(candidate), "days": "7"}).status_code == 403
    assert _preview(client, str(candidate), csrf="forged").status_code == 403
    assert _snapshot(setup["url"]) == before


def test_the_roots_come_from_the_command_line_the_environment_or_the_data_dir(
    tmp_path: Path, monkeypatch
) -> None:
    from cli import build_parser
    from storage.rules_install import configured_roots

    args = build_parser().parse_args(["web", "--rules-root", str(tmp_path / "a"), "--rules-root", "b"])
    assert configured_roots(args.rules_root) == [(tmp_path / "a").resolve(), Path("b").resolve()]
    monkeypatch.setenv("RAQIB_RULES_ROOTS", f"{tmp_path / 'x'}:{tmp_path / 'y'}")
    assert configured_roots(build_parser().parse_args(["web"]).rules_root) == [tmp_path / "x", tmp_path / "y"]
    monkeypatch.delenv("RAQIB_RULES_ROOTS")
    monkeypatch.setenv("RAQIB_DATA_DIR", str(tmp_path / "data"))
    assert configured_roots(None) == [tmp_path / "data" / "rules"]
