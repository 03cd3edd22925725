"""One digest run across channels: resume what was left, claim what is due, deliver, confirm.

``run_digest`` is what ``raqib digest`` and the daemon call. The delivery protocol and its one
remaining double-delivery window are described in ``digests/select.py``.

Empty days: with ``empty_day = "note"`` a short "no new stories, N sources healthy" digest goes out;
with ``"skip"`` nothing does — unless a source's latest crawl failed in the period, because a monitor
that goes blind silently is worse than one that sends a short alert. (Quiet or stale sources are
listed in every digest that goes out, but do not by themselves make an empty day send.)
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from digests import select as sel
from digests.config import ConfigError, DigestSettings
from digests.feed import update_rolling_feed
from digests.group import group_stories
from digests.health import source_health
from digests.mailer import MailError, OutgoingMail, build_message, send
from digests.models import DigestRun
from digests.render import DigestDocument, build_document, digest_paths, render_html, render_text, write_files
from digests.text import one_line

log = logging.getLogger(__name__)

# Test hook: "claimed:30" sleeps 30 s after the claim is committed, "accepted:30" after the SMTP
# server accepted the e-mail (or the files were written) and before the confirm. The crash tests
# SIGKILL the process while it sleeps there.
PAUSE_ENV = "RAQIB_DIGEST_PAUSE"

SessionFactory = Callable[[], Session]


@dataclass
class ChannelOutcome:
    channel: str
    status: str  # sent | failed | skipped | preview
    run_id: int | None = None
    stories: int = 0
    articles: int = 0
    paths: list[Path] = field(default_factory=list)
    feed: Path | None = None  # the rolling Atom feed this run updated (digests/feed.py)
    recipients: tuple[str, ...] = ()
    message_id: str = ""
    resumed: bool = False
    error: str = ""


@dataclass
class DigestResult:
    outcomes: list[ChannelOutcome] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [p for o in self.outcomes for p in o.paths]

    @property
    def feeds(self) -> list[Path]:
        return [o.feed for o in self.outcomes if o.feed is not None]

    @property
    def emailed(self) -> list[ChannelOutcome]:
        return [o for o in self.outcomes if o.channel == "email" and o.status == "sent"]

    @property
    def errors(self) -> list[str]:
        return [o.error for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "paths": [str(p) for p in self.paths],
            "feeds": [str(p) for p in self.feeds],
            "runs": [
                {
                    "channel": o.channel,
                    "status": o.status,
                    "run_id": o.run_id,
                    "stories": o.stories,
                    "articles": o.articles,
                    "recipients": list(o.recipients),
                    "resumed": o.resumed,
                    "error": o.error,
                }
                for o in self.outcomes
            ],
        }


def _pause(point: str, run_id: int | None) -> None:
    spec = os.environ.get(PAUSE_ENV, "")
    name, _, seconds = spec.partition(":")
    if name == point:
        print(f"raqib-digest: paused at {point} (run {run_id})", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 60))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}: give a time zone (e.g. +03:00 or Z)")
    return value.astimezone(UTC)


def run_digest(
    session_factory: SessionFactory,
    settings: DigestSettings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    formats: Sequence[str] | None = None,
    out_dir: Path | str | None = None,
    email: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> DigestResult:
    """Deliver every flagged article not yet delivered, once per channel ("files", "email").

    ``formats``/``out_dir`` default to the settings; ``formats=()`` writes no files. ``email``
    sends to ``settings.email.recipients``. ``dry_run`` claims nothing, sends nothing and writes
    previews (``preview-*`` files). Failures are reported in the result, never raised, except
    configuration errors (raised before anything is claimed).
    """
    now = _utc(now) or datetime.now(UTC)
    until = _utc(until) or now
    since = _utc(since)
    if since is not None and since >= until:
        raise ConfigError(f"--since {since.isoformat()} is not before --until {until.isoformat()}")
    formats = tuple(settings.formats if formats is None else formats)
    out = Path(out_dir) if out_dir is not None else settings.out_dir
    if email and not settings.email.recipients:
        raise ConfigError(f"{settings.source_file or '<defaults>'}: [email] recipients: none configured")

    result = DigestResult()
    channels = ([("files", None)] if formats else []) + ([("email", None)] if email else [])
    for channel, _ in channels:
        runner = _Channel(session_factory, settings, channel, formats, out, now)
        if dry_run:
            result.outcomes.append(runner.preview(since, until))
        else:
            result.outcomes.extend(runner.run(since, until))
    return result


class _Channel:
    """Delivery of one channel for one run_digest call."""

    def __init__(
        self,
        factory: SessionFactory,
        settings: DigestSettings,
        channel: str,
        formats: tuple[str, ...],
        out_dir: Path,
        now: datetime,
    ):
        self.factory, self.settings, self.channel = factory, settings, channel
        self.formats, self.out_dir, self.now = formats, out_dir, now
        self.owner = sel.owner_token()

    # -- the protocol ---------------------------------------------------------------------------------

    def run(self, since: datetime | None, until: datetime) -> list[ChannelOutcome]:
        outcomes = []
        timeout = timedelta(minutes=self.settings.claim_timeout_minutes)
        with self.factory() as session:
            stale = [
                (r.id, r.attempt)
                for r in sel.resumable_runs(session, self.channel, now=self.now, claim_timeout=timeout)
            ]
        for run_id, attempt in stale:
            with self.factory() as session, session.begin():
                run = session.get(DigestRun, run_id)
                claim = (
                    sel.take_over(session, run, now=self.now, owner=self.owner)
                    if run and run.attempt == attempt
                    else None
                )
            if claim is None:
                continue
            outcome = self.deliver(claim)
            outcomes.append(outcome)
            if outcome.status == "failed":
                return outcomes  # the channel is down: do not pile new runs onto it

        with self.factory() as session, session.begin():
            health_since = since or sel.last_sent_at(session, self.channel)
            if health_since is None or health_since >= until:
                health_since = until - timedelta(hours=self.settings.health.window_hours)
            claim = sel.claim_new(
                session,
                self.channel,
                since=since,
                until=until,
                now=self.now,
                owner=self.owner,
                limit=self.settings.max_items,
                mail_domain=self.settings.email.sender_address.rpartition("@")[2] or "raqib.invalid",
                period_start=health_since,
                keep_empty=True,
            )
        _pause("claimed", claim.run_id)
        # An empty day is reported once: not when a resumed run already went out in this call.
        if not claim.article_ids and (outcomes or not self._send_empty(claim)):
            with self.factory() as session, session.begin():
                session.execute(delete(DigestRun).where(DigestRun.id == claim.run_id))
            if not outcomes:
                outcomes.append(ChannelOutcome(self.channel, "skipped", run_id=None))
            return outcomes
        outcomes.append(self.deliver(claim))
        return outcomes

    def _send_empty(self, claim: sel.Claim) -> bool:
        if self.settings.empty_day == "note":
            return True
        with self.factory() as session:
            report = source_health(
                session,
                since=claim.period_start or claim.period_end,
                until=claim.period_end,
                settings=self.settings.health,
            )
        return any(h.status == "failed" for h in report.sources)

    def deliver(self, claim: sel.Claim) -> ChannelOutcome:
        outcome = ChannelOutcome(
            self.channel, "failed", run_id=claim.run_id, message_id=claim.message_id, resumed=claim.resumed
        )
        try:
            doc = self.document(
                claim.article_ids, claim.period_start, claim.period_end, f"run {claim.run_id}"
            )
            outcome.stories, outcome.articles = len(doc.stories), doc.article_count
            if self.channel == "files":
                paths = self.paths(claim.created_at, f"digest-{self._stamp(claim.created_at)}-{claim.run_id}")
                outcome.paths = write_files(doc, self.formats, paths)
                if "atom" in self.formats:
                    outcome.feed = update_rolling_feed(self.out_dir, paths[self.formats.index("atom")])
                _pause("accepted", claim.run_id)
                self.confirm(claim)
            else:
                message = build_message(self.settings.email, self.mail(doc, claim.message_id))

                def accepted() -> None:
                    _pause("accepted", claim.run_id)
                    self.confirm(claim)

                outcome.recipients = tuple(send(self.settings.email, message, on_accepted=accepted))
        except Exception as exc:  # noqa: BLE001 - any failure leaves the run retryable, not stuck "claimed"
            outcome.error = one_line(str(exc), 300) or type(exc).__name__
            if not isinstance(exc, MailError | OSError):
                outcome.error = f"{type(exc).__name__}: {outcome.error}"
            log.error("digest: %s run %d failed: %s", self.channel, claim.run_id, outcome.error)
            log.debug("digest failure", exc_info=True)
            with self.factory() as session, session.begin():
                if claim.article_ids:
                    sel.mark_failed(session, claim, outcome.error)
                else:
                    # An empty note that failed is not worth retrying tomorrow.
                    session.execute(delete(DigestRun).where(DigestRun.id == claim.run_id))
            return outcome
        outcome.status = "sent"
        log.info(
            "digest: %s run %d delivered %d stories (%d articles)%s",
            self.channel,
            claim.run_id,
            outcome.stories,
            outcome.articles,
            " (resumed)" if claim.resumed else "",
        )
        return outcome

    def confirm(self, claim: sel.Claim) -> None:
        with self.factory() as session, session.begin():
            sel.confirm(session, claim, now=datetime.now(UTC))

    def preview(self, since: datetime | None, until: datetime) -> ChannelOutcome:
        with self.factory() as session:
            ids = sel.due_article_ids(
                session, self.channel, since=since, until=until, limit=self.settings.max_items
            )
            health_since = since or sel.last_sent_at(session, self.channel)
        if health_since is None or health_since >= until:
            health_since = until - timedelta(hours=self.settings.health.window_hours)
        doc = self.document(ids, health_since, until, "preview")
        outcome = ChannelOutcome(
            self.channel, "preview", stories=len(doc.stories), articles=doc.article_count
        )
        if self.channel == "files":
            outcome.paths = write_files(
                doc, self.formats, self.paths(self.now, f"preview-{self._stamp(self.now)}")
            )
        else:
            outcome.recipients = self.settings.email.recipients
        return outcome

    # -- building blocks ------------------------------------------------------------------------------

    def document(
        self, article_ids: Sequence[int], period_start: datetime | None, period_end: datetime, label: str
    ) -> DigestDocument:
        with self.factory() as session:
            articles = sel.load_articles(session, article_ids)
            health = source_health(
                session,
                since=period_start or period_end - timedelta(hours=self.settings.health.window_hours),
                until=period_end,
                settings=self.settings.health,
            )
        return build_document(
            group_stories(articles),
            health,
            title=self.settings.title,
            feed_id=self.settings.feed_id,
            timezone=self.settings.timezone,
            generated_at=self.now,
            period_start=period_start,
            period_end=period_end,
            run_label=label,
        )

    def _stamp(self, when: datetime) -> str:
        return when.astimezone(self.settings.tz).strftime("%H%M%S")

    def paths(self, created_at: datetime, stem: str) -> list[Path]:
        return digest_paths(
            self.out_dir, self.formats, created_at=created_at, timezone=self.settings.timezone, stem=stem
        )

    def mail(self, doc: DigestDocument, message_id: str) -> OutgoingMail:
        day = doc.period_end.astimezone(self.settings.tz).strftime("%Y-%m-%d")
        if doc.empty:
            subject = (
                f"{self.settings.email.subject_prefix} {day}: لا قصص جديدة، {doc.health.healthy} مصدرًا سليمًا"
            )
        else:
            lead = doc.stories[0].title
            subject = f"{self.settings.email.subject_prefix} {day}: {len(doc.stories)} قصة — {lead}"
        return OutgoingMail(
            subject=one_line(subject, 180),
            text=render_text(doc),
            html=render_html(doc),
            message_id=message_id,
            date=self.now,
        )
