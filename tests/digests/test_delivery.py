"""Exactly-once delivery over real SQLite files and a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from digests.models import DigestRun
from digests.run import run_digest
from tests.digests.conftest import LAUNDERING, NOW, OTHER, WIRE, WIRE_COPY, ArticleSpec, with_port
from tests.smtp_server import free_port


def flagged(store):
    return store.add(
        ArticleSpec("https://one.example/a", "ضبط محافظ عملات مشفرة لخلية إرهابية", WIRE),
        ArticleSpec("https://two.example/b", "السلطات تضبط عملات مشفرة", WIRE_COPY, source="wire-two"),
        ArticleSpec(
            "https://two.example/c",
            "سجن شبكة غسل أموال استخدمت بيتكوين",
            LAUNDERING,
            source="wire-two",
            label="related",
            score=2.0,
            terms=(("بيتكوين", "crypto"), ("لغسل الأموال", "laundering")),
        ),
    )


def bodies(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_repeated_runs_deliver_each_article_once_per_channel(store, factory, settings, smtp):
    inbox, _ = smtp
    ids = flagged(store)
    # Not items: a "none" article, a failed extraction and a stored duplicate.
    store.add(ArticleSpec("https://one.example/none", "أسعار الذهب", OTHER, label="none", score=0.0))
    store.add(ArticleSpec("https://one.example/empty", "صفحة فارغة", OTHER, extraction_status="empty"))

    first = run_digest(factory, settings, email=True, now=NOW)
    assert first.ok, first.errors
    assert {o.channel: o.status for o in first.outcomes} == {"files": "sent", "email": "sent"}
    assert len(inbox.messages) == 1
    assert store.deliveries("email") == {i: "sent" for i in ids.values()}
    assert store.deliveries("files") == {i: "sent" for i in ids.values()}
    assert len(first.paths) == 4 and all(p.is_file() for p in first.paths)

    second = run_digest(factory, settings, email=True, now=NOW + timedelta(hours=1))
    assert [o.status for o in second.outcomes] == ["skipped", "skipped"]
    assert second.paths == [] and len(inbox.messages) == 1

    later = NOW + timedelta(hours=2)
    (new_id,) = store.add(
        ArticleSpec(
            "https://one.example/d", "مؤتمر عن تمويل الإرهاب بالأصول الافتراضية", OTHER, fetched_at=later
        )
    ).values()
    third = run_digest(factory, settings, email=True, now=later + timedelta(minutes=5))
    assert len(inbox.messages) == 2
    assert third.outcomes[1].articles == 1
    _, html = bodies(inbox.messages[1][1])
    assert "مؤتمر عن تمويل الإرهاب" in html and "السلطات تضبط" not in html
    assert store.deliveries("email")[new_id] == "sent"


def test_duplicates_are_not_items(store, factory, settings):
    store.add(ArticleSpec("https://one.example/a", "ضبط محافظ عملات مشفرة لخلية إرهابية", WIRE))
    # The same content under another URL: the repository stores it as a duplicate of the first.
    spec = ArticleSpec("https://one.example/a?utm=x", "ضبط محافظ عملات مشفرة لخلية إرهابية", WIRE)
    record = spec.record()
    from storage import db, repository

    with db.unit_of_work(factory) as session:
        first_hash = session.execute(select(repository.Article.content_hash)).scalar_one()
        record.content_hash = first_hash
        repository.store_articles(session, [record])
    result = run_digest(factory, settings, formats=("json",), now=NOW)
    assert result.outcomes[0].articles == 1


def test_dead_smtp_leaves_items_pending_then_next_run_delivers_once(store, factory, settings, smtp):
    inbox, port = smtp
    ids = flagged(store)
    dead = with_port(settings, free_port())

    failed = run_digest(factory, dead, formats=(), email=True, now=NOW)
    assert not failed.ok
    assert "connection refused" in failed.errors[0]
    assert set(store.deliveries("email").values()) == {"claimed"}
    with factory() as session:
        run = session.scalars(select(DigestRun)).one()
        assert run.status == "failed" and "connection refused" in run.detail
        first_message_id = run.message_id

    # Still dead: the failed run is retried, nothing new is piled onto the channel.
    again = run_digest(factory, dead, formats=(), email=True, now=NOW + timedelta(minutes=30))
    assert not again.ok and [o.resumed for o in again.outcomes] == [True]

    ok = run_digest(factory, settings, formats=(), email=True, now=NOW + timedelta(hours=1))
    assert ok.ok and [o.resumed for o in ok.outcomes] == [True]
    assert len(inbox.messages) == 1
    assert inbox.messages[0][1]["Message-ID"] == first_message_id
    assert store.deliveries("email") == {i: "sent" for i in ids.values()}

    assert run_digest(factory, settings, formats=(), email=True, now=NOW + timedelta(hours=2)).outcomes[
        0
    ].status == ("skipped")
    assert len(inbox.messages) == 1


def test_max_items_leaves_the_rest_for_the_next_run(store, factory, settings):
    from dataclasses import replace

    flagged(store)
    small = replace(settings, max_items=1)
    first = run_digest(factory, small, formats=("json",), now=NOW)
    second = run_digest(factory, small, formats=("json",), now=NOW + timedelta(minutes=1))
    third = run_digest(factory, small, formats=("json",), now=NOW + timedelta(minutes=2))
    fourth = run_digest(factory, small, formats=("json",), now=NOW + timedelta(minutes=3))
    assert [r.outcomes[0].articles for r in (first, second, third)] == [1, 1, 1]
    assert fourth.outcomes[0].status == "skipped"
    # Core before related: the related story comes last.
    assert '"label": "related"' in third.paths[0].read_text(encoding="utf-8")


def test_dry_run_claims_nothing(store, factory, settings, smtp):
    inbox, _ = smtp
    flagged(store)
    preview = run_digest(factory, settings, email=True, dry_run=True, now=NOW)
    assert [o.status for o in preview.outcomes] == ["preview", "preview"]
    assert all(p.name.startswith("preview-") for p in preview.paths)
    assert inbox.messages == [] and store.deliveries("files") == {} and store.deliveries("email") == {}
    real = run_digest(factory, settings, email=True, now=NOW)
    assert real.outcomes[0].articles == 3 and len(inbox.messages) == 1


def test_since_until_bound_the_items(store, factory, settings):
    flagged(store)  # fetched NOW - 3 h
    late = NOW + timedelta(hours=5)
    store.add(
        ArticleSpec(
            "https://one.example/late", "خبر لاحق عن تمويل الإرهاب بالعملات المشفرة", OTHER, fetched_at=late
        )
    )
    early = run_digest(factory, settings, formats=("json",), until=NOW, now=late + timedelta(hours=1))
    assert early.outcomes[0].articles == 3
    rest = run_digest(factory, settings, formats=("json",), since=NOW, now=late + timedelta(hours=1))
    assert rest.outcomes[0].articles == 1


def test_empty_day_note_and_skip(store, factory, settings, smtp):
    from dataclasses import replace

    inbox, _ = smtp
    # Healthy sources: a finished crawl and a fresh article each, all delivered already.
    for name in ("wire-one", "wire-two", "quiet-three"):
        store.crawl_run([name], "finished", NOW - timedelta(hours=2))
        store.add(ArticleSpec(f"https://{name}.example/x", "خبر", OTHER, source=name, label="none"))
    skip = run_digest(factory, settings, formats=("html",), email=True, now=NOW)
    assert [o.status for o in skip.outcomes] == ["skipped", "skipped"] and inbox.messages == []

    note = run_digest(factory, replace(settings, empty_day="note"), formats=("html",), email=True, now=NOW)
    assert [o.status for o in note.outcomes] == ["sent", "sent"]
    ((_, message),) = inbox.messages
    assert "لا قصص جديدة" in message["Subject"] and "3" in message["Subject"]
    text, html = bodies(message)
    assert "لا قصص جديدة. 3 مصدرًا سليمًا." in text
    assert 'id="empty"' in html


def test_empty_day_with_a_broken_source_still_alerts(store, factory, settings, smtp):
    inbox, _ = smtp
    store.crawl_run(
        ["wire-one"],
        "failed",
        NOW - timedelta(hours=2),
        errors=[{"source": "wire-one", "reason": "http_500"}],
    )
    result = run_digest(factory, settings, formats=(), email=True, now=NOW)
    assert result.outcomes[0].status == "sent"
    _, html = bodies(inbox.messages[0][1])
    assert "http_500" in html


def test_articles_of_a_crawl_still_running_wait_for_it_to_end(store, factory, settings):
    """A running crawl may still re-judge what it stored (bodies cleaned again once the outlet's
    template is learned): its stories go out with the next digest after it ends. A run left
    "running" for hours died without saying so and holds nothing back."""
    from sqlalchemy import update

    from storage.models import CrawlRun

    def set_runs(**values) -> None:
        with factory.begin() as session:
            session.execute(update(CrawlRun).values(**values))

    ids = flagged(store)
    set_runs(status="running", finished_at=None, started_at=NOW - timedelta(minutes=5))
    first = run_digest(factory, settings, formats=("json",), now=NOW)
    assert first.outcomes[0].status == "skipped" and store.deliveries("files") == {}

    set_runs(status="finished", finished_at=NOW)
    second = run_digest(factory, settings, formats=("json",), now=NOW + timedelta(minutes=1))
    assert second.outcomes[0].articles == 3 and set(store.deliveries("files")) == set(ids.values())

    late = store.add(ArticleSpec("https://one.example/z", "خبر من زحف انقطع دون أن يقول", WIRE + " "))
    set_runs(status="running", finished_at=None, started_at=NOW - timedelta(hours=7))
    third = run_digest(factory, settings, formats=("json",), now=NOW + timedelta(minutes=2))
    assert third.outcomes[0].articles == 1 and set(late.values()) <= set(store.deliveries("files"))
