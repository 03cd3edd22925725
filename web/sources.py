"""The Sources page: every source's health exactly as the digest computes it (digests/health.py),
its last successful crawl, its articles per day over the last weeks, and the recent crawl runs with
their failures by reason.

One query per kind of fact, never one per source, so hundreds of sources stay cheap: the health
report (digests/health.py's own queries), the sources, the last success per distinct run-source list,
the articles per source and day, and the recent runs.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, or_, select
from starlette.requests import Request
from starlette.responses import Response

from storage.models import Article, CrawlRun, Source, utcnow
from web.auth import require_user
from web.ops_words import translator

DEFAULT_WEEKS = 4
MAX_WEEKS = 12
RECENT_RUNS = 30
LEVELS = 4  # bar shades d1..d4 (d0: no article that day)
FAILED_STATS = ("raqib/fetch/failed/", "raqib/extract/failed/")


def digest_settings(request: Request) -> Any:
    """The digest's settings ($RAQIB_CONFIG or defaults, as `raqib digest` reads them without
    --config); an app may set ``app.state.digest_settings`` instead."""
    settings = getattr(request.app.state, "digest_settings", None)
    if settings is None:
        from digests.config import load_settings

        settings = load_settings()
    return settings


def run_sources(run: CrawlRun) -> list[str]:
    """The sources a run covered (an empty list: every source)."""
    return [n.strip() for n in (run.sources or "").split(",") if n.strip()]


def run_failures(run: CrawlRun) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A run's recorded failures by reason (crawl_runs.errors) and its counted ones (stats)."""
    errors = Counter(str(e.get("reason") or "unknown") for e in (run.errors or []) if isinstance(e, dict))
    counted: Counter[str] = Counter()
    for key, value in (run.stats or {}).items():
        for prefix in FAILED_STATS:
            if key.startswith(prefix) and isinstance(value, int | float) and not isinstance(value, bool):
                counted[key.removeprefix("raqib/")] += int(value)
    return errors.most_common(), sorted(counted.items())


@dataclass(frozen=True)
class Day:
    day: str
    count: int
    level: int


def _day(value: Any) -> str:
    # SQLite's date() gives 'YYYY-MM-DD', PostgreSQL's a date.
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _aware(value: Any) -> datetime | None:
    # max(coalesce(...)) loses the column type: SQLite hands back the stored string.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _weeks(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("weeks", DEFAULT_WEEKS)), MAX_WEEKS))
    except ValueError:
        return DEFAULT_WEEKS


async def sources_page(request: Request) -> Response:
    require_user(request)
    from digests.health import source_health

    settings = digest_settings(request)
    weeks = _weeks(request)
    only = request.query_params.get("source", "")[:100]
    now = getattr(request.app.state, "now", utcnow)()  # tests fix the clock
    until = now
    since = until - timedelta(hours=settings.health.window_hours)
    first_day = (now - timedelta(days=weeks * 7 - 1)).date()
    days = [(first_day + timedelta(days=n)).isoformat() for n in range(weeks * 7)]

    with request.app.state.read() as session:
        report = source_health(session, since=since, until=until, settings=settings.health)
        known = {
            row.name: row
            for row in session.execute(select(Source.id, Source.name, Source.kind, Source.country))
        }
        last_ok_by_list = session.execute(
            select(CrawlRun.sources, func.max(func.coalesce(CrawlRun.finished_at, CrawlRun.started_at)))
            .where(CrawlRun.status == "finished")
            .group_by(CrawlRun.sources)
        ).all()
        day_expr = func.date(Article.fetched_at)
        if session.get_bind().dialect.name == "postgresql":  # days in UTC, whatever the session's zone
            day_expr = func.date(func.timezone("UTC", Article.fetched_at))
        per_day = session.execute(
            select(Article.source_id, day_expr, func.count(Article.id))
            .where(
                Article.fetched_at >= datetime.combine(first_day, time.min, tzinfo=UTC),
                Article.extraction_status == "ok",
            )
            .group_by(Article.source_id, day_expr)
        ).all()
        runs_stmt = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        if only:
            runs_stmt = runs_stmt.where(
                or_(CrawlRun.sources == "", CrawlRun.sources.contains(only, autoescape=True))
            )
        runs = [
            r
            for r in session.scalars(runs_stmt.limit(RECENT_RUNS * (3 if only else 1))).all()
            if not only or not run_sources(r) or only in run_sources(r)
        ][:RECENT_RUNS]
        run_rows = [
            {
                "id": r.id,
                "started": r.started_at,
                "finished": r.finished_at,
                "status": r.status,
                "pages": r.pages_fetched,
                "stored": r.articles_stored,
                "sources": run_sources(r),
                "failures": run_failures(r),
            }
            for r in runs
        ]

    last_ok: dict[str, datetime] = {}
    every: datetime | None = None
    for names, value in last_ok_by_list:
        when = _aware(value)
        if when is None:
            continue
        listed = [n.strip() for n in (names or "").split(",") if n.strip()]
        if not listed:
            every = max(every, when) if every else when
        for name in listed:
            last_ok[name] = max(last_ok[name], when) if name in last_ok else when
    counts: dict[int | None, dict[str, int]] = {}
    for source_id, day, n in per_day:
        counts.setdefault(source_id, {})[_day(day)] = int(n)

    rows = []
    for health in report.sources:
        row = known.get(health.source)
        series = counts.get(row.id, {}) if row is not None else {}
        top = max(series.values(), default=0)
        success = last_ok.get(health.source)
        if every and (success is None or every > success):
            success = every
        rows.append(
            {
                "health": health,
                "kind": row.kind if row is not None else "",
                "country": row.country if row is not None else "",
                "last_success": success,
                "days": [
                    Day(d, series.get(d, 0), math.ceil(LEVELS * series.get(d, 0) / top) if top else 0)
                    for d in days
                ],
                "total": sum(series.get(d, 0) for d in days),
            }
        )

    language = request.session.get("lang", "ar")
    return request.app.state.render(
        request,
        "sources.html",
        {
            "t": translator(language),
            "rows": rows,
            "runs": run_rows,
            "weeks": weeks,
            "week_choices": (1, 2, 4, 8, 12),
            "only": only,
            "window_hours": f"{settings.health.window_hours:g}",
            "until": until,
            "first_day": days[0],
            "last_day": days[-1],
            "runs_link": lambda name: "/sources?" + urlencode({"source": name, "weeks": weeks}) + "#runs",
        },
    )
