"""The Digests page: past digest runs as delivered, and the files a file-channel run wrote.

Which files belong to a run: their paths are not stored, but digests/run.py names them
deterministically — ``OUT/<YYYY-MM-DD>/digest-<HHMMSS>-<run id>.<ext>``, date and time of the run's
``created_at`` in the digest's time zone (``digests.render.digest_paths``). This page rebuilds exactly
those paths with the same function and shows the ones that exist. A file is served only when the URL
names a run id and a format (never a path), the run is a file-channel run, and the resolved file lies
inside the configured out dir: path traversal cannot be expressed.

HTML is sent as a download (``Content-Disposition: attachment``), with the app's strict CSP still on
the response: the file was written for mail clients with inline styles that the CSP would strip,
and rendering crawled titles inside the workspace's origin would put hostile text next to the
analyst's session. Markdown, JSON and Atom are shown as plain text (``nosniff``), exactly as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from digests.models import Delivery, DigestRun
from web.auth import require_user
from web.ops_words import translator
from web.sources import digest_settings

PAGE_SIZE = 50
MEDIA = {"html": "text/html", "md": "text/plain", "json": "text/plain", "atom": "text/plain"}


def run_files(run: DigestRun, settings: Any) -> list[tuple[str, Path]]:
    """(format, path) of the files this run wrote that are still in the digest folder."""
    from digests.render import EXTENSIONS, digest_paths

    if run.channel != "files" or run.created_at is None:
        return []
    stamp = run.created_at.astimezone(settings.tz).strftime("%H%M%S")
    formats = list(EXTENSIONS)
    paths = digest_paths(
        settings.out_dir,
        formats,
        created_at=run.created_at,
        timezone=settings.timezone,
        stem=f"digest-{stamp}-{run.id}",
    )
    root = Path(settings.out_dir).expanduser().resolve()
    found = []
    for fmt, path in zip(formats, paths, strict=True):
        try:
            real = path.expanduser().resolve()
        except OSError:
            continue
        if real.is_relative_to(root) and real.is_file():
            found.append((fmt, real))
    return found


def _page(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("page", "1")), 100_000))
    except ValueError:
        return 1


async def digests_page(request: Request) -> Response:
    require_user(request)
    page = _page(request)
    with request.app.state.read() as session:
        total = session.scalar(select(func.count(DigestRun.id))) or 0
        runs = session.scalars(
            select(DigestRun)
            .order_by(DigestRun.created_at.desc(), DigestRun.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        ids = [r.id for r in runs]
        articles = (
            dict(
                session.execute(
                    select(Delivery.digest_run_id, func.count(Delivery.id))
                    .where(Delivery.digest_run_id.in_(ids))
                    .group_by(Delivery.digest_run_id)
                ).all()
            )
            if ids
            else {}
        )
        settings = digest_settings(request)
        rows = [{"run": r, "articles": articles.get(r.id, 0), "files": run_files(r, settings)} for r in runs]
    pages = max(1, -(-total // PAGE_SIZE))
    return request.app.state.render(
        request,
        "digests.html",
        {
            "t": translator(request.session.get("lang", "ar")),
            "rows": rows,
            "page": page,
            "pages": pages,
            "newer": f"/digests?page={page - 1}" if page > 1 else "",
            "older": f"/digests?page={page + 1}" if page < pages else "",
        },
    )


def _run(session: Any, run_id: int) -> DigestRun:
    run = session.get(DigestRun, run_id)
    if run is None:
        raise HTTPException(404)
    return run


async def digest_page(request: Request) -> Response:
    require_user(request)
    from digests import select as sel
    from digests.group import group_stories

    run_id = request.path_params["run_id"]
    settings = digest_settings(request)
    with request.app.state.read() as session:
        run = _run(session, run_id)
        article_ids = list(
            session.scalars(
                select(Delivery.article_id).where(Delivery.digest_run_id == run_id).order_by(Delivery.id)
            )
        )
        stories = group_stories(sel.load_articles(session, article_ids))
        files = run_files(run, settings)
        session.expunge(run)
    folder = files[0][1].parent if files else None
    return request.app.state.render(
        request,
        "digest.html",
        {
            "t": translator(request.session.get("lang", "ar")),
            "run": run,
            "articles": len(article_ids),
            "stories": stories,
            "files": files,
            "folder": folder,
        },
    )


async def digest_file(request: Request) -> Response:
    require_user(request)
    run_id = request.path_params["run_id"]
    fmt = request.path_params["fmt"]
    if fmt not in MEDIA:
        raise HTTPException(404)
    settings = digest_settings(request)
    with request.app.state.read() as session:
        run = _run(session, run_id)
        files = dict(run_files(run, settings))
    path = files.get(fmt)
    if path is None:
        raise HTTPException(404)
    if fmt == "html":
        return FileResponse(path, media_type="text/html; charset=utf-8", filename=path.name)
    return FileResponse(
        path,
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{path.name}"'},
    )
