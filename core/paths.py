"""Where things live: the shipped data (`core/_data` in an installed wheel, `data/` in a
checkout) and the database (its URL from the options, the environment or the user data dir).
No database library is imported here.

A database URL may carry a password, so it is a secret: it reaches a child orderdesk process
through the child's environment ($ORDERDESK_DATABASE_URL, readable only by the same user),
never through argv (which `ps` shows to every local user), and every message or log line that
may quote it goes through `redacted`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, unquote_plus

DATABASE_URL_ENV = "ORDERDESK_DATABASE_URL"
HIDDEN = "***"

# scheme://user:PASSWORD@host: the password runs to the last @ of the URL (an unencoded @ in a
# password is common; hiding too much of a URL is better than too little).
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)(\S*)@", re.IGNORECASE)
# password=VALUE: a URL's query (?password=...) or a libpq DSN (password=... or password='...');
# a bare value stops before the punctuation of the sentence quoting it.
_PARAM_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]*[^\s&'\".,:;)])", re.IGNORECASE)
_PIECE_MIN = 4  # an @-piece of a password shorter than this is not hunted for on its own


def data_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data", here.parent / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("orderdesk's data folder is missing; reinstall orderdesk.")


def config_dir() -> Path:
    """The user's orderdesk configuration folder (XDG: ~/.config/orderdesk)."""
    from platformdirs import user_config_path

    return user_config_path("orderdesk")


SLIPS_ENV = "ORDERDESK_SLIPS"


def slips_dir() -> Path:
    """Where the app saves packing slips: $ORDERDESK_SLIPS, else the user's data folder's
    `slips` (XDG: ~/.local/share/orderdesk/slips)."""
    from platformdirs import user_data_path

    named = os.environ.get(SLIPS_ENV, "").strip()
    return Path(named).expanduser() if named else user_data_path("orderdesk") / "slips"


def default_sqlite_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("orderdesk") / "orderdesk.db"


def resolve_url(db_path: str | os.PathLike | None = None, url: str | None = None) -> str:
    """--database-url, then --db, then $ORDERDESK_DATABASE_URL, then the user data dir."""
    if url:
        return url
    if db_path:
        return f"sqlite:///{Path(db_path).expanduser()}"
    if env := os.environ.get(DATABASE_URL_ENV):
        return env
    return f"sqlite:///{default_sqlite_path()}"


def redacted(text: str, *urls: str) -> str:
    """`text` fit to show or to log: every URL's password in it (scheme://user:PASSWORD@host)
    and every password=VALUE (a URL's query, a libpq DSN) become ***, and so do the passwords
    of `urls` wherever they appear (a driver's error may quote one bare, or decoded).

    `redacted(url)` is the URL to show. SQLAlchemy reads a password with an unencoded @ as a
    password and a host (`u:p@ss@host` → password "p", host "ss@host"), and a driver's error then
    quotes the "host": the @-pieces of a password are hidden too (those of 4 characters or more:
    hunting every "p" would make the message unreadable)."""
    for secret in sorted({s for url in urls for s in _passwords(url)}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = _URL_PASSWORD.sub(rf"\g<1>{HIDDEN}@", text)
    return _PARAM_PASSWORD.sub(rf"\g<1>{HIDDEN}", text)


def _passwords(url: str) -> set[str]:
    """Every form in which `url`'s passwords may show up in a message."""
    found = [m.group(2) for m in _URL_PASSWORD.finditer(url)]
    found += [m.group(2).strip("'") for m in _PARAM_PASSWORD.finditer(url)]
    forms = set()
    for password in found:
        pieces = [piece for piece in password.split("@") if len(piece) >= _PIECE_MIN]
        for piece in (password, *pieces):
            forms |= {piece, unquote(piece), unquote_plus(piece)}
    return {form for form in forms if form and form != HIDDEN}


def database_env(url: str) -> dict[str, str]:
    """What a child orderdesk process needs in its environment to open this database (its
    command line names no database: see the module's docstring)."""
    return {DATABASE_URL_ENV: url}
