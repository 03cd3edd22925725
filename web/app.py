"""The workspace's ASGI app, built by :func:`create_app` (nothing happens at import time).

Security: every template autoescapes (crawled titles and texts are hostile); a strict
Content-Security-Policy allows only this site's own stylesheet (no inline script or style, no third
party); the session cookie is signed, HttpOnly, SameSite=Lax and Secure over HTTPS.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web import auth, digest_runs, inbox, search, sources, story, whatif
from web.i18n import LANGUAGES, translate

HERE = Path(__file__).resolve().parent
ENV_SECRET = "RAQIB_WEB_SECRET"
SESSION_COOKIE = "raqib_session"
SESSION_MAX_AGE = 12 * 3600
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the CSP and friends to every response, and ``Secure`` to cookies sent over HTTPS (the
    scheme uvicorn reports, from X-Forwarded-Proto behind a trusted proxy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v + b"; secure" if https and k == b"set-cookie" and b"secure" not in v.lower() else v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                ]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class State:
    """What the views share: sessions on the database, the templates, the rule packs."""

    def __init__(self, db_url: str, rules_dir: Path | None = None) -> None:
        from storage import db

        self.rules_dir = rules_dir  # None: the packaged rules, which the crawl and digests load too
        self.engine = db.make_engine(db_url)
        self._write = db.session_factory(self.engine)
        self._read = db.session_factory(self.engine, read_only=True)
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,  # every template, whatever its name: crawled text is hostile
            undefined=jinja2.StrictUndefined,
        )
        self.templates = Jinja2Templates(env=env)
        self._packs: dict[str, Any] | None = None

    @contextmanager
    def read(self) -> Iterator[Any]:
        from storage.db import unit_of_work

        with unit_of_work(self._read) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Any]:
        from storage.db import unit_of_work

        with unit_of_work(self._write) as session:
            yield session

    def packs(self) -> dict[str, Any]:
        if self._packs is None:
            from classifiers.loader import load_ruleset

            self._packs = dict(load_ruleset(self.rules_dir).packs)
        return self._packs

    def reload_packs(self) -> None:
        """After a what-if apply replaced the active rules."""
        self._packs = None

    def render(
        self, request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
    ) -> Response:
        language = request.session.get("lang", "ar")
        base = {
            "lang": language,
            "dir": "rtl" if language == "ar" else "ltr",
            "t": lambda key, **values: translate(key, language, **values),
            "csrf": auth.csrf_token(request),
            "user": request.session.get("user"),
            "role": request.session.get("role"),
            "path": request.url.path,
        }
        return self.templates.TemplateResponse(
            request, name, {**base, **(context or {})}, status_code=status_code
        )


class Language:
    """``?lang=en`` / ``?lang=ar`` switches the language for the rest of the session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            wanted = request.query_params.get("lang")
            if wanted in LANGUAGES:
                scope["session"]["lang"] = wanted
        await self.app(scope, receive, send)


def create_app(
    db_url: str,
    *,
    secret_key: str | None = None,
    rules_dir: Path | None = None,
    rules_roots: Sequence[Path | str] | None = None,
    rules_history: Path | None = None,
) -> Starlette:
    """The workspace on the database at ``db_url``. ``secret_key`` signs the session cookie (default:
    $RAQIB_WEB_SECRET, else a random key, which signs everyone out when the server restarts).
    The rule what-if reads candidate folders only under ``rules_roots`` (default: $RAQIB_RULES_ROOTS,
    else <data dir>/rules) and applies them to ``rules_dir`` (default: the packaged rules), keeping the
    previous packs under ``rules_history`` (default: <data dir>/rules/history); see storage/rules_install.py."""
    from storage.rules_install import active_rules_dir, configured_roots, rules_home

    state = State(db_url, rules_dir)
    key = secret_key or os.environ.get(ENV_SECRET) or secrets.token_urlsafe(32)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        status = error.status_code
        key = {403: "csrf" if error.detail == "csrf" else "forbidden", 404: "not_found"}.get(
            status, "bad_request"
        )
        return state.render(request, "error.html", {"status": status, "message": key}, status_code=status)

    async def login_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, auth.LoginRequired)
        return auth.login_redirect(error.next_url)

    routes = [
        Route("/", inbox.inbox_page),
        Route("/login", auth.login_page, methods=["GET", "POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/story/{article_id:int}", story.story_page),
        Route("/story/{article_id:int}/review", story.review, methods=["POST"]),
        Route("/search", search.search_page),
        Route("/story/{article_id:int}/missed", search.mark_missed, methods=["POST"]),
        Route("/sources", sources.sources_page),
        Route("/digests", digest_runs.digests_page),
        Route("/digests/{run_id:int}", digest_runs.digest_page),
        Route("/digests/{run_id:int}/file/{fmt}", digest_runs.digest_file),
        Route("/whatif", whatif.whatif_page),
        Route("/whatif", whatif.whatif_preview, methods=["POST"]),
        Route("/whatif/apply", whatif.whatif_apply, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE,
                same_site="lax",
            ),
            Middleware(Language),
        ],
        exception_handlers={HTTPException: http_error, auth.LoginRequired: login_required},
    )
    app.state.read = state.read
    app.state.write = state.write
    app.state.render = state.render
    app.state.packs = state.packs
    app.state.engine = state.engine
    app.state.write_factory = state._write
    app.state.reload_packs = state.reload_packs
    app.state.rules_dir = Path(rules_dir) if rules_dir is not None else active_rules_dir()
    app.state.rules_roots = configured_roots(rules_roots)
    app.state.rules_history = Path(rules_history) if rules_history is not None else rules_home() / "history"
    app.state.whatif_lock = threading.Lock()  # one apply at a time per server
    return app
