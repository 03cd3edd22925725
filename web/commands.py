"""Subcommands of the analysts' workspace (see cli.py): ``users add|list``, ``reviews export`` and ``web``.

Starlette, uvicorn and SQLAlchemy are imported inside the command functions, so building the parser
stays cheap.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from storage.location import add_db_argument

ENV_PASSWORD = "RAQIB_USER_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this package's subcommands."""
    users = subparsers.add_parser(
        "users", help="add and list the workspace's users", description="Users of `raqib web`."
    )
    users_commands = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_commands.add_parser(
        "add",
        help="add a user (password from --password-file, $RAQIB_USER_PASSWORD or a prompt)",
        description=(
            "Add a user of the workspace. The password is read from --password-file (its first line), "
            f"else ${ENV_PASSWORD}, else asked for twice on the terminal; only an argon2 hash is stored."
        ),
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=("viewer", "reviewer", "admin"))
    add.add_argument("--password-file", type=Path, default=None, metavar="FILE")
    add_db_argument(add)
    add.set_defaults(func=cmd_users_add)
    listing = users_commands.add_parser("list", help="list the users and their roles")
    add_db_argument(listing)
    listing.set_defaults(func=cmd_users_list)

    reviews = subparsers.add_parser(
        "reviews", help="export the analysts' reviews", description="The analysts' reviews of stories."
    )
    reviews_commands = reviews.add_subparsers(dest="reviews_command", metavar="ACTION", required=True)
    export = reviews_commands.add_parser(
        "export",
        help="write the reviewed articles as a labelled set for `raqib eval`",
        description=(
            'Write one line per reviewed article, {"id", "title", "text", "label": 0|1|2}: relevant → '
            "the label it was confirmed with, false alarm → 0, missed → the label the reviewer gave. "
            "The latest review of an article counts."
        ),
    )
    export.add_argument("file", type=Path, metavar="FILE.jsonl")
    add_db_argument(export)
    export.set_defaults(func=cmd_reviews_export)

    web = subparsers.add_parser(
        "web",
        help="serve the analysts' workspace (inbox, story, review) on 127.0.0.1",
        description=(
            "Serve the workspace with uvicorn. It binds to 127.0.0.1 unless told otherwise; put it behind "
            "a reverse proxy with TLS to reach it from elsewhere (see the README)."
        ),
    )
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8080)
    web.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-Proto/For from 127.0.0.1 (behind a reverse proxy with TLS)",
    )
    web.add_argument(
        "--rules-root",
        action="append",
        type=Path,
        default=None,
        metavar="DIR",
        help=(
            "a folder whose subfolders the rule what-if may read as candidate rules (repeatable; default: "
            "$RAQIB_RULES_ROOTS, else <data dir>/rules)"
        ),
    )
    add_db_argument(web)
    web.set_defaults(func=cmd_web)


def read_password(path: Path | None) -> str:
    """--password-file, else $RAQIB_USER_PASSWORD, else an interactive prompt (twice)."""
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ValueError(f"cannot read password file {path}: {error.strerror or error}") from None
        return lines[0] if lines else ""
    if os.environ.get(ENV_PASSWORD):
        return os.environ[ENV_PASSWORD]
    if not sys.stdin.isatty():
        raise ValueError(f"no password: give --password-file FILE or set ${ENV_PASSWORD}")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise ValueError("the two passwords differ")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    from storage import db
    from storage.users import add_user, check_password

    password = read_password(args.password_file)
    check_password(password)  # before touching the database
    engine = db.open_database(args.db)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            user = add_user(session, args.name, args.role, password)
            name, role = user.name, user.role
    finally:
        engine.dispose()
    print(f"added user {name} ({role})")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from storage import db
    from storage.users import list_users

    engine = db.open_database(args.db, migrate=False)
    try:
        with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
            rows = [(u.name, u.role, u.created_at, u.locked_until) for u in list_users(session)]
    finally:
        engine.dispose()
    if not rows:
        print("no users: add one with `raqib users add NAME --role reviewer`")
    for name, role, created, locked in rows:
        extra = f"  locked until {locked.isoformat(timespec='minutes')}" if locked else ""
        print(f"{name}\t{role}\tsince {created.date().isoformat()}{extra}")
    return 0


def cmd_reviews_export(args: argparse.Namespace) -> int:
    from storage import db
    from storage.reviews import export_rows

    engine = db.open_database(args.db, migrate=False)
    try:
        with db.unit_of_work(db.session_factory(engine, read_only=True)) as session:
            rows = export_rows(session)
    finally:
        engine.dispose()
    args.file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.file.with_name(args.file.name + ".tmp")
    tmp.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    tmp.replace(args.file)
    print(f"wrote {len(rows)} reviewed articles to {args.file}")
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    import uvicorn

    from storage import db
    from web.app import create_app

    url = db.resolve_database_url(args.db)
    db.open_database(url).dispose()  # one readable line when the database is wrong, before serving
    app = create_app(url, rules_roots=args.rules_root)
    print(f"raqib web: http://{args.host}:{args.port}/ (Ctrl-C stops)", file=sys.stderr)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips="127.0.0.1" if args.proxy_headers else None,
        log_level="info",
    )
    return 0
