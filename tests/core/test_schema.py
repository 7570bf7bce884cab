"""The Alembic migration is the schema's source; the SQLModel classes must match it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from core import models  # noqa: F401  (registers the tables)
from core.clock import parse_instant, set_stored_clock, stored_clock
from core.db import HEAD_REVISION, Database
from tests.databases import fresh_url


def test_migration_matches_the_models(tmp_path):
    db = Database(fresh_url(tmp_path))
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
            inspector = inspect(conn)
            tables = set(inspector.get_table_names()) - {"alembic_version"}
            indexes = {t: {i["name"] for i in inspector.get_indexes(t)
                           if not i.get("duplicates_constraint")}  # PostgreSQL: a unique constraint's own
                       for t in tables}
    finally:
        db.dispose()
    assert differences == []
    # and, spelled out, the same tables and indexes
    assert tables == set(SQLModel.metadata.tables)
    for name, table in SQLModel.metadata.tables.items():
        assert indexes[name] == {index.name for index in table.indexes}, name


def test_migrated_columns_match_the_models(tmp_path):
    db = Database(fresh_url(tmp_path))
    try:
        inspector = inspect(db.engine)
        for name, table in SQLModel.metadata.tables.items():
            columns = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
            assert columns == {c.name: c.nullable for c in table.columns}, name
    finally:
        db.dispose()


def test_a_new_database_is_at_the_newest_revision(tmp_path):
    db = Database(fresh_url(tmp_path))
    try:
        assert db.schema_revision() == HEAD_REVISION
    finally:
        db.dispose()


def test_opening_an_existing_database_again_keeps_its_data(tmp_path):
    url = fresh_url(tmp_path)
    when = parse_instant("2026-11-20T12:00:00Z")
    first = Database(url)
    with first.write() as session:
        set_stored_clock(session, when)
    first.dispose()
    for _ in range(2):
        again = Database(url)
        try:
            assert again.schema_revision() == HEAD_REVISION
            with again.read() as session:
                assert stored_clock(session) == when
        finally:
            again.dispose()
    again = Database(url)
    try:
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).one() == (1,)
    finally:
        again.dispose()


def test_a_sqlite_database_in_a_new_folder_is_created(tmp_path):
    path = tmp_path / "new" / "deeper" / "orderdesk.db"
    db = Database(f"sqlite:///{path}")
    try:
        assert path.is_file()
        assert db.schema_revision() == HEAD_REVISION
    finally:
        db.dispose()
