"""Search: every stored article, flagged or not, Arabic-aware (storage/search.py), with the inbox's
filters, a search by concept or rule, marked snippets, and — for an article that is not flagged — a
*missed* verdict for reviewers and admins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storage import search as store
from storage.db import DatabaseError
from storage.models import Article, Review
from storage.reviews import REVIEW_LABELS, ReviewError, add_review, latest_review_ids
from web.auth import LoginRequired, check_csrf, require_reviewer, require_user, safe_next
from web.i18n import translator
from web.inbox import STATES, filter_choices
from web.inbox import WORDS as INBOX_WORDS

PERIODS = {"1": 1, "7": 7, "30": 30}
WORDS: dict[str, dict[str, str]] = {
    "search": {"ar": "بحث", "en": "Search"},
    "query": {"ar": "كلمات البحث", "en": "Words"},
    "concept": {"ar": "مفهوم أو قاعدة", "en": "Concept or rule"},
    "search_hint": {
        "ar": "يبحث في كل المقالات المخزنة، المصنفة وغيرها؛ الهمزات والحركات وأدوات مثل «و» و«ال» و«بال» لا تهم.",
        "en": "Searches every stored article, flagged or not; hamza, diacritics and clitics such as و, ال, بال do not matter.",
    },
    "n_results": {"ar": "{n} نتيجة", "en": "{n} results"},
    "no_results": {"ar": "لا نتائج", "en": "No results"},
    "q_empty": {
        "ar": "اكتب كلمة للبحث (علامات الترقيم وحدها لا تكفي)",
        "en": "Type a word to search for (punctuation alone is not enough)",
    },
    "q_shortened": {
        "ar": "الاستعلام طويل: بُحث عن أول {n} كلمات فقط",
        "en": "Query too long: only its first {n} words were searched",
    },
    "bad_concept": {"ar": "اسم المفهوم أو القاعدة غير صالح", "en": "Not a concept or rule name"},
    "mark_missed": {"ar": "فاته التصنيف", "en": "Mark missed"},
    "missed_as": {"ar": "كان يستحق", "en": "should be"},
    "unknown_choice": {
        "ar": "«{value}» ليست من خيارات «{what}»؛ لم تطبق هذه التصفية",
        "en": "«{value}» is not one of the choices for {what}: that filter was not applied",
    },
}


def words(language: str) -> Callable[..., str]:
    # The inbox's filter names (country, language) are the search's too.
    return translator({**INBOX_WORDS, **WORDS}, language)


@dataclass(frozen=True)
class Form:
    q: str = ""
    concept: str = ""
    label: str = ""
    period: str = ""
    outlet: str = ""
    country: str = ""
    language: str = ""
    state: str = ""
    page: int = 1

    @classmethod
    def from_request(cls, request: Request) -> Form:
        p = request.query_params
        try:
            page = max(1, min(int(p.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        label, period = p.get("label", ""), p.get("period", "")
        # Country, language and state are checked against the page's choices (see checked()).
        return cls(
            q=p.get("q", "")[: store.MAX_QUERY_CHARS * 20],
            concept=p.get("concept", "").strip()[:100],
            label=label if label in store.LABELS else "",
            period=period if period in PERIODS else "",
            outlet=p.get("outlet", "")[:100],
            country=p.get("country", "").strip()[:100],
            language=p.get("language", "").strip()[:100],
            state=p.get("state", "").strip()[:100],
            page=page,
        )

    def checked(self, choices: dict[str, list[Any]], t: Callable[..., str]) -> tuple[Form, list[str]]:
        """The form without the country, language or review state that is not one of the choices,
        and a note for each value dropped."""
        allowed = {
            "country": choices["countries"],
            "language": choices["languages"],
            "state": STATES,
        }
        dropped = {k: v for k, v in self.__dict__.items() if k in allowed and v and v not in allowed[k]}
        notes = [t("unknown_choice", value=v[:16], what=t(k)) for k, v in dropped.items()]
        return replace(self, **dict.fromkeys(dropped, "")), notes

    def query(self, **changes: Any) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == 1)})


async def search_page(request: Request) -> Response:
    user = require_user(request)
    t = words(request.session.get("lang", "ar"))
    results, verdicts = None, {}
    packs = request.app.state.packs()
    with request.app.state.read() as session:
        choices = filter_choices(session, packs)
        form, notes = Form.from_request(request).checked(choices, t)
        asked = bool(form.q.strip() or form.concept)
        if asked:
            filters = store.Filters(
                label=form.label,
                days=PERIODS.get(form.period),
                outlet=form.outlet,
                concept=form.concept,
                country=form.country,
                language=form.language,
                state=form.state,
            )
            results = store.search(session, form.q, filters, form.page)
            hit_ids = [hit.id for hit in results.hits]
            if hit_ids:
                verdicts = dict(
                    session.execute(
                        select(Review.article_id, Review.verdict).where(
                            Review.id.in_(latest_review_ids()), Review.article_id.in_(hit_ids)
                        )
                    ).all()
                )
    pages = results.pages if results else 1
    page = results.page if results else 1
    context = {
        "t": t,
        "form": form,
        "notes": notes,
        "asked": asked,
        "results": results,
        "verdicts": verdicts,
        "outlets": choices["outlets"],
        "countries": choices["countries"],
        "languages": choices["languages"],
        "states": STATES,
        "periods": list(PERIODS),
        "labels": store.LABELS,
        "review_labels": REVIEW_LABELS,
        "can_review": user.can_review,
        "max_words": store.MAX_QUERY_WORDS,
        "here": "/search" + (f"?{form.query(page=page)}" if form.query(page=page) else ""),
        "newer": f"?{form.query(page=page - 1)}" if page > 1 else "",
        "older": f"?{form.query(page=page + 1)}" if page < pages else "",
        "error": request.query_params.get("error", "")[:200],
    }
    return request.app.state.render(request, "search.html", context)


async def mark_missed(request: Request) -> Response:
    """POST /story/{id}/missed: a reviewer says an unflagged article deserved ``label``."""
    if not request.session.get("user"):
        # The session expired: nothing is stored; back to the sign-in, then to the same results.
        raise LoginRequired(safe_next(str((await request.form()).get("back") or "")))
    form = await check_csrf(request)
    user = require_reviewer(request)
    article_id = int(request.path_params["article_id"])
    label = form.get("label", "")
    if label not in REVIEW_LABELS:
        raise HTTPException(400)
    back = safe_next(form.get("back"))
    try:
        with request.app.state.write() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise HTTPException(404)
            if article.classification is not None and article.classification.label in REVIEW_LABELS:
                raise ReviewError(f"article {article_id} is flagged: mark it relevant or a false alarm")
            add_review(session, article_id, "missed", user.name, label=label, note=form.get("note", ""))
    except ReviewError as error:
        return RedirectResponse(_with_error(back, str(error)), status_code=303)
    except DatabaseError:
        # SQLite's busy handler already waited (the engine's busy timeout) for the lock to clear.
        message = words(request.session.get("lang", "ar"))("db_busy")
        return RedirectResponse(_with_error(back, message), status_code=303)
    return RedirectResponse(back, status_code=303)


def _with_error(back: str, message: str) -> str:
    sep = "&" if "?" in back else "?"
    return f"{back}{sep}{urlencode({'error': message})}"
