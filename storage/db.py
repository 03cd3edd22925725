"""How to connect to the database, and how its schema is brought up to date (where it is: location.py).

Everything here is built on demand: importing this module opens nothing. Commands resolve the URL
(``--db`` > ``$RAQIB_DATABASE_URL`` > a SQLite file in the data directory), call
:func:`connect_checked` so that a wrong URL fails with one readable line, then work in
:func:`unit_of_work` blocks. Repository functions never commit (DESIGN convention 7).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, exc, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

# Where the database is lives in its own light module (argument parsing needs it, not SQLAlchemy);
# re-exported here, where the rest of the database API is.
from storage.location import (  # noqa: F401
    DEFAULT_DB_FILENAME,
    ENV_DATA_DIR,
    ENV_DATABASE_URL,
    add_db_argument,
    default_data_dir,
    default_database_url,
    resolve_database_url,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Long enough for a crawl's writer and a digest or reclassify run to take turns on one SQLite file.
DEFAULT_BUSY_TIMEOUT = 30.0
PG_CONNECT_TIMEOUT = 5
_READ_ONLY = "raqib_read_only"  # execution option: begin SQLite transactions without the write lock


class DatabaseError(Exception):
    """A database problem a user can act on, described in one line (no traceback needed)."""


class SchemaDriftError(DatabaseError):
    """The models declare something no migration creates (or the reverse): write a migration."""

    def __init__(self, diffs: list[Any]) -> None:
        self.diffs = diffs
        super().__init__(f"models and migrations differ: {describe_diffs(diffs)}")


def describe_diffs(diffs: list[Any]) -> str:
    """Alembic's diff tuples, e.g. ``('add_table', Table(...))``, as "add_table digest_runs; …"."""
    parts = []
    for diff in diffs:
        if isinstance(diff, list):  # column modifications come grouped
            diff = diff[0]
        names = [item if isinstance(item, str) else getattr(item, "name", None) for item in diff[1:]]
        parts.append(" ".join([str(diff[0]), *[name for name in names if isinstance(name, str)][:2]]))
    return "; ".join(parts) + " (write a migration: raqib db revision -m MESSAGE)"


# ---------------------------------------------------------------------------------------------------
# Engines


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise DatabaseError(
            f"invalid database URL {url!r}: expected sqlite:///PATH or postgresql://..."
        ) from error
    backend = parsed.get_backend_name()
    if backend == "postgres":  # the spelling Heroku and libpq use; SQLAlchemy only knows postgresql
        parsed = parsed.set(drivername="postgresql" + parsed.drivername[len("postgres") :])
        backend = "postgresql"
    if backend == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        # Only psycopg 3 is installed; plain postgresql:// would otherwise look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DB"
        )
    return parsed


def sqlite_path(url: str | URL) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory databases and other backends."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or "mode=memory" in database:
        return None
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    return Path(database)


def make_engine(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3)."""
    parsed = _parse_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT},
        )
    path = sqlite_path(parsed)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(
                f"cannot create the directory {path.parent} for the SQLite database: "
                f"{error.strerror or error}"
            ) from error
    engine = create_engine(parsed, pool_pre_ping=True)
    _configure_sqlite(engine, busy_timeout)
    return engine


def _set_wal(cursor: Any, busy_timeout: float) -> None:
    """Switch the file to WAL (persistent: once per file), waiting out a concurrent writer.

    Changing the journal mode needs an exclusive lock and SQLite answers SQLITE_BUSY at once, without
    its busy handler, while another connection holds a lock on a fresh file: two crawls or
    migrations starting together on a new database would otherwise fail.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + busy_timeout
    delay = 0.01
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The sqlite3 module's own implicit BEGIN is disabled so that we choose the transaction kind
        # below; it also makes DDL transactional (Alembic relies on that).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _set_wal(cursor, busy_timeout)
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, and much faster
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, waiting up to busy_timeout. A deferred transaction
        # that reads and then writes fails at once with SQLITE_BUSY when another process committed in
        # between, and no busy timeout can save it: that is the classic "database is locked" of two
        # crawlers on one file. Read-only sessions (session_factory(..., read_only=True)) need no
        # lock at all under WAL, so they begin deferred and never wait for a writer.
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``. On SQLite, ``read_only`` sessions take no write lock (lookups such as
    known_url_hashes, digests, summaries); writing through one may fail with "database is locked"."""
    bind = engine.execution_options(**{_READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except exc.OperationalError as error:
        session.rollback()
        message = describe_error(error, session.get_bind().url)
        if message is None:
            raise
        raise DatabaseError(message) from error
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# ---------------------------------------------------------------------------------------------------
# Turning driver errors into one line


def _where(url: URL) -> str:
    if url.get_backend_name() == "postgresql":
        return f"{url.host or 'localhost'}:{url.port or 5432}"
    path = sqlite_path(url)
    return str(path) if path is not None else "an in-memory database"


def _driver_message(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    message = " ".join(str(original).split("\n")[0].split())
    # psycopg: 'connection failed: connection to server at "h", port p failed: Connection refused'
    if " failed: " in message:
        message = message.rsplit(" failed: ", 1)[1]
    return re.sub(r"^FATAL:\s*", "", message).strip() or type(original).__name__


def describe_error(error: BaseException, url: str | URL) -> str | None:
    """A one-line description of a connection-level failure, or None when it is something else."""
    parsed = make_url(url) if isinstance(url, str) else url
    message = _driver_message(error)
    lowered = message.lower()
    if parsed.get_backend_name() == "postgresql":
        if isinstance(error, exc.OperationalError | exc.InterfaceError) and (
            "connect" in str(error).lower() or "timeout" in lowered or "resolve" in lowered
        ):
            return f"cannot connect to PostgreSQL at {_where(parsed)}: {message}"
        return None
    where = _where(parsed)
    if "locked" in lowered or "busy" in lowered:
        return (
            f"SQLite database {where} is locked by another process (a crawl or reclassify still "
            "running?); try again when it has finished"
        )
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return (
            f"SQLite database {where} is read-only: choose a writable path with --db or ${ENV_DATABASE_URL}"
        )
    if "unable to open" in lowered or "disk i/o" in lowered or "permission" in lowered:
        return f"cannot open SQLite database {where} for writing: {message}"
    return None


def connect_checked(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """Make the engine and prove it works (and, for SQLite, that it can be written), or raise
    :class:`DatabaseError` with one line naming the problem."""
    engine = make_engine(url, busy_timeout=busy_timeout)
    path = sqlite_path(engine.url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if path is not None:
                # A read-only file opens and answers SELECTs; only a write tells. The probe table
                # is rolled back, so the file is left as it was.
                connection.exec_driver_sql("CREATE TABLE _raqib_write_probe (x INTEGER)")
            connection.rollback()
    except exc.DBAPIError as error:
        engine.dispose()
        message = describe_error(error, engine.url)
        if message is None:
            message = (
                f"database {engine.url.render_as_string(hide_password=True)} failed: {_driver_message(error)}"
            )
        raise DatabaseError(message) from error
    return engine


# ---------------------------------------------------------------------------------------------------
# Migrations (Alembic, configured in code: no alembic.ini needed)


def alembic_config(engine: Engine) -> Config:
    _alembic_command()
    from alembic.config import Config

    # Alembic's own chatter ("No new upgrade operations detected") goes nowhere; commands print.
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Percent signs would be read as interpolation by ConfigParser.
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic logs a dozen INFO lines per call (plugins, "Context impl"); the commands print their
    own one-line outcome, so Alembic speaks only when debugging (`raqib --debug`)."""
    alembic_logger = logging.getLogger("alembic")
    if logging.getLogger().isEnabledFor(logging.DEBUG) or alembic_logger.level != logging.NOTSET:
        yield
        return
    alembic_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_logger.setLevel(logging.NOTSET)


def _alembic_command() -> Any:
    with _quiet_alembic():  # importing it sets up plugins, each announced at INFO
        from alembic import command
    return command


# Any constant: it only has to be the same for every Raqib process migrating this database.
_PG_MIGRATION_LOCK = 0x52415149  # "RAQI"


@contextmanager
def _migration_connection(url_or_engine: str | Engine, *, lock: bool = False) -> Iterator[tuple[Config, Any]]:
    """A connection for Alembic, inside one transaction that the caller commits.

    With ``lock``, two processes migrating at once (two crawls started on a fresh database) take
    turns, and the second finds the schema already current.
    """
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    is_sqlite = engine.dialect.name == "sqlite"
    try:
        with _quiet_alembic(), engine.connect() as connection:
            if is_sqlite:
                # Batch migrations copy and drop tables; with foreign keys on, dropping a parent
                # table cascades. The pragma is ignored inside a transaction, hence before BEGIN.
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
            try:
                connection.begin()  # BEGIN IMMEDIATE on SQLite: the write lock is the migration lock
                if lock and not is_sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                config = alembic_config(engine)
                config.attributes["connection"] = connection
                yield config, connection
            finally:
                if connection.in_transaction():
                    connection.rollback()
                if is_sqlite:
                    connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
    except exc.OperationalError as error:
        message = describe_error(error, engine.url)
        if message is None:
            raise
        raise DatabaseError(message) from error
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    command = _alembic_command()

    with _migration_connection(url_or_engine, lock=True) as (config, connection):
        command.upgrade(config, revision)
        connection.commit()


def downgrade(url_or_engine: str | Engine, revision: str) -> None:
    """Take the schema back to ``revision`` ("base" drops everything)."""
    command = _alembic_command()

    with _migration_connection(url_or_engine, lock=True) as (config, connection):
        command.downgrade(config, revision)
        connection.commit()


def current_revision(url_or_engine: str | Engine) -> str | None:
    """The revision the database is at, or None for a database Alembic has never touched."""
    _alembic_command()
    from alembic.migration import MigrationContext

    with _migration_connection(url_or_engine) as (_config, connection):
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    _alembic_command()
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def check(url_or_engine: str | Engine) -> None:
    """Raise :class:`SchemaDriftError` when the models and the migrations differ (``alembic check``);
    the database must be at head for the comparison to mean anything."""
    command = _alembic_command()
    from alembic.util import AutogenerateDiffsDetected

    with _migration_connection(url_or_engine) as (config, _connection):
        try:
            command.check(config)
        except AutogenerateDiffsDetected as error:
            raise SchemaDriftError(list(error.diffs)) from error


def revision(url_or_engine: str | Engine, message: str, rev_id: str | None = None) -> Path:
    """Autogenerate a new migration in storage/migrations/versions from the difference between the
    models and a database at head; returns the file written (review it before committing)."""
    command = _alembic_command()
    with _migration_connection(url_or_engine) as (config, _connection):
        script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
    scripts = script if isinstance(script, list) else [script]
    return Path(scripts[0].path)


def open_database(
    cli_value: str | None = None, *, migrate: bool = True, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> Engine:
    """What a command that uses the database calls first: resolve ``--db``, connect (one-line
    :class:`DatabaseError` when that fails), and bring the schema to head (``migrate``) or insist
    that it is there already."""
    engine = connect_checked(resolve_database_url(cli_value), busy_timeout=busy_timeout)
    try:
        if migrate:
            if current_revision(engine) != head_revision():
                upgrade(engine)
        else:
            require_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def require_current(engine: Engine) -> None:
    """Raise :class:`DatabaseError` unless the schema is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no Raqib schema" if current is None else f"is at revision {current}, not {head}"
        raise DatabaseError(f"database {where} {state}: run `raqib db upgrade --db URL` first")
