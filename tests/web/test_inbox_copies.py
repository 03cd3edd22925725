"""The inbox and story pages with a story copied in another outlet: each story once with its copies
(grouped as the digest groups them), filters by country, language and rule fired, and the story
page's list of copies. Real SQLite file, real classifier, TestClient."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

import web.inbox
from digests.group import group_stories
from digests.select import load_articles
from storage import db
from tests.web.conftest import add_third_outlet, seed
from tests.web.test_app import login
from web.app import create_app


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request, tmp_path):
    """The web archive on SQLite and on the real PostgreSQL (skipped when unreachable outside CI)."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_archive")
    return seed(f"sqlite:///{tmp_path / 'web.sqlite'}")


@pytest.fixture
def client(archive):
    add_third_outlet(archive)
    app = create_app(archive["url"], secret_key="test-secret")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "view")
        yield client
    app.state.engine.dispose()


def rows(html: str) -> list[int]:
    """The story ids listed as rows, in order."""
    return [int(n) for n in re.findall(r'<a class="story-link" href="/story/(\d+)"', html)]


def copies(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="copy" data-id="(\d+)"', html)]


def test_the_digest_groups_the_copy_with_its_original(archive) -> None:
    ids = archive["ids"]
    add_third_outlet(archive)
    engine = db.make_engine(archive["url"])
    with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
        stories = group_stories(load_articles(session, list(ids.values())))
    engine.dispose()
    groups = sorted(sorted(s.article_ids) for s in stories)
    assert sorted([ids["seizure"], ids["copy"]]) in groups
    assert [ids["english"]] in groups  # another language, another text: its own story


def test_each_story_once_with_its_copies(client, archive) -> None:
    ids = archive["ids"]
    html = client.get("/").text
    listed = rows(html)
    # The copy is newer: its row carries the original as a copy, and the original has no row.
    assert ids["copy"] in listed and ids["seizure"] not in listed
    assert set(listed) == {ids["copy"], ids["hostile"], ids["warning"], ids["english"]}
    assert copies(html) == [ids["seizure"]]
    assert 'id="hidden-copies"' not in html  # the original is listed under its copy on this page
    assert f'<a href="/story/{ids["seizure"]}">وكالة الأنباء الأولى</a>' in html  # named by its outlet
    # The counts stay in articles.
    assert 'data-label="core">أساسي: <b>4</b>' in html


def test_a_copy_listed_on_an_earlier_page_is_not_listed_again(client, archive, monkeypatch) -> None:
    ids = archive["ids"]
    monkeypatch.setattr(web.inbox, "PAGE_SIZE", 1)
    first = client.get("/").text
    assert rows(first) == [ids["copy"]] and copies(first) == [ids["seizure"]]
    second = client.get("/?page=2").text  # the original, listed under its copy on page 1
    assert rows(second) == [] and 'id="hidden-copies"' in second
    assert rows(client.get("/?page=3").text) == [ids["hostile"]]


def test_filters_by_country_language_and_rule(client, archive) -> None:
    ids = archive["ids"]
    jordan = client.get("/?country=JO").text
    assert set(rows(jordan)) == {ids["copy"], ids["english"]}
    assert copies(jordan) == [ids["seizure"]]  # a copy elsewhere is still named
    assert set(rows(client.get("/?country=MA").text)) == {ids["seizure"]}
    assert 'value="JO" selected' in jordan
    assert rows(client.get("/?language=en").text) == [ids["english"]]
    arabic = rows(client.get("/?language=ar").text)
    assert ids["english"] not in arabic and ids["hostile"] in arabic
    assert rows(client.get("/?rule=crypto_militant_near").text) == [ids["hostile"]]
    assert rows(client.get("/?rule=crypto_crime").text) == [ids["warning"]]
    # An unknown rule: a clear message, and that filter is not applied.
    bogus = client.get("/?rule=no_such_rule%25").text
    assert "لا قاعدة بهذا الاسم" in bogus and "no_such_rule%" in bogus
    assert len(rows(bogus)) == 4
    combined = client.get("/?country=JO&language=ar&label=core").text
    assert rows(combined) == [ids["copy"]]


def test_story_page_lists_its_copies_both_ways(client, archive) -> None:
    ids = archive["ids"]
    original = client.get(f"/story/{ids['seizure']}").text
    assert copies(original) == [ids["copy"]]
    assert "أخبار الثالثة" in original and "السلطات تضبط محافظ بيتكوين" in original
    copy = client.get(f"/story/{ids['copy']}").text
    assert copies(copy) == [ids["seizure"]]
    alone = client.get(f"/story/{ids['warning']}").text
    assert copies(alone) == [] and "لا نسخ في مصادر أخرى" in alone
