"""Where the database is: the ``--db`` option, ``$RAQIB_DATABASE_URL`` and the default SQLite file.

Free of SQLAlchemy, so that building the command line (every `raqib` command, `--help` included)
does not import a database stack it may never use.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ENV_DATABASE_URL = "RAQIB_DATABASE_URL"
ENV_DATA_DIR = "RAQIB_DATA_DIR"
DEFAULT_DB_FILENAME = "raqib.sqlite"


def default_data_dir() -> Path:
    """$RAQIB_DATA_DIR, else $XDG_DATA_HOME/raqib, else ~/.local/share/raqib."""
    explicit = os.environ.get(ENV_DATA_DIR)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "raqib"
    return Path.home() / ".local" / "share" / "raqib"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / DEFAULT_DB_FILENAME}"


def resolve_database_url(cli_value: str | None = None) -> str:
    """The ``--db`` value, else $RAQIB_DATABASE_URL, else the default SQLite file.

    A value without ``://`` is a filesystem path to a SQLite file.
    """
    value = (cli_value or "").strip() or os.environ.get(ENV_DATABASE_URL, "").strip()
    if not value:
        return default_database_url()
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    return value


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """Give a command the shared ``--db URL`` option."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help=(
            "database: a SQLAlchemy URL (sqlite:///PATH, postgresql+psycopg://USER@HOST/DB) or a SQLite "
            f"file path (default: ${ENV_DATABASE_URL}, else {default_data_dir() / DEFAULT_DB_FILENAME})"
        ),
    )
