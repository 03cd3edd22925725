"""Story grouping, source health and settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.config import ConfigError, load_settings
from digests.group import group_stories
from digests.health import source_health
from digests.run import run_digest
from digests.select import DueArticle
from tests.digests.conftest import LAUNDERING, NOW, OTHER, WIRE, WIRE_COPY, ArticleSpec


def due(aid: int, title: str, text: str, outlet: str, label: str = "core", score: float = 3.0) -> DueArticle:
    return DueArticle(
        aid, title, text, f"https://{outlet}.example/{aid}", outlet, outlet, NOW, NOW, label, score
    )


# --- grouping ----------------------------------------------------------------------------------------

GROUP_CASES = [
    # (explanation, articles, expected groups of ids)
    (
        "wire copy with a dateline, two changed words and another headline is one story",
        [due(1, "ضبط محافظ مشفرة", WIRE, "one"), due(2, "السلطات تضبط عملات", WIRE_COPY, "two")],
        [{1, 2}],
    ),
    (
        "the same copy with diacritics, tatweel and alef variants is still the same story",
        [
            due(1, "أ", WIRE, "one"),
            due(2, "ب", WIRE.replace("ا", "أ").replace("م", "مـ").replace("ت", "تَ"), "two"),
        ],
        [{1, 2}],
    ),
    (
        "different stories on the same topic stay apart",
        [due(1, "ضبط", WIRE, "one"), due(2, "غسل", LAUNDERING, "two"), due(3, "مؤتمر", OTHER, "three")],
        [{1}, {2}, {3}],
    ),
    (
        "identical long headlines with a teaser body are one story",
        [
            due(1, "القبض على ممول لتنظيم إرهابي بالعملات المشفرة", WIRE, "one"),
            due(2, "القبض على ممول لتنظيم إرهابي بالعملات المشفرة", "موجز قصير", "two"),
        ],
        [{1, 2}],
    ),
]


@pytest.mark.parametrize(("why", "articles", "expected"), GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_grouping(why, articles, expected):
    stories = group_stories(articles)
    assert sorted(map(set, (s.article_ids for s in stories)), key=min) == expected, why


def test_story_lists_every_outlet_and_order_is_core_score_outlets():
    articles = [
        due(1, "غسل", LAUNDERING, "one", label="related", score=9.0),
        due(2, "مؤتمر", OTHER, "one", score=2.0),
        due(3, "ضبط", WIRE, "one", score=2.0),
        due(4, "ضبط", WIRE_COPY, "two", score=1.0),
        due(5, "ضبط", WIRE + " المزيد", "three", score=1.5),
    ]
    stories = group_stories(articles)
    assert [s.article_ids[0] for s in stories] == [3, 2, 1]  # core (score tie → 3 outlets first), related
    assert stories[0].outlets == ("one", "three", "two")
    assert len(stories[0].urls) == 3 and stories[0].score == 2.0


# --- health ------------------------------------------------------------------------------------------


def test_health_reasons(store, factory, settings):
    hour = timedelta(hours=1)
    store.crawl_run(
        ["wire-one"], "timeout", NOW - 2 * hour, errors=[{"source": "wire-one", "reason": "timeout"}]
    )
    store.crawl_run(["wire-two"], "finished", NOW - 3 * hour)
    store.crawl_run(["quiet-three"], "finished", NOW - 3 * hour)
    # wire-two stored an article today; quiet-three's newest is 5 days old and nothing came today.
    store.add(
        ArticleSpec(
            "https://two.example/x", "خبر", OTHER, source="wire-two", label="none", fetched_at=NOW - 2 * hour
        )
    )
    store.add(
        ArticleSpec(
            "https://three.example/old",
            "قديم",
            OTHER,
            source="quiet-three",
            label="none",
            fetched_at=NOW - 120 * hour,
            published_at=NOW - 121 * hour,
        )
    )
    with factory() as session:
        report = source_health(session, since=NOW - 24 * hour, until=NOW, settings=settings.health)
    by_name = {h.source: h for h in report.sources}
    assert by_name["wire-one"].status == "failed" and "timeout×1" in by_name["wire-one"].reason
    assert by_name["quiet-three"].status == "empty" and "5 days old" in by_name["quiet-three"].reason
    assert by_name["wire-one"].reason_ar.startswith("آخر زحف: تجاوز المهلة")
    assert by_name["quiet-three"].reason_ar == "زحف واحد بلا مقال جديد؛ عمر أحدث مادة 5 أيام"
    assert by_name["wire-two"].status == "ok"
    assert report.healthy == 1 and [h.source for h in report.problems] == ["wire-one", "quiet-three"]


def test_a_source_whose_items_all_came_in_elsewhere_is_alive(store, factory, settings):
    """An outlet's feed and sitemap list the same stories; whichever is crawled second stores
    nothing new. Health judges it by what it listed, from the crawl's per-source stats."""
    from sqlalchemy import update

    from storage.models import CrawlRun

    hour = timedelta(hours=1)
    fresh = store.crawl_run(["dup-feed"], "finished", NOW - 2 * hour)
    old = store.crawl_run(["old-feed"], "finished", NOW - 2 * hour)
    silent = store.crawl_run(["dead-feed"], "finished", NOW - 2 * hour)
    stats = {
        fresh: {
            "raqib/source/dup-feed/links": 12,
            "raqib/source/dup-feed/newest_listed": (NOW - 3 * hour).isoformat(),
        },
        old: {
            "raqib/source/old-feed/links": 5,
            "raqib/source/old-feed/newest_listed": (NOW - 240 * hour).isoformat(),
        },
        silent: {"raqib/source/dead-feed/links": 0},
    }
    with factory() as session, session.begin():
        for run_id, values in stats.items():
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(stats=values))
    with factory() as session:
        report = source_health(session, since=NOW - 24 * hour, until=NOW, settings=settings.health)
    by_name = {h.source: h for h in report.sources}
    assert (
        by_name["dup-feed"].status == "ok"
        and "12 item(s) listed, all already stored" in by_name["dup-feed"].reason
    )
    assert by_name["dup-feed"].reason_ar == "أدرج 12 مادة، كلها مخزنة من قبل؛ عمر أحدثها 3 ساعات"
    assert by_name["old-feed"].status == "stale" and "10 days old" in by_name["old-feed"].reason
    assert by_name["dead-feed"].status == "empty"


def test_stale_source_and_health_in_every_format(store, factory, settings):
    store.crawl_run(["wire-one"], "finished", NOW - timedelta(hours=2))
    # Fetched today, but published three days ago: the outlet itself has gone quiet.
    store.add(
        ArticleSpec(
            "https://one.example/a",
            "عملات مشفرة وتمويل الإرهاب",
            WIRE,
            fetched_at=NOW - timedelta(hours=1),
            published_at=NOW - timedelta(hours=72),
        )
    )
    result = run_digest(factory, settings, now=NOW)
    files = {p.suffix: p.read_text(encoding="utf-8") for p in result.paths}
    # The Arabic digests give the reason in Arabic; the JSON keeps both.
    expected = "عمر أحدث مادة 3 أيام (المتوقع أقل من 48 ساعة)"
    assert expected in files[".html"] and "متوقف" in files[".html"]
    assert expected in files[".md"] and "expected within" not in files[".md"]
    assert '"status": "stale"' in files[".json"] and "expected within 48 h" in files[".json"]
    assert expected in files[".json"]


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "ساعة واحدة"), (2, "ساعتان"), (3, "3 ساعات"), (10, "10 ساعات"), (11, "11 ساعة"), (0, "0 ساعة"),
     (103, "103 ساعات"), (111, "111 ساعة")],
)
def test_arabic_counts_take_the_form_their_number_needs(n, expected):
    from digests.health import count_ar

    assert count_ar(n, "ساعة واحدة", "ساعتان", "ساعات", "ساعة") == expected


# --- settings ----------------------------------------------------------------------------------------


def test_settings_from_toml(tmp_path):
    path = tmp_path / "raqib.toml"
    path.write_text(
        """
[daemon]
crawl_every = "6h"  # other tables are not ours and are ignored

[digest]
formats = ["html", "json"]
out_dir = "/srv/raqib/digests"
timezone = "Africa/Casablanca"
empty_day = "note"
[digest.health]
max_silence_hours = 36
[digest.health.sources]
weekly-review = 200

[email]
recipients = ["a@example.org"]
sender_name = "رقيب"
security = "starttls"
username = "raqib"
""",
        encoding="utf-8",
    )
    settings = load_settings(path, env={"RAQIB_SMTP_PASSWORD": "hunter2"})
    assert settings.formats == ("html", "json") and settings.empty_day == "note"
    assert settings.email.smtp_port == 587 and settings.email.password == "hunter2"
    assert settings.health.max_silence_for("weekly-review") == 200
    assert settings.health.max_silence_for("other") == 36
    assert "hunter2" not in repr(settings)
    assert load_settings(None, env={}).formats == ("html", "md", "json", "atom")
    assert load_settings(None, env={"RAQIB_CONFIG": str(path)}).timezone == "Africa/Casablanca"


BAD = [
    ("[digest]\nformats = ['pdf']", "[digest] formats: unknown format 'pdf'"),
    ("[digest]\ntimezone = 'Mars/Olympus'", "[digest] timezone: unknown time zone"),
    ("[digest]\nempty_day = 'maybe'", "[digest] empty_day: must be one of skip, note"),
    ("[digest]\nmax_items = 0", "[digest] max_items: must be >= 1"),
    ("[digest]\ncolour = 'red'", "[digest] unknown key 'colour'"),
    ("[digest.health]\nmax_silence_hours = -1", "[digest.health] max_silence_hours: must be > 0"),
    ("[email]\nsmtp_port = true", "[email] smtp_port: expected a number, got a boolean"),
    ("[email]\nsmtp_port = 70000", "[email] smtp_port: must be 1-65535"),
    ("[email]\nsecurity = 'ssl'", "[email] security: must be one of none, starttls, tls"),
    ('[email]\nrecipients = ["a@b.org\\r\\nBcc: x@y.org"]', "[email] recipients: not an e-mail address"),
    ('[email]\nsubject_prefix = "a\\nBcc: x@y.org"', "[email] subject_prefix: must be a single line"),
    ("[email]\npassword = 'secret'", "[email] password: not read from the file"),
    ("[digest\n", "not valid TOML"),
]


@pytest.mark.parametrize(("content", "message"), BAD)
def test_bad_settings_name_file_table_and_key(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value).startswith(str(path)) and message in str(info.value)
    assert "secret" not in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(tmp_path / "nope.toml", env={})
