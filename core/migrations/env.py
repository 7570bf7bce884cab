"""Alembic environment: migrations run on the connection `core.db.Database` hands in."""

from alembic import context

from core import models  # noqa: F401  (registers the tables for autogenerate)
from sqlmodel import SQLModel

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - `alembic` run by hand
    from core.paths import resolve_url
    from sqlalchemy import create_engine

    connection = create_engine(resolve_url()).connect()

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
context.run_migrations()
