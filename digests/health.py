"""Source health for a digest period, from crawl runs and stored articles.

A monitor that silently goes blind is worse than none, so every digest says which sources failed
(their latest crawl in the period failed, timed out or was killed), yielded nothing new, were not
crawled at all, or whose newest item is older than expected — each with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digests.config import HealthSettings
from storage.models import Article, CrawlRun, Source

FAILED_RUN = ("failed", "timeout", "killed")
# Worst first: the order problems are listed in.
SEVERITY = {"failed": 0, "not_crawled": 1, "empty": 2, "stale": 3, "ok": 4}


@dataclass(frozen=True)
class SourceHealth:
    source: str
    outlet: str
    status: str  # ok | failed | not_crawled | empty | stale
    reason: str
    reason_ar: str = ""  # the same reason for the Arabic digest; `reason` stays for logs and JSON readers
    runs: int = 0
    failed_runs: int = 0
    articles: int = 0
    last_run_at: datetime | None = None
    newest_item_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "outlet": self.outlet,
            "status": self.status,
            "reason": self.reason,
            "reason_ar": self.reason_ar,
            "runs": self.runs,
            "failed_runs": self.failed_runs,
            "articles": self.articles,
            "last_run_at": _iso(self.last_run_at),
            "newest_item_at": _iso(self.newest_item_at),
        }


@dataclass(frozen=True)
class HealthReport:
    since: datetime
    until: datetime
    crawl_runs: int
    sources: tuple[SourceHealth, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> tuple[SourceHealth, ...]:
        return tuple(s for s in self.sources if not s.ok)

    @property
    def healthy(self) -> int:
        return sum(1 for s in self.sources if s.ok)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.0f} days"


def count_ar(n: int, one: str, two: str, few: str, many: str) -> str:
    """An Arabic count with its noun in the form the number takes: 1 and 2 without a figure,
    3–10 with the plural, 11 and up (and 0) with the singular accusative or genitive."""
    if n == 1:
        return one
    if n == 2:
        return two
    if 3 <= n % 100 <= 10:
        return f"{n} {few}"
    return f"{n} {many}"


def _age_ar(delta: timedelta) -> str:
    hours = round(delta.total_seconds() / 3600)
    if hours < 72:
        return count_ar(hours, "ساعة واحدة", "ساعتان", "ساعات", "ساعة")
    return count_ar(round(hours / 24), "يوم واحد", "يومان", "أيام", "يومًا")


def _limit_ar(hours: float) -> str:
    if hours == int(hours):
        return count_ar(int(hours), "ساعة واحدة", "ساعتين", "ساعات", "ساعة")
    return f"{hours:g} ساعة"


_RUN_STATUS_AR = {"failed": "فشل", "timeout": "تجاوز المهلة", "killed": "أوقف قسرًا"}


class _Reason:
    """A health reason built in English and Arabic at once, part by part."""

    def __init__(self) -> None:
        self.en: list[str] = []
        self.ar: list[str] = []

    def add(self, en: str, ar: str) -> _Reason:
        self.en.append(en)
        self.ar.append(ar)
        return self

    def fields(self) -> dict[str, str]:
        return {"reason": "; ".join(self.en), "reason_ar": "؛ ".join(self.ar)}


def source_health(
    session: Session, *, since: datetime, until: datetime, settings: HealthSettings
) -> HealthReport:
    """Health of every known source between ``since`` and ``until`` (UTC, aware)."""
    outlets = {name: outlet for name, outlet in session.execute(select(Source.name, Source.outlet))}
    source_ids = dict(session.execute(select(Source.name, Source.id)).all())
    runs = session.scalars(
        select(CrawlRun)
        .where(CrawlRun.started_at >= since, CrawlRun.started_at < until)
        .order_by(CrawlRun.started_at)
    ).all()

    covered: dict[str, list[CrawlRun]] = {}
    for run in runs:
        names = [n.strip() for n in (run.sources or "").split(",") if n.strip()] or list(outlets)
        for name in names:
            covered.setdefault(name, []).append(run)
            outlets.setdefault(name, name)

    stored = dict(
        session.execute(
            select(Article.source_id, func.count(Article.id))
            .where(Article.fetched_at >= since, Article.fetched_at < until, Article.extraction_status == "ok")
            .group_by(Article.source_id)
        ).all()
    )
    newest_expr = func.max(func.coalesce(Article.published_at, Article.fetched_at))
    newest = {
        sid: value
        for sid, value in session.execute(
            select(Article.source_id, newest_expr)
            .where(Article.fetched_at < until, Article.extraction_status == "ok")
            .group_by(Article.source_id)
        ).all()
    }

    report = []
    for name in sorted(outlets):
        sid = source_ids.get(name)
        newest_at = _aware(newest.get(sid)) if sid is not None else None
        report.append(
            _judge(
                name,
                outlets[name] or name,
                covered.get(name, []),
                stored.get(sid, 0) if sid is not None else 0,
                newest_at,
                until,
                settings.max_silence_for(name),
            )
        )
    report = _with_parked_jobs(session, report, since)
    report.sort(key=lambda s: (SEVERITY[s.status], s.source))
    return HealthReport(since=since, until=until, crawl_runs=len(runs), sources=tuple(report))


def _with_parked_jobs(session: Session, report: list[SourceHealth], since: datetime) -> list[SourceHealth]:
    """Cluster mode: a source whose crawl job was parked (it kept killing workers) is failing, whatever
    its other runs did: the daemon holds it back for a day (daemon.cluster.PARK_HOLD)."""
    from dataclasses import replace

    from storage.cluster import parked_sources

    parked = parked_sources(session, since)
    if not parked:
        return report
    return [
        replace(
            entry,
            status="failed",
            reason=f"crawl job parked: {parked[entry.source]}",
            reason_ar="أوقفت مهمة الزحف بعد محاولات متكررة أسقطت العامل: " + parked[entry.source],
        )
        if entry.source in parked
        else entry
        for entry in report
    ]


def _aware(value: datetime | str | None) -> datetime | None:
    # max(coalesce(...)) loses the column type, so SQLite hands back the stored string.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value


def _judge(
    name: str,
    outlet: str,
    runs: list[CrawlRun],
    articles: int,
    newest_at: datetime | None,
    until: datetime,
    max_silence_hours: float,
) -> SourceHealth:
    failed = [r for r in runs if r.status in FAILED_RUN]
    last = runs[-1] if runs else None
    common = {
        "source": name,
        "outlet": outlet,
        "runs": len(runs),
        "failed_runs": len(failed),
        "articles": articles,
        "last_run_at": last.started_at if last else None,
        "newest_item_at": newest_at,
    }
    errors = Counter(
        str(e.get("reason") or "error")
        for r in runs
        for e in (r.errors or [])
        if isinstance(e, dict) and e.get("source") in (None, "", name)
    )
    error_text = ", ".join(f"{reason}×{n}" for reason, n in errors.most_common(3))
    # What the source itself listed (feed items, sitemap entries, listing links), from the crawl's
    # per-source stats: a feed whose stories all came in first through the same outlet's sitemap
    # stores nothing new, yet it is alive.
    links = sum(int((r.stats or {}).get(f"raqib/source/{name}/links", 0) or 0) for r in runs)
    listed = [
        _aware(v)
        for r in runs
        if (v := (r.stats or {}).get(f"raqib/source/{name}/newest_listed"))
    ]
    if listed:
        newest_listed = max(d for d in listed if d is not None)
        if newest_at is None or newest_listed > newest_at:
            newest_at = newest_listed
            common["newest_item_at"] = newest_at
    reason = _Reason()
    errors_part = ("errors: " + error_text, "الأخطاء: " + error_text) if error_text else None
    if last is None:
        reason.add("no crawl run in the period", "لم يُزحف إليه في هذه الفترة")
        return SourceHealth(status="not_crawled", **reason.fields(), **common)
    if last.status in FAILED_RUN:
        reason.add(
            f"latest crawl {last.status}; {len(failed)} of {len(runs)} runs failed",
            f"آخر زحف: {_RUN_STATUS_AR.get(last.status, last.status)}؛ فشل {len(failed)} من {len(runs)}",
        )
        if errors_part:
            reason.add(*errors_part)
        return SourceHealth(status="failed", **reason.fields(), **common)
    if articles == 0 and links > 0:
        fresh = newest_at is not None and until - newest_at <= timedelta(hours=max_silence_hours)
        reason.add(
            f"{links} item(s) listed, all already stored",
            f"أدرج {count_ar(links, 'مادة واحدة', 'مادتين', 'مواد', 'مادة')}، كلها مخزنة من قبل",
        )
        if newest_at:
            reason.add(f"newest listed {_hours(until - newest_at)} old", f"عمر أحدثها {_age_ar(until - newest_at)}")
        return SourceHealth(status="ok" if fresh else "stale", **reason.fields(), **common)
    if articles == 0:
        reason.add(
            f"{len(runs)} crawl run(s), no new article",
            f"{count_ar(len(runs), 'زحف واحد', 'زحفان', 'عمليات زحف', 'عملية زحف')} بلا مقال جديد",
        )
        if newest_at:
            reason.add(f"newest item {_hours(until - newest_at)} old", f"عمر أحدث مادة {_age_ar(until - newest_at)}")
        if errors_part:
            reason.add(*errors_part)
        return SourceHealth(status="empty", **reason.fields(), **common)
    if newest_at is None or until - newest_at > timedelta(hours=max_silence_hours):
        age, age_ar = (_hours(until - newest_at), _age_ar(until - newest_at)) if newest_at else ("unknown", "غير معروف")
        reason.add(
            f"newest item {age} old (expected within {max_silence_hours:g} h)",
            f"عمر أحدث مادة {age_ar} (المتوقع أقل من {_limit_ar(max_silence_hours)})",
        )
        return SourceHealth(status="stale", **reason.fields(), **common)
    reason.add(f"{articles} new article(s)", count_ar(articles, "مقال جديد واحد", "مقالان جديدان", "مقالات جديدة", "مقالًا جديدًا"))
    return SourceHealth(status="ok", **reason.fields(), **common)
