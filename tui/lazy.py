"""`lazy_import` for the app and the CLI: core.lazy's (the first frame imports no
SQLAlchemy; see there)."""

from core.lazy import lazy_import

__all__ = ["lazy_import"]
