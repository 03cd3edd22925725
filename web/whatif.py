"""Rule what-if: an edited copy of the rule packs tried on the stored stories before anything changes.

Reviewers and admins preview (POST: it reads the server's files and costs CPU, so it carries the CSRF
token); only admins apply. The folder must be inside the configured rules roots (storage/rules_install.py),
since a path typed in a form reads the server's file system. An invalid pack shows the loader's error
and changes nothing. Applying installs the packs as the active rules and runs the reclassification.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from classifiers.evidence import describe_rules, merge_spans, place
from storage.rules_install import Applied, apply_candidate, candidate_under_roots
from storage.search_words import pieces
from storage.whatif import DEFAULT_DAYS, MAX_DAYS, StoryChange, WhatIf, WhatIfError, load_candidate, what_if
from web.auth import CurrentUser, check_csrf, require_reviewer
from web.i18n import translator
from web.story import paragraphs

MAX_SHOWN = 200  # changes listed on the page; the counts cover them all

WORDS: dict[str, dict[str, str]] = {
    "whatif": {"ar": "ماذا لو", "en": "What-if"},
    "whatif_title": {"ar": "ماذا لو تغيرت القواعد؟", "en": "What if the rules changed?"},
    "whatif_hint": {
        "ar": "جرّب نسخة معدلة من حزم القواعد على الأخبار المخزنة قبل أن يتغير أي شيء.",
        "en": "Try an edited copy of the rule packs on the stored stories before anything changes.",
    },
    "folder": {"ar": "مجلد القواعد", "en": "Rules folder"},
    "roots": {"ar": "المجلدات المسموح بها", "en": "Allowed folders"},
    "days": {"ar": "عدد الأيام (حتى {max})", "en": "Days (up to {max})"},
    "preview": {"ar": "معاينة", "en": "Preview"},
    "versions": {
        "ar": "القواعد المرشحة {new} مقابل القواعد الفعالة {old}",
        "en": "Candidate rules {new} against the active rules {old}",
    },
    "examined": {
        "ar": "فحصت {n} خبرا من آخر {days} يوما",
        "en": "{n} stories of the last {days} days examined",
    },
    "truncated": {"ar": "توقف الفحص عند الأحدث فقط", "en": "cut short: only the newest were examined"},
    "counts": {
        "ar": "يكتسب تصنيفا: {gained} · يفقده: {lost} · يتغير: {changed}",
        "en": "gain a label: {gained} · lose it: {lost} · change it: {changed}",
    },
    "gained": {"ar": "يكتسب تصنيفا", "en": "gains a label"},
    "lost": {"ar": "يفقد تصنيفه", "en": "loses its label"},
    "changed": {"ar": "يتغير تصنيفه", "en": "changes label"},
    "arrow": {"ar": "←", "en": "→"},
    "unclassified": {"ar": "غير مصنف بعد", "en": "unclassified"},
    "no_changes": {"ar": "لا خبر يتغير تصنيفه", "en": "No story changes label"},
    "more": {"ar": "و{n} أخرى غير معروضة", "en": "and {n} more not shown"},
    "fires": {"ar": "القواعد التي تنطبق", "en": "Rules that fire"},
    "no_longer": {"ar": "القواعد التي لم تعد تنطبق", "en": "Rules that no longer fire"},
    "figures": {"ar": "على {n} خبرا تمت مراجعتها", "en": "On {n} reviewed stories"},
    "measure": {"ar": "المقياس", "en": "Measure"},
    "before": {"ar": "الآن", "en": "Now"},
    "after": {"ar": "بالقواعد المرشحة", "en": "With the candidate"},
    "precision": {"ar": "الدقة", "en": "precision"},
    "recall": {"ar": "الاستدعاء", "en": "recall"},
    "flagged": {"ar": "المعلَّم", "en": "flagged"},
    "apply": {"ar": "اعتماد هذه القواعد", "en": "Apply these rules"},
    "apply_hint": {
        "ar": "تحل الحزم محل القواعد الفعالة (تحفظ السابقة في السجل) ثم يعاد تصنيف كل الأخبار المخزنة.",
        "en": "The packs replace the active rules (the previous ones are kept in history), then every "
        "stored story is reclassified.",
    },
    "admin_only": {"ar": "الاعتماد للمشرفين فقط", "en": "Only an admin can apply"},
    "applied": {
        "ar": "اعتمدت القواعد {new} بدل {old} وأعيد تصنيف {n} خبرا",
        "en": "Rules {new} applied instead of {old}; {n} stories reclassified",
    },
    "backup": {"ar": "القواعد السابقة محفوظة في", "en": "Previous rules kept in"},
    "transition": {"ar": "{old} ← {new}: {n}", "en": "{old} → {new}: {n}"},
    "bad_days": {"ar": "عدد الأيام بين 1 و{max}", "en": "Days must be between 1 and {max}"},
    "busy": {"ar": "اعتماد آخر جار الآن؛ حاول بعد قليل", "en": "Another apply is running: try again shortly"},
}


def _t(request: Request) -> Any:
    return translator(WORDS, request.session.get("lang", "ar"))


def _roots(request: Request) -> list[Any]:
    return list(request.app.state.rules_roots)


def _render(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    base = {
        "t": _t(request),
        "roots": [str(r) for r in _roots(request)],
        "max_days": MAX_DAYS,
        "form": {"folder": "", "days": DEFAULT_DAYS},
        "error": "",
        "result": None,
        "applied": None,
    }
    return request.app.state.render(request, "whatif.html", {**base, **context}, status_code=status_code)


async def whatif_page(request: Request) -> Response:
    require_reviewer(request)
    return _render(request, {})


def _parse(form: dict[str, str], request: Request) -> tuple[dict[str, Any], int | None, str]:
    """(form values to show again, days or None, error)."""
    folder = form.get("folder", "")[:1000]
    raw_days = form.get("days", "").strip()
    shown = {"folder": folder, "days": raw_days[:10]}
    try:
        days = int(raw_days)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        return shown, None, _t(request)("bad_days", max=MAX_DAYS)
    return shown, days, ""


async def whatif_preview(request: Request) -> Response:
    form = await check_csrf(request)
    require_reviewer(request)
    shown, days, error = _parse(form, request)
    if days is None:
        return _render(request, {"form": shown, "error": error}, 400)
    try:
        folder = candidate_under_roots(shown["folder"], _roots(request))
        candidate = await run_in_threadpool(load_candidate, folder)
        result = await run_in_threadpool(_run, request, candidate, days)
    except WhatIfError as problem:
        return _render(request, {"form": shown, "error": str(problem)}, 400)
    return _render(
        request,
        {"form": {**shown, "folder": str(folder)}, "result": _view(request, result, candidate)},
    )


def _run(request: Request, candidate: Any, days: int) -> WhatIf:
    from classifiers.loader import load_ruleset

    current_version = load_ruleset(request.app.state.rules_dir).version
    with request.app.state.read() as session:
        return what_if(session, candidate, days=days, current_version=current_version)


async def whatif_apply(request: Request) -> Response:
    form = await check_csrf(request)
    user = require_reviewer(request)
    _require_admin(user)
    shown, days, error = _parse(form, request)
    if days is None:
        return _render(request, {"form": shown, "error": error}, 400)
    lock = request.app.state.whatif_lock
    if not lock.acquire(blocking=False):
        return _render(request, {"form": shown, "error": _t(request)("busy")}, 409)
    try:
        folder = candidate_under_roots(shown["folder"], _roots(request))
        applied: Applied = await run_in_threadpool(
            apply_candidate,
            request.app.state.write_factory,
            folder,
            active_dir=request.app.state.rules_dir,
            history_dir=request.app.state.rules_history,
            expected_version=form.get("version", "")[:64],
        )
    except WhatIfError as problem:
        return _render(request, {"form": shown, "error": str(problem)}, 400)
    finally:
        lock.release()
    request.app.state.reload_packs()
    transitions = [
        {"old": old, "new": new, "n": n} for (old, new), n in sorted(applied.reclassified.changes.items())
    ]
    return _render(
        request,
        {
            "form": shown,
            "applied": {
                "old": applied.old_version,
                "new": applied.new_version,
                "backup": applied.backup,
                "examined": applied.reclassified.examined,
                "transitions": transitions,
            },
        },
    )


def _require_admin(user: CurrentUser) -> None:
    if user.role != "admin":
        raise HTTPException(403, "role")


def _view(request: Request, result: WhatIf, candidate: Any) -> dict[str, Any]:
    language = request.session.get("lang", "ar")
    active = request.app.state.packs()
    new_packs = candidate.ruleset.packs
    return {
        "candidate_version": result.candidate_version,
        "current_version": result.current_version,
        "days": result.days,
        "examined": result.examined,
        "truncated": result.truncated,
        "counts": result.counts,
        "changes": [_change(c, active, new_packs, language) for c in result.changes[:MAX_SHOWN]],
        "hidden": max(0, len(result.changes) - MAX_SHOWN),
        "figures": [
            {
                "name": name,
                "before": getattr(result.before, name),
                "after": getattr(result.after, name),
            }
            for name in ("flagged", "core")
        ],
        "n_reviewed": result.before.n,
    }


def _change(
    change: StoryChange, active: dict[str, Any], new_packs: dict[str, Any], language: str
) -> dict[str, Any]:
    # A lost story shows what used to fire (the stored evidence); the others what the candidate finds.
    lost = change.kind == "lost"
    evidence = change.old if lost else change.new
    packs = active if lost else new_packs
    pack = packs.get(change.language) or packs.get("ar")
    matches = [dict(m) for m in evidence.matches]
    title_spans = merge_spans(change.title, _spans(matches, "title", change.title))
    text_spans = merge_spans(change.text, _spans(matches, "text", change.text))
    return {
        "id": change.article_id,
        "kind": change.kind,
        "old": change.old.label,
        "new": change.new.label,
        "old_score": change.old.score,
        "new_score": change.new.score,
        "outlet": change.outlet,
        "published": change.published_at,
        "title_pieces": pieces(change.title, 0, len(change.title), title_spans),
        "title_place": place("title", 0, language) if title_spans else "",
        "paragraphs": [p for p in paragraphs(change.text, text_spans, language) if p["marked"]],
        "rules": describe_rules(evidence.rules, pack, language, packs.get("ar")),
    }


def _spans(matches: list[dict[str, Any]], field: str, text: str) -> list[tuple[int, int]]:
    """The matches of ``field`` whose offsets point at the text they name (stored ones may be stale)."""
    out = []
    for m in matches:
        s, e = m.get("start"), m.get("end")
        if (m.get("field") or "text") != field or not (isinstance(s, int) and isinstance(e, int)):
            continue
        if 0 <= s < e <= len(text) and (not m.get("text") or text[s:e] == m["text"]):
            out.append((s, e))
    return out
