"""The Digests page through Starlette's TestClient: a digest written by the real digest code is
listed with its facts, its files are served as written (HTML as a download under the strict CSP),
nothing outside the run's recorded files can be reached, and login is required."""

from __future__ import annotations

import re

from markupsafe import escape

from tests.web import ops_seed
from tests.web.ops_seed import login
from web.app import CSP

ops = ops_seed.ops
client = ops_seed.ops_client


def test_logged_out_goes_to_login(client, ops) -> None:
    for path in ("/digests", f"/digests/{ops['digest_run']}", f"/digests/{ops['digest_run']}/file/html"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


def test_list_and_detail_show_the_run_as_delivered(client, ops) -> None:
    login(client)
    run = ops["digest_run"]
    listing = client.get("/digests?lang=en").text
    row = re.search(
        rf'<tr class="digest-row" data-run="{run}" data-status="sent">.*?</tr>', listing, re.S
    ).group(0)
    assert "files" in row and "<td>1</td>" in row  # one article delivered
    assert f'href="/digests/{run}/file/html"' in row and f'href="/digests/{run}/file/md"' in row
    detail = client.get(f"/digests/{run}").text
    assert '<dd id="stories">1</dd>' in detail and '<dd id="articles">1</dd>' in detail
    assert "ضبط محافظ بيتكوين لتمويل تنظيم داعش" in detail
    names = {p.name for p in ops["paths"]}
    for name in names:
        assert name in detail
    # The dated folder is in the digest's time zone (Asia/Riyadh), as digests/run.py named it.
    assert {p.parent.name for p in ops["paths"]} == {"2026-12-09"}


def test_files_are_served_as_written(client, ops) -> None:
    login(client)
    run = ops["digest_run"]
    by_ext = {p.suffix.lstrip("."): p for p in ops["paths"]}
    page = client.get(f"/digests/{run}/file/html")
    assert page.status_code == 200
    assert page.content == by_ext["html"].read_bytes()
    assert page.headers["content-disposition"].startswith("attachment")
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    md = client.get(f"/digests/{run}/file/md")
    assert md.status_code == 200 and md.content == by_ext["md"].read_bytes()
    assert md.headers["content-type"].startswith("text/plain")
    # Not written for this run (json was not among its formats), unknown format, unknown run.
    assert client.get(f"/digests/{run}/file/json").status_code == 404
    assert client.get(f"/digests/{run}/file/exe").status_code == 404
    assert client.get(f"/digests/{run + 99}/file/html").status_code == 404
    assert client.get(f"/digests/{run + 99}").status_code == 404


def test_path_traversal_is_refused(client, ops) -> None:
    login(client)
    run = ops["digest_run"]
    secret = ops["tmp"] / "secret.txt"
    secret.write_text("top secret")
    for path in (
        f"/digests/{run}/file/../../secret.txt",
        f"/digests/{run}/file/..%2F..%2Fsecret.txt",
        f"/digests/{run}/file/%2e%2e%2f%2e%2e%2fops.sqlite",
        f"/digests/{run}/file/html/../../../secret.txt",
        "/digests/..%2F..%2Fsecret.txt/file/html",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "top secret" not in response.text


def test_a_symlink_out_of_the_digest_folder_is_refused(client, ops) -> None:
    login(client)
    run = ops["digest_run"]
    html_path = next(p for p in ops["paths"] if p.suffix == ".html")
    secret = ops["tmp"] / "secret.html"
    secret.write_text("top secret")
    html_path.unlink()
    html_path.symlink_to(secret)
    response = client.get(f"/digests/{run}/file/html")
    assert response.status_code == 404 and "top secret" not in response.text


def test_run_facts_are_escaped(client, ops) -> None:
    from digests.models import DigestRun
    from storage import db

    engine = db.make_engine(ops["url"])
    with db.unit_of_work(db.session_factory(engine)) as session:
        session.get(DigestRun, ops["digest_run"]).detail = "<script>alert(1)</script>"
    engine.dispose()
    login(client)
    page = client.get(f"/digests/{ops['digest_run']}").text
    assert "<script>alert(1)" not in page and str(escape("<script>alert(1)</script>")) in page
