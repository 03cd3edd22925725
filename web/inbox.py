"""The inbox: flagged stories (core, related) newest first, each story once with its copies in other
outlets, filters (label, period, outlet, country, language, rule fired, review state), counts per
label, how many await review, and the reviewed items' precision and recall.

Rows are paged in SQL (articles, newest first); copies are grouped for the page shown only
(web/copies.py). An article whose story has a newer member that also passes the filters is listed
under that member, on this page or an earlier one, so each story is listed once and a page may hold
fewer than PAGE_SIZE rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Text, cast, func, select
from starlette.requests import Request
from starlette.responses import Response

from storage.models import Article, Classification, Review, Source, utcnow
from storage.reviews import awaiting_review, figures, latest_review_ids
from storage.search import latest_verdict
from web.auth import require_user
from web.copies import WORDS as COPY_WORDS
from web.copies import Anchor, copy_rows, flagged, stories_of, when
from web.i18n import translator

PAGE_SIZE = 25
FLAGGED = ("core", "related")
PERIODS = {"1": 1, "7": 7, "30": 30}
STATES = ("awaiting", "reviewed", "relevant", "false_alarm")
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
WORDS: dict[str, dict[str, str]] = {
    "country": {"ar": "البلد", "en": "Country"},
    "language": {"ar": "اللغة", "en": "Language"},
    "rule": {"ar": "القاعدة", "en": "Rule fired"},
    "hidden_copies": {
        "ar": "{n} من مقالات هذه الصفحة نسخ من أخبار أحدث عُرضت في صفحة سابقة",
        "en": "{n} articles of this page are copies of newer stories listed on an earlier page",
    },
    "unknown_rule": {
        "ar": "لا قاعدة بهذا الاسم: «{name}»؛ لم تطبق هذه التصفية",
        "en": "No rule is named «{name}»: that filter was not applied",
    },
}


@dataclass(frozen=True)
class Filters:
    label: str = ""
    period: str = ""
    outlet: str = ""
    country: str = ""
    language: str = ""
    rule: str = ""
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
            label=label if label in FLAGGED else "",
            period=period if period in PERIODS else "",
            outlet=q.get("outlet", "")[:100],
            country=q.get("country", "").strip()[:8],
            language=q.get("language", "").strip()[:16],
            rule=q.get("rule", "").strip()[:100],
            state=state if state in STATES else "",
            page=page,
        )

    def query(self, **changes: Any) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == 1)})


def _fired(rule: str) -> Any:
    # The rule names are validated (_NAME), so their JSON form is the name in quotes; LIKE on the
    # JSON text works the same on SQLite and PostgreSQL. "_" is a LIKE wildcard: escaped.
    escaped = rule.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(Classification.rules, Text).like(f'%"{escaped}"%', escape="\\")


def _filtered(
    stmt: Any,
    filters: Filters,
    now: datetime,
    *,
    with_label: bool = True,
    by_date: bool = True,
    dialect: str = "sqlite",
) -> Any:
    """``stmt`` restricted to the flagged articles the filters keep. ``by_date``: let the database
    walk the articles by date (a page in date order); else by label (a count over every date)."""
    stmt = stmt.join(Classification, Classification.article_id == Article.id).outerjoin(
        Source, Source.id == Article.source_id
    )
    labels = (filters.label,) if with_label and filters.label else FLAGGED
    stmt = stmt.where(flagged(labels, dialect) if by_date else Classification.label.in_(labels))
    if filters.period:
        stmt = stmt.where(when() >= now - timedelta(days=PERIODS[filters.period]))
    if filters.outlet:
        stmt = stmt.where(Source.name == filters.outlet)
    if filters.country:
        stmt = stmt.where(Source.country == filters.country)
    if filters.language:
        stmt = stmt.where(Article.language == filters.language)
    if filters.rule:
        stmt = stmt.where(_fired(filters.rule))
    reviewed = select(Review.id).where(Review.article_id == Article.id).exists()
    if filters.state == "awaiting":
        stmt = stmt.where(~reviewed)
    elif filters.state == "reviewed":
        stmt = stmt.where(reviewed)
    elif filters.state:
        stmt = stmt.where(latest_verdict() == filters.state)
    return stmt


def _counts(session: Any, filters: Filters, now: datetime) -> dict[str, int]:
    """Flagged articles per label under the other filters; from the classifications alone (their
    label index) when no filter needs the article, its source or its reviews."""
    if filters.period or filters.outlet or filters.country or filters.language or filters.state:
        stmt = _filtered(
            select(Classification.label, func.count()).select_from(Article),
            filters,
            now,
            with_label=False,
            by_date=False,
        )
    else:
        stmt = select(Classification.label, func.count()).where(Classification.label.in_(FLAGGED))
        if filters.rule:
            stmt = stmt.where(_fired(filters.rule))
    return dict(session.execute(stmt.group_by(Classification.label)).all())


def _verdicts(session: Any, ids: list[int]) -> dict[int, str]:
    """The latest verdict of each of the page's articles that has one."""
    if not ids:
        return {}
    stmt = select(Review.article_id, Review.verdict).where(
        Review.id.in_(latest_review_ids()), Review.article_id.in_(ids)
    )
    return dict(session.execute(stmt).all())


def _rule_names(packs: dict[str, Any]) -> list[str]:
    return sorted({rule.name for pack in packs.values() for rule in pack.rules})


def filter_choices(session: Any, packs: dict[str, Any]) -> dict[str, list[Any]]:
    """What the filters offer: outlets, countries and languages of the configured sources (and the
    rule packs' languages), the packs' rules."""
    sources = session.execute(
        select(Source.name, Source.outlet, Source.country, Source.language).order_by(Source.outlet)
    ).all()
    return {
        "outlets": [(s.name, s.outlet) for s in sources],
        "countries": sorted({s.country for s in sources if s.country}),
        "languages": sorted({s.language for s in sources if s.language} | set(packs)),
        "rules": _rule_names(packs),
    }


def _group_page(session: Any, rows: list[Any], filters: Filters, now: datetime) -> tuple[list, int]:
    """(row, copies) for each story of the page, and how many of the page's articles were listed
    as copies on an earlier page."""
    if not rows:
        return [], 0
    stories = stories_of(session, [Anchor(r.id, r.published_at or r.fetched_at) for r in rows])
    members = {m for story in stories.values() for m in story.article_ids}
    passing = set()
    if members:
        passing = set(
            session.scalars(
                _filtered(
                    select(Article.id).select_from(Article), filters, now, dialect=session.get_bind().dialect.name
                ).where(
                    Article.id.in_(sorted(members))
                )
            )
        )
    order = {
        a.article_id: ((a.published_at or a.fetched_at), a.article_id)
        for s in stories.values()
        for a in s.articles
    }
    on_page = {r.id for r in rows}
    out, earlier = [], 0
    for r in rows:
        story = stories.get(r.id)
        mine = ((r.published_at or r.fetched_at), r.id)
        newer = [m for m in story.article_ids if m in passing and order[m] > mine] if story else []
        if newer:
            # Listed under the newest member of its story: on this page, or on an earlier one.
            earlier += not on_page.intersection(newer)
            continue
        out.append((r, copy_rows(story, r.id) if story is not None else []))
    return out, earlier


async def inbox_page(request: Request) -> Response:
    require_user(request)
    filters = Filters.from_request(request)
    language = request.session.get("lang", "ar")
    t = translator({**COPY_WORDS, **WORDS}, language)
    packs = request.app.state.packs()
    notes = []
    if filters.rule and (not _NAME.match(filters.rule) or filters.rule not in _rule_names(packs)):
        notes.append(t("unknown_rule", name=filters.rule))
        filters = Filters(**{**filters.__dict__, "rule": ""})
    now = utcnow()
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
            ).select_from(Article),
            filters,
            now,
            dialect=session.get_bind().dialect.name,
        )
        counts = _counts(session, filters, now)
        total = counts.get(filters.label, 0) if filters.label else sum(counts.values())
        rows = session.execute(
            stmt.order_by(when().desc(), Article.id.desc())
            .offset((filters.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        grouped, hidden = _group_page(session, list(rows), filters, now)
        verdicts = _verdicts(session, [r.id for r, _ in grouped])
        choices = filter_choices(session, packs)
        waiting = awaiting_review(session)
        metrics = figures(session)
    stories = [
        {
            "id": r.id,
            "title": r.title or "—",
            "outlet": r.outlet or r.sitename or "",
            "date": (r.published_at or r.fetched_at).date().isoformat(),
            "label": r.label,
            "score": f"{r.score:g}",
            "verdict": verdicts.get(r.id, ""),
            "copies": copies,
        }
        for r, copies in grouped
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "t": t,
        "filters": filters,
        "stories": stories,
        "hidden": hidden,
        "notes": notes,
        "counts": {label: counts.get(label, 0) for label in FLAGGED},
        "total": total,
        "waiting": waiting,
        "metrics": metrics,
        **choices,
        "periods": list(PERIODS),
        "states": STATES,
        "labels": FLAGGED,
        "page": filters.page,
        "pages": pages,
        "newer": f"?{filters.query(page=filters.page - 1)}" if filters.page > 1 else "",
        "older": f"?{filters.query(page=filters.page + 1)}" if filters.page < pages else "",
    }
    return request.app.state.render(request, "inbox.html", context)
