"""Opening a database: any SQLAlchemy URL, SQLite by default.

SQLite gets WAL, foreign keys and a busy timeout; write transactions start with
BEGIN IMMEDIATE so concurrent commands serialize instead of failing half-way.
On PostgreSQL a command locks its order row (SELECT ... FOR UPDATE).
Opening a database upgrades its schema to the newest Alembic revision; alembic
is imported only when the schema is behind, so a normal start stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.paths import redacted, resolve_url

HEAD_REVISION = "0004"
CHANGES_CHANNEL = "orderdesk_changes"  # PostgreSQL LISTEN/NOTIFY: "something was committed"
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(Exception):
    """The database cannot be opened or upgraded; the message says what to do."""


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised via every test
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("orderdesk_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One database. `read()` and `write()` give sessions; a write is one transaction."""

    def __init__(self, url: str, *, upgrade: bool = True):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict = {}
        if self.is_sqlite:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                try:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError(
                        f"Cannot create the folder for the database {path}: {exc.strerror}. "
                        "Choose another place with --db PATH."
                    ) from exc
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        try:
            self.engine = create_engine(url, **kwargs)
        except Exception as exc:  # bad URL, missing driver
            raise DatabaseError(f"Cannot use the database URL {redacted(url)!r}: {redacted(str(exc), url)}. "
                                "Check --database-url / $ORDERDESK_DATABASE_URL.") from exc
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self._writer = self.engine.execution_options(orderdesk_write=True)
        if upgrade:
            self.upgrade()

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages (`core.paths.redacted`)."""
        return redacted(self.url)

    # -- schema ---------------------------------------------------------------
    def schema_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return None

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (cheap when it already is)."""
        try:
            if self.schema_revision() == HEAD_REVISION:
                return
            from alembic import command
            from alembic.config import Config

            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            with self._writer.begin() as conn:
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
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any exception.
        On PostgreSQL it also notifies the listening stations (delivered on commit only)."""
        with Session(self._writer, expire_on_commit=False) as session:
            with session.begin():
                yield session
                if self.engine.dialect.name == "postgresql":
                    session.execute(text(f"NOTIFY {CHANGES_CHANNEL}"))

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(db_path=None, url=None) -> Database:
    return Database(resolve_url(db_path, url))
