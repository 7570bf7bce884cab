"""Every test's database: a SQLite file by default, or, when $ORDERDESK_TEST_DATABASE_URL
names a PostgreSQL server, a brand-new database there (so the whole suite runs on either).

`fresh_url(folder)` gives an empty database; `clone_url(template, folder)` a copy of a
prepared one (a file copy, or CREATE DATABASE ... TEMPLATE); `drop(url)` removes one;
`dump(url)` every row of every table, to prove a refused command changed nothing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

PG_URL = os.environ.get("ORDERDESK_TEST_DATABASE_URL")
BACKEND = "postgresql" if PG_URL else "sqlite"
created: list[str] = []


def _admin(statement: str) -> None:
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _pg_database(template: str | None = None) -> str:
    name = f"odt_{uuid.uuid4().hex[:16]}"
    if template:
        source = make_url(template).database
        _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               f"WHERE datname = '{source}' AND pid <> pg_backend_pid()")
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    else:
        _admin(f'CREATE DATABASE "{name}"')
    created.append(name)
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def fresh_url(folder: Path, name: str = "test") -> str:
    if PG_URL:
        return _pg_database()
    return f"sqlite:///{Path(folder) / f'{name}.db'}"


def clone_url(template: str, folder: Path, name: str = "test") -> str:
    """A copy of the database at `template` (close every connection to it first)."""
    if PG_URL:
        return _pg_database(template)
    path = Path(folder) / f"{name}.db"
    shutil.copy(make_url(template).database, path)
    return f"sqlite:///{path}"


def drop(url: str) -> None:
    """Remove a database made by fresh_url or clone_url (close every connection to it first)."""
    if PG_URL:
        name = make_url(url).database
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        created.remove(name)
        return
    path = Path(make_url(url).database)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def drop_created() -> None:
    while created:
        _admin(f'DROP DATABASE IF EXISTS "{created.pop()}" WITH (FORCE)')


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    engine = create_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                keys = ", ".join(c.name for c in table.primary_key.columns)
                rows = conn.execute(text(f"SELECT * FROM {table.name} ORDER BY {keys}")).all()
                out[table.name] = [tuple(row) for row in rows]
    finally:
        engine.dispose()
    return out
