"""Sign-in, sessions, CSRF tokens and roles.

The session is Starlette's signed cookie (itsdangerous), HttpOnly and SameSite=Lax; the security
middleware in app.py adds ``Secure`` when the request came over HTTPS. Every POST carries the
session's CSRF token; the role is read from the database on each request, so a changed role counts
at once.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storage.users import can_review


@dataclass(frozen=True)
class CurrentUser:
    name: str
    role: str

    @property
    def can_review(self) -> bool:
        return can_review(self.role)


class LoginRequired(Exception):
    """Raised by :func:`require_user`; app.py turns it into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> dict[str, str]:
    """The POSTed form, once its CSRF token matches the session's; 403 otherwise."""
    form = await request.form()
    sent = str(form.get("csrf") or "")
    expected = str(request.session.get("csrf") or "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "csrf")
    return {key: str(value) for key, value in form.items()}


def safe_next(value: str | None) -> str:
    """A local path to go back to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def require_user(request: Request) -> CurrentUser:
    from storage.users import get_user

    name = request.session.get("user")
    if name:
        with request.app.state.read() as session:
            user = get_user(session, name)
            if user is not None:
                return CurrentUser(user.name, user.role)
        request.session.pop("user", None)
    raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))


def require_reviewer(request: Request) -> CurrentUser:
    user = require_user(request)
    if not user.can_review:
        raise HTTPException(403, "role")
    return user


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        return request.app.state.render(
            request, "login.html", {"next": safe_next(request.query_params.get("next"))}
        )
    form = await check_csrf(request)
    from storage.db import DatabaseError
    from storage.users import authenticate

    name, password = form.get("name", "").strip(), form.get("password", "")
    try:
        with request.app.state.write() as session:
            result = authenticate(session, name, password)
            role = result.user.role if result.ok and result.user else ""
    except DatabaseError:  # locked past the engine's busy timeout (a crawl writing): say so
        context = {"next": safe_next(form.get("next")), "error": "db_busy", "name": name}
        return request.app.state.render(request, "login.html", context, status_code=503)
    if not result.ok:
        error = "locked" if result.reason == "locked" else "bad_login"
        context = {"next": safe_next(form.get("next")), "error": error, "name": name}
        return request.app.state.render(request, "login.html", context, status_code=401)
    language = request.session.get("lang")
    pending = request.session.get("pending")  # a review sent after the session expired (web/story.py)
    request.session.clear()  # a new session for the signed-in user (no fixation)
    request.session.update({"user": name, "role": role, "csrf": secrets.token_urlsafe(32)})
    if language:
        request.session["lang"] = language
    if pending:
        request.session["pending"] = pending
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


async def logout(request: Request) -> Response:
    await check_csrf(request)
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return RedirectResponse("/login", status_code=303)


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(safe_next(next_url), safe='/')}", status_code=303)
