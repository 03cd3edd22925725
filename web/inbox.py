"""The inbox: flagged stories (core, related) newest first, with filters, counts per label, how many
await review, and the reviewed items' precision and recall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from storage.models import Article, Classification, Review, Source, utcnow
from storage.reviews import awaiting_review, latest_review_ids, report
from web.auth import require_user

PAGE_SIZE = 25
FLAGGED = ("core", "related")
PERIODS = {"1": 1, "7": 7, "30": 30}
STATES = ("awaiting", "reviewed", "relevant", "false_alarm")


@dataclass(frozen=True)
class Filters:
    label: str = ""
    period: str = ""
    outlet: str = ""
    state: str = ""
    page: int = 1

    @classmethod
    def from_request(cls, request: Request) -> Filters:
        q = request.query_params
        label = q.get("label", "")
        period = q.get("period", "")
        state = q.get("state", "")
        try:
            page = max(1, min(int(q.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        return cls(
            label if label in FLAGGED else "",
            period if period in PERIODS else "",
            q.get("outlet", "")[:100],
            state if state in STATES else "",
            page,
        )

    def query(self, **changes: Any) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == 1)})


def _when() -> Any:
    return func.coalesce(Article.published_at, Article.fetched_at)


def _latest() -> Any:
    """Each reviewed article's latest verdict (subquery)."""
    return select(Review.article_id, Review.verdict).where(Review.id.in_(latest_review_ids())).subquery()


def _filtered(stmt: Any, filters: Filters, now: datetime, latest: Any, *, with_label: bool = True) -> Any:
    stmt = (
        stmt.join(Classification, Classification.article_id == Article.id)
        .outerjoin(Source, Source.id == Article.source_id)
        .outerjoin(latest, latest.c.article_id == Article.id)
    )
    labels = (filters.label,) if with_label and filters.label else FLAGGED
    stmt = stmt.where(Classification.label.in_(labels))
    if filters.period:
        stmt = stmt.where(_when() >= now - timedelta(days=PERIODS[filters.period]))
    if filters.outlet:
        stmt = stmt.where(Source.name == filters.outlet)
    if filters.state == "awaiting":
        stmt = stmt.where(latest.c.verdict.is_(None))
    elif filters.state == "reviewed":
        stmt = stmt.where(latest.c.verdict.is_not(None))
    elif filters.state:
        stmt = stmt.where(latest.c.verdict == filters.state)
    return stmt


async def inbox_page(request: Request) -> Response:
    require_user(request)
    filters = Filters.from_request(request)
    now = utcnow()
    latest = _latest()
    with request.app.state.read() as session:
        stmt = _filtered(
            select(
                Article.id,
                Article.title,
                Article.sitename,
                Article.published_at,
                Article.fetched_at,
                Classification.label,
                Classification.score,
                Source.outlet,
                Source.name,
                latest.c.verdict,
            ).select_from(Article),
            filters,
            now,
            latest,
        )
        total_stmt = _filtered(select(func.count()).select_from(Article), filters, now, latest)
        total = int(session.execute(total_stmt).scalar_one())
        rows = session.execute(
            stmt.order_by(_when().desc(), Article.id.desc())
            .offset((filters.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        count_stmt = _filtered(
            select(Classification.label, func.count()).select_from(Article),
            filters,
            now,
            latest,
            with_label=False,
        )
        counts = dict(session.execute(count_stmt.group_by(Classification.label)).all())
        outlets = session.execute(select(Source.name, Source.outlet).order_by(Source.outlet)).all()
        waiting = awaiting_review(session)
        metrics = report(session)
    stories = [
        {
            "id": r.id,
            "title": r.title or "—",
            "outlet": r.outlet or r.sitename or "",
            "date": (r.published_at or r.fetched_at).date().isoformat(),
            "label": r.label,
            "score": f"{r.score:g}",
            "verdict": r.verdict or "",
        }
        for r in rows
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "filters": filters,
        "stories": stories,
        "counts": {label: counts.get(label, 0) for label in FLAGGED},
        "total": total,
        "waiting": waiting,
        "metrics": metrics,
        "outlets": outlets,
        "periods": list(PERIODS),
        "states": STATES,
        "labels": FLAGGED,
        "page": filters.page,
        "pages": pages,
        "newer": f"?{filters.query(page=filters.page - 1)}" if filters.page > 1 else "",
        "older": f"?{filters.query(page=filters.page + 1)}" if filters.page < pages else "",
    }
    return request.app.state.render(request, "inbox.html", context)
