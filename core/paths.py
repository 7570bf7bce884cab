"""Where things live: the shipped data (`core/_data` in an installed wheel, `data/` in a
checkout) and the database (its URL from the options, the environment or the user data dir).
No database library is imported here."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data", here.parent / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("orderdesk's data folder is missing; reinstall orderdesk.")


def default_sqlite_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("orderdesk") / "orderdesk.db"


def resolve_url(db_path: str | os.PathLike | None = None, url: str | None = None) -> str:
    """--database-url, then --db, then $ORDERDESK_DATABASE_URL, then the user data dir."""
    if url:
        return url
    if db_path:
        return f"sqlite:///{Path(db_path).expanduser()}"
    if env := os.environ.get("ORDERDESK_DATABASE_URL"):
        return env
    return f"sqlite:///{default_sqlite_path()}"
