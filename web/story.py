"""A story: its text with every match marked and placed, the rules that fired, the score against its
threshold, where the crawl found it, and the review actions (reviewers and admins only)."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from classifiers.evidence import describe_rules, group_terms, merge_spans, paragraph_starts, place
from classifiers.policy import score_meaning
from storage.db import DatabaseError
from storage.models import Article, CrawlRun
from storage.reviews import REASONS, ReviewError, add_review, history
from storage.search_words import pieces
from web.auth import LoginRequired, check_csrf, require_reviewer, require_user
from web.copies import WORDS as COPY_WORDS
from web.copies import Anchor, copy_rows, stories_of
from web.i18n import translator

# A review sent after the session expired waits in the new session (a signed cookie, which browsers
# cap near 4 KB) until its author signs in again; a longer one is shown back to be copied.
PENDING_MAX = 2400
WORDS: dict[str, dict[str, str]] = {
    "current_verdict": {
        "ar": "الحكم الحالي (الأحدث): {verdict} — {who}",
        "en": "Current verdict (latest): {verdict} — {who}",
    },
    "pending": {
        "ar": "انتهت جلستك قبل حفظ مراجعتك، فلم تحفظ. هي معروضة أدناه كما كتبتها: راجعها وأرسلها من جديد.",
        "en": "Your session ended before your review was saved, so it was not. It is below as you wrote it: check it and send it again.",
    },
    "pending_verdict": {"ar": "كنت تضع: {verdict}", "en": "You were marking: {verdict}"},
    "expired": {
        "ar": "انتهت جلستك، فلم تحفظ مراجعتك. انسخ ملاحظتك أدناه ثم سجل الدخول من جديد.",
        "en": "Your session ended, so your review was not saved. Copy your note below, then sign in again.",
    },
    "db_busy": {
        "ar": "قاعدة البيانات مشغولة بعملية أخرى (زحف أو إعادة تصنيف) ولم تتحرر في الوقت: لم تحفظ مراجعتك، وهي أدناه كما كتبتها. أعد الإرسال بعد قليل.",
        "en": "The database is busy with another process (a crawl or a reclassification) and was not freed in time: your review was not saved; it is below as you wrote it. Send it again in a moment.",
    },
}


def _spans(matches: list[dict[str, Any]], field: str, text: str) -> list[tuple[int, int, str]]:
    """(start, end, concept) of the matches of ``field`` whose offsets still fit the stored text."""
    out = []
    for m in matches:
        if (m.get("field") or "text") != field:
            continue
        s, e = m.get("start"), m.get("end")
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)):
            continue
        if m.get("text") and text[s:e] != m["text"]:
            continue  # the text changed since it was classified: the offsets no longer point at it
        out.append((s, e, str(m.get("concept") or "")))
    return out


def paragraphs(text: str, spans: list[tuple[int, int]], language: str) -> list[dict[str, Any]]:
    starts = paragraph_starts(text)
    out = []
    for n, s in enumerate(starts, 1):
        e = text.find("\n", s)
        e = len(text) if e < 0 else e
        cut = pieces(text, s, e, spans)
        marked = any(piece["mark"] for piece in cut)
        part = "lead" if n == 1 else "body"
        out.append({"pieces": cut, "place": place(part, n, language) if marked else "", "marked": marked})
    return out


def _safe_link(url: str) -> str:
    return url if url.lower().startswith(("http://", "https://")) else ""


async def story_page(request: Request) -> Response:
    require_user(request)
    article_id = int(request.path_params["article_id"])
    pending = _take_pending(request, article_id)
    notice = "pending" if pending else ""
    return _render(request, article_id, pending=pending, notice=notice)


def _render(
    request: Request,
    article_id: int,
    *,
    pending: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    language = request.session.get("lang", "ar")
    with request.app.state.read() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise HTTPException(404)
        source = article.source
        run = session.get(CrawlRun, article.crawl_run_id) if article.crawl_run_id else None
        classification = article.classification
        reviews = history(session, article_id)
        story = stories_of(session, [Anchor(article.id, article.published_at or article.fetched_at)])
        copies = copy_rows(story[article.id], article.id) if article.id in story else []
        data = {
            "id": article.id,
            "title": article.title or "—",
            "text": article.text or "",
            "language": article.language or "ar",
            "outlet": (source.outlet if source else "") or article.sitename,
            "source": source.name if source else "",
            "published_at": article.published_at,
            "date_confidence": article.date_confidence or "none",
            "run": {
                "id": run.id,
                "started": run.started_at.isoformat(timespec="minutes"),
                "status": run.status,
            }
            if run
            else None,
            "requested_url": article.requested_url,
            "final_url": article.final_url,
            "canonical_url": article.canonical_url,
            "link": _safe_link(article.canonical_url) or _safe_link(article.final_url),
        }
        decision = (
            {
                "label": classification.label,
                "score": classification.score,
                "rules": list(classification.rules or []),
                "matches": list(classification.matches or []),
                "rules_version": classification.rules_version,
            }
            if classification
            else None
        )
        history_rows = [
            {
                "reviewer": r.reviewer,
                "verdict": r.verdict,
                "reason": r.reason,
                "label": r.label,
                "note": r.note,
                "when": r.created_at.isoformat(timespec="minutes"),
            }
            for r in reviews
        ]
    text_spans, title_spans, rules, terms, score_line = [], [], [], [], ""
    if decision:
        packs = request.app.state.packs()
        pack = packs.get(data["language"]) or packs.get("ar")
        fallback = packs.get("ar") if pack is not packs.get("ar") else None
        text_spans = merge_spans(
            data["text"], [(s, e) for s, e, _ in _spans(decision["matches"], "text", data["text"])]
        )
        title_spans = merge_spans(
            data["title"], [(s, e) for s, e, _ in _spans(decision["matches"], "title", data["title"])]
        )
        rules = describe_rules(decision["rules"], pack, language, fallback)
        terms = [entry.label(language) for entry in group_terms(decision["matches"], data["text"])]
        score_line = score_meaning(
            decision["label"], decision["score"], pack.thresholds if pack else {}, language
        )
    context = {
        "story": data,
        "decision": decision,
        "title_pieces": pieces(data["title"], 0, len(data["title"]), title_spans),
        "title_place": place("title", 0, language) if title_spans else "",
        "paragraphs": paragraphs(data["text"], text_spans, language),
        "rules": rules,
        "terms": terms,
        "score_line": score_line,
        "history": history_rows,
        "copies": copies,
        "reasons": REASONS,
        "error": request.query_params.get("error", "")[:200],
        "t": translator({**COPY_WORDS, **WORDS}, language),
        "pending": pending or {},
        "notice": notice,
    }
    return request.app.state.render(request, "story.html", context, status_code=status_code)


def _pack(form: dict[str, str]) -> str:
    raw = json.dumps(form, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()


def _unpack(blob: object) -> dict[str, str]:
    try:
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(str(blob))))
    except (ValueError, zlib.error):
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _take_pending(request: Request, article_id: int) -> dict[str, str] | None:
    """The review this browser sent for ``article_id`` while signed out, once (then forgotten)."""
    kept = request.session.get("pending")
    if not isinstance(kept, dict) or kept.get("article") != article_id:
        return None
    request.session.pop("pending")
    return _unpack(kept.get("form")) or None


def _same_origin(request: Request) -> bool:
    """The POST came from a page of this site. A cross-site POST arrives without the SameSite=Lax
    cookie, i.e. signed out: without this check another site could replace the user's session by
    one holding a review it wrote. Browsers send Origin with every POST."""
    origin = request.headers.get("origin", "")
    return bool(origin) and origin == f"{request.url.scheme}://{request.url.netloc}"


async def _signed_out(request: Request, article_id: int) -> Response:
    """A review POSTed without a signed-in user (the session expired, or the server's key changed):
    nothing is stored; the form waits in the session for the sign-in and comes back on the story
    page, filled in. Too long for a cookie, it is shown back to be copied."""
    raw = await request.form()
    form = {k: str(raw.get(k) or "")[:4000] for k in ("verdict", "reason", "note")}
    blob = _pack(form)
    if len(blob) <= PENDING_MAX:
        request.session["pending"] = {"article": article_id, "form": blob}
        raise LoginRequired(f"/story/{article_id}")
    t = translator(WORDS, request.session.get("lang", "ar"))
    context = {"t": t, "kept_note": form["note"], "next": f"/story/{article_id}"}
    return request.app.state.render(request, "story_expired.html", context, status_code=401)


async def review(request: Request) -> Response:
    article_id = int(request.path_params["article_id"])
    if not request.session.get("user") and _same_origin(request):
        return await _signed_out(request, article_id)
    form = await check_csrf(request)
    user = require_reviewer(request)
    verdict = form.get("verdict", "")
    if verdict not in ("relevant", "false_alarm"):
        raise HTTPException(400)
    try:
        with request.app.state.write() as session:
            if session.get(Article, article_id) is None:
                raise HTTPException(404)
            add_review(
                session,
                article_id,
                verdict,
                user.name,
                reason=form.get("reason", "") if verdict == "false_alarm" else "",
                note=form.get("note", ""),
            )
    except ReviewError as error:
        from urllib.parse import quote

        return RedirectResponse(f"/story/{article_id}?error={quote(str(error))}", status_code=303)
    except DatabaseError:
        # SQLite's busy handler already waited (the engine's busy timeout) for the lock to clear.
        kept = {k: form.get(k, "") for k in ("verdict", "reason", "note")}
        return _render(request, article_id, pending=kept, notice="db_busy", status_code=503)
    return RedirectResponse(f"/story/{article_id}", status_code=303)
