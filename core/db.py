"""Opening a database: any SQLAlchemy URL, SQLite by default.

SQLite gets WAL, foreign keys and a busy timeout; write transactions start with
BEGIN IMMEDIATE so concurrent commands serialize instead of failing half-way.
On PostgreSQL a command locks its order row (SELECT ... FOR UPDATE).
Opening a database upgrades its schema to the newest Alembic revision; alembic
is imported only when the schema is behind, so a normal start stays cheap. A
database whose revision this orderdesk does not know was made by a newer one: it
is refused, never touched.

Failures a person can act on (a read-only file or folder, a full disk, another
station holding the write lock longer than the busy timeout, a read-only
PostgreSQL server) become a DatabaseError with what to do, in one place:
`Database.explain`, applied by `read()`, `write()`, opening and `explained()`. The
busy timeout is $ORDERDESK_BUSY_TIMEOUT seconds (default 30): SQLite's busy
timeout, and PostgreSQL's lock_timeout. A busy database is DatabaseBusy: nothing was written
(the transaction is rolled back), and trying again later may work.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from core.paths import redacted, resolve_url

# psycopg warns when a pipeline ends in an error it already raised (an idempotency-key
# race): said once, as the command's own error, not a second time on stderr.
logging.getLogger("psycopg").addHandler(logging.NullHandler())

HEAD_REVISION = "0007"
CHANGES_CHANNEL = "orderdesk_changes"  # PostgreSQL LISTEN/NOTIFY: "something was committed"
MIGRATIONS = Path(__file__).parent / "migrations"


BUSY_TIMEOUT = 30.0  # seconds; $ORDERDESK_BUSY_TIMEOUT overrides it
MAX_BYTES_ENV = "ORDERDESK_SQLITE_MAX_BYTES"  # the most a SQLite file may grow to (unset: no cap)


class DatabaseError(Exception):
    """The database cannot be opened, upgraded or written; the message says what to do."""


class DatabaseBusy(DatabaseError):
    """Another command or station held the database longer than the busy timeout;
    nothing was written, and trying again later may work."""


def busy_timeout() -> float:
    """$ORDERDESK_BUSY_TIMEOUT (seconds, 0.1 to 3600), else BUSY_TIMEOUT."""
    text = os.environ.get("ORDERDESK_BUSY_TIMEOUT")
    if not text:
        return BUSY_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.1 <= seconds <= 3600:  # also NaN
        raise DatabaseError("$ORDERDESK_BUSY_TIMEOUT must be a number of seconds from 0.1 to 3600, e.g. 30.")
    return seconds


def sqlite_max_bytes() -> int | None:
    """$ORDERDESK_SQLITE_MAX_BYTES (a whole number of bytes), else None: no cap."""
    text = os.environ.get(MAX_BYTES_ENV)
    if not text:
        return None
    if not text.isdigit() or int(text) < 65536:
        raise DatabaseError(f"${MAX_BYTES_ENV} must be a number of bytes, at least 65536.")
    return int(text)


def known_revisions() -> set[str]:
    """The schema revisions this orderdesk has migrations for."""
    found = (re.search(r"^revision = ['\"](\w+)['\"]", path.read_text(encoding="utf-8"), re.M)
             for path in (MIGRATIONS / "versions").glob("*.py"))
    return {match[1] for match in found if match}


def _sqlite_setup(engine: Engine, timeout: float, max_bytes: int | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised via every test
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        if max_bytes:
            page_size = cur.execute("PRAGMA page_size").fetchone()[0]
            cur.execute(f"PRAGMA max_page_count={max_bytes // page_size}")
            # the write-ahead log is on the same disk: checkpointed and cut back at an eighth of
            # the limit (by default it grows to 4 MB whatever the limit)
            cur.execute(f"PRAGMA wal_autocheckpoint={max(16, max_bytes // page_size // 8)}")
            cur.execute(f"PRAGMA journal_size_limit={max_bytes // 8}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("orderdesk_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgresql_setup(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(timeout * 1000)}")
        dbapi_conn.commit()  # a SET inside a transaction rolled back would be undone


class Database:
    """One database. `read()` and `write()` give sessions; a write is one transaction."""

    def __init__(self, url: str, *, upgrade: bool = True):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.busy_timeout = busy_timeout()
        self.max_bytes = sqlite_max_bytes() if self.is_sqlite else None
        kwargs: dict = {}
        self.path = ""  # the SQLite file
        if self.is_sqlite:
            path = self.path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                try:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError(
                        f"Cannot create the folder for the database {path}: {exc.strerror}. "
                        "Choose another place with --db PATH."
                    ) from exc
            kwargs["connect_args"] = {"timeout": self.busy_timeout, "check_same_thread": False}
        try:
            self.engine = create_engine(url, **kwargs)
        except Exception as exc:  # bad URL, missing driver
            raise DatabaseError(f"Cannot use the database URL {redacted(url)!r}: {redacted(str(exc), url)}. "
                                "Check --database-url / $ORDERDESK_DATABASE_URL.") from exc
        if self.is_sqlite:
            _sqlite_setup(self.engine, self.busy_timeout, self.max_bytes)
        elif self.engine.dialect.name == "postgresql":
            _postgresql_setup(self.engine, self.busy_timeout)
        self._writer = self.engine.execution_options(orderdesk_write=True)
        if upgrade:
            self.upgrade()

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages (`core.paths.redacted`)."""
        return redacted(self.url)

    # -- failures a person can act on -------------------------------------------
    def explain(self, exc: BaseException) -> DatabaseError | None:
        """What a database failure means and what to do, or None when it is none of the
        failures a person can act on (a bug, or a rule such as a unique key)."""
        orig = getattr(exc, "orig", None) or exc
        where = self.path or self.display_url
        if isinstance(orig, sqlite3.Error):
            kind = {5: "busy", 6: "busy", 8: "read_only", 3: "read_only", 13: "full", 10: "io",
                    14: "cannot_open", 26: "not_database", 11: "not_database"}.get(
                        getattr(orig, "sqlite_errorcode", 0) & 0xFF)
        else:  # PostgreSQL (psycopg): the SQLSTATE
            state = getattr(orig, "sqlstate", None) or ""
            kind = {"25006": "read_only", "55P03": "busy", "40P01": "busy", "53100": "full"}.get(state)
            if state.startswith(("08", "57P")):  # the connection broke, the server shut down
                kind = "lost"
        if kind == "busy":
            return DatabaseBusy(
                f"The database is busy: another orderdesk command or station has held it for more than "
                f"{self.busy_timeout:g} s. Nothing was changed; try again in a moment "
                "($ORDERDESK_BUSY_TIMEOUT sets how long to wait).")
        if kind == "read_only":
            return DatabaseError(f"Cannot write to {where}: {self._why_read_only()}")
        if kind == "full" and self.max_bytes:
            return DatabaseError(f"Cannot write to {where}: it has reached its size limit "
                                 f"({self.max_bytes / 2**20:g} MB). Nothing was changed.")
        if kind == "full":
            return DatabaseError(f"Cannot write to {where}: the disk is full. Nothing was changed; "
                                 "free some space and try again.")
        if kind == "io":
            return DatabaseError(f"Cannot read or write {where}: the disk reported an error ({orig}). "
                                 "Check the disk, or choose another database with --db PATH.")
        if kind == "lost":
            return DatabaseError(f"Lost the connection to the database at {where}. Check that the server "
                                 "is running, then look (e.g. `orderdesk orders show`) before trying "
                                 "again: the last change may or may not have been saved.")
        if kind == "cannot_open":
            why = ("it is a folder; give the database file's path" if os.path.isdir(where) else
                   "check that its folder exists and can be read")
            return DatabaseError(f"Cannot open the database file {where}: {why}, or choose another "
                                 "database with --db PATH.")
        if kind == "not_database":
            return DatabaseError(f"{where} is not an orderdesk database (or it is damaged); "
                                 "choose another with --db PATH.")
        return None

    def _why_read_only(self) -> str:
        if not self.path:
            return ("the database is read-only (a standby server, or default_transaction_read_only is "
                    "on); point --database-url at a writable primary.")
        folder = Path(self.path).parent
        if os.path.exists(self.path) and not os.access(self.path, os.W_OK):
            return (f"the file is read-only; make it writable (chmod u+w {self.path}) "
                    "or choose another database with --db PATH.")
        if not os.access(folder, os.W_OK):
            return (f"its folder {folder} is read-only, and SQLite keeps its journal files beside the "
                    "database; make the folder writable or choose another database with --db PATH.")
        return "the database is read-only (a read-only disk?); choose another with --db PATH."

    @contextmanager
    def explained(self) -> Iterator[None]:
        """Any database failure a person can act on leaves as its DatabaseError (around
        `read()`, `write()`, and code that runs SQL on `engine` itself)."""
        try:
            yield
        except (sqlite3.Error, SQLAlchemyError) as exc:
            if (explained := self.explain(exc)) is None:
                raise
            raise explained from exc

    # -- schema ---------------------------------------------------------------
    def schema_revision(self) -> str | None:
        """The schema's Alembic revision; None for a database without one (empty)."""
        try:
            with self.explained(), self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DatabaseError:
            raise
        except Exception:
            return None

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (cheap when it already is). A revision
        this orderdesk does not know was made by a newer one: refused, left untouched."""
        try:
            revision = self.schema_revision()
            if revision == HEAD_REVISION:
                return
            if revision is not None and revision not in known_revisions():
                raise DatabaseError(f"This database was made by a newer orderdesk (schema {revision}; "
                                    f"this one knows up to {HEAD_REVISION}); upgrade orderdesk.")
            from alembic import command
            from alembic.config import Config

            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            with self.explained(), self._writer.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(424242)"))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except DatabaseError:
            raise
        except Exception as exc:
            cause = redacted(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], self.url)
            raise DatabaseError(
                f"Cannot open the database at {self.display_url}: {cause}. Check that the file is an "
                "orderdesk database (or the server is running), or choose another with --db / --database-url."
            ) from exc

    # -- sessions ---------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.explained(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any exception.
        On PostgreSQL it also notifies the listening stations (delivered on commit only)."""
        with self.explained(), Session(self._writer, expire_on_commit=False) as session:
            with session.begin():
                yield session
                if self.engine.dialect.name == "postgresql":  # NOTIFY and COMMIT: one round trip
                    session.flush()  # the ORM reads its rows' counts: not in a pipeline
                    conn = session.connection()
                    with pipeline(conn):
                        conn.exec_driver_sql(f"NOTIFY {CHANGES_CHANNEL}")
                        conn.connection.dbapi_connection.commit()  # COMMIT, in the pipeline
                    session.commit()  # the driver's transaction is over: no round trip; and the
                    # connection leaves pipeline mode before it goes back to the pool

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def bulk_cache(conn, orders: int) -> Iterator[None]:
    """SQLite, for a bulk write of `orders` orders (synthetic seeding, an import): a page
    cache that holds what is written (about 2 kB an order, at most 256 MB) for the
    transaction, so index pages are not spilled and rewritten half-way. Elsewhere nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    wanted = -min(256 * 1024, max(2048, orders * 2))  # KiB, negative = size not pages
    if wanted < before:
        raw.execute(f"PRAGMA cache_size={wanted}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={before}")


@contextmanager
def pipeline(conn) -> Iterator[None]:
    """PostgreSQL (psycopg): the statements run in the block (on `conn`, a SQLAlchemy
    connection) are sent together and their answers read together: one round trip
    instead of one each. Only for statements whose rows nobody reads. A failure among
    them is raised as SQLAlchemy raises it (e.g. IntegrityError), at the latest when the
    block ends. Elsewhere (SQLite: no network) it changes nothing."""
    raw = conn.connection.dbapi_connection
    supported = getattr(conn.dialect.loaded_dbapi, "Pipeline", None)
    if supported is None or not supported.is_supported():  # not psycopg, or its libpq is older than 14
        yield
        return
    error = conn.dialect.loaded_dbapi.Error
    try:
        with raw.pipeline():
            yield
    except error as exc:  # raised by psycopg when it read the answers, not by a statement
        raise DBAPIError.instance(None, None, exc, error) from exc


def open_database(db_path=None, url=None) -> Database:
    return Database(resolve_url(db_path, url))
