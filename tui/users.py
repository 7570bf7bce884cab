"""The users file: who may log in to `serve ssh` and `serve web`, as whom, and how.

One TOML file serves both servers, one [[user]] per login:

    [[user]]
    login = "seller-anna"
    role = "seller"              # or "buyer", or "walkthrough" (demos)
    identity = "Lakehouse Home"  # the shop, the buyer's username, or a walkthrough's name ("" picks)
    keys = ["ssh-ed25519 AAAA... anna@laptop"]      # SSH public keys (authorized_keys lines)
    password_hash = "$argon2id$v=19$m=65536,..."    # from `orderdesk serve hash-password`

Decisions where the brief was silent:
- Keys are read with asyncssh's authorized-keys parser, one line at a time, so a bad key is a
  startup error naming the user and the file's line. Options (`from=`, `restrict`, ...) and
  certificates are refused rather than ignored: the SSH server matches plain keys only, and a
  `from=` that silently did nothing would be worse than an error.
- Passwords are stored as argon2id hashes (argon2-cffi's defaults: 64 MiB, 3 passes). A plaintext
  `password` is still read, for SSH demos with --allow-passwords only; the web server refuses
  to start with one (see tui/serve_web.py).
- Checking a password for an unknown login still runs argon2 on a dummy hash, so the answer
  takes as long whether or not the login exists.
"""

from __future__ import annotations

import hmac
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import Argon2Error, InvalidHashError

ROLES = ("buyer", "seller", "walkthrough")
MAX_PASSWORD = 1024  # characters: longer input is refused before hashing
MIN_PASSWORD = 8


class ServeError(Exception):
    """A setting that stops a server from starting; the message says what to fix."""


@dataclass(frozen=True)
class User:
    login: str
    role: str
    identity: str
    keys: tuple[str, ...] = ()  # OpenSSH public keys, "type base64 comment", as parsed
    password: str | None = None  # plaintext: SSH demos with --allow-passwords only
    password_hash: str | None = None  # argon2id

    def check_password(self, password: str, *, plaintext: bool = False) -> bool:
        """True when `password` is this user's: against password_hash, or (when `plaintext` is
        allowed) against a plaintext password, compared in constant time."""
        if self.password_hash:
            return _verify(self.password_hash, password)
        if plaintext and self.password is not None:
            return hmac.compare_digest(self.password.encode(), password.encode())
        return False


def app_command(user: User) -> list[str]:
    """What a login opens (`orderdesk ...`), over SSH and in a browser alike: its identity's
    screens, locked; or a walkthrough on its own fresh copy of the demo data (never the served
    database)."""
    if user.role == "walkthrough":
        return ["walkthrough", *([user.identity] if user.identity else [])]
    return ["--locked", user.role, "--user" if user.role == "buyer" else "--shop", user.identity]


def authenticate(users: dict[str, User], login: str, password: str, *, plaintext: bool = False) -> User | None:
    """The user whose login and password these are, else None. Slow on purpose (argon2), as slow
    for an unknown login or an overlong password: run it off the event loop."""
    user = users.get(login)
    if user is None or len(password) > MAX_PASSWORD \
            or not (user.password_hash or (plaintext and user.password is not None)):
        _verify(_dummy_hash(), password[:MAX_PASSWORD])  # the same work as a real check
        return None
    return user if user.check_password(password, plaintext=plaintext) else None


def hash_password(password: str) -> str:
    """An argon2id hash for the users file's password_hash; ValueError says what is wrong."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"The password is too long: use at most {MAX_PASSWORD} characters.")
    return PasswordHasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(password_hash, password)
    except (Argon2Error, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return PasswordHasher().hash("not anyone's password")


def load_users(path: Path) -> dict[str, User]:
    """The users file, checked whole: any mistake is a ServeError naming the user and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ServeError(f"There is no users file {path}. Write one (see `orderdesk serve ssh --help`).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ServeError(f"Cannot read the users file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ServeError(f"The users file {path} is not valid TOML: {exc}") from None
    specs = data.get("user", [])
    if not isinstance(specs, list):
        raise ServeError(f"The users file {path}: write each user as a [[user]] table.")
    users: dict[str, User] = {}
    for n, spec in enumerate(specs, 1):
        user = _read_user(path, text, n, spec)
        if user.login in users:
            raise ServeError(f"The users file {path} lists the login {user.login!r} twice; keep one.")
        users[user.login] = user
    if not users:
        raise ServeError(f"The users file {path} lists no [[user]].")
    return users


def _read_user(path: Path, text: str, n: int, spec: dict) -> User:
    def text_field(name: str, required: bool = True) -> str | None:
        value = spec.get(name)
        if value is None and not required:
            return None
        if value is None:
            raise ServeError(f"User {n} in {path} has no {name!r}.")
        if not isinstance(value, str):
            raise ServeError(f"User {n} in {path}: {name} must be a string in quotes.")
        return value

    login = text_field("login")
    where = f"User {login!r} in {path}"
    if not login:
        raise ServeError(f"User {n} in {path} has an empty login.")
    role = text_field("role")
    if role not in ROLES:
        raise ServeError(f"{where}: role must be buyer, seller or walkthrough.")
    identity = text_field("identity")
    password, password_hash = text_field("password", False), text_field("password_hash", False)
    if password is not None and password_hash is not None:
        raise ServeError(f"{where}: give password_hash only (remove the plaintext password).")
    if password_hash is not None:
        _check_hash(where, password_hash, _line_of(text, password_hash))
    keys = spec.get("keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ServeError(f'{where}: keys must be a list of strings, e.g. keys = ["ssh-ed25519 AAAA... me@laptop"].')
    return User(login=login, role=role, identity=identity, password=password, password_hash=password_hash,
                keys=tuple(_read_key(where, text, line) for key in keys for line in key.splitlines()
                           if line.strip() and not line.lstrip().startswith("#")))


def _read_key(where: str, text: str, line: str) -> str:
    """One authorized_keys line, read with asyncssh; its key as "type base64 comment"."""
    import asyncssh

    try:
        return asyncssh.import_public_key(line.strip()).export_public_key().decode().strip()
    except (ValueError, asyncssh.KeyImportError) as exc:
        problem = str(exc)
    at = _line_of(text, line.strip())
    try:
        asyncssh.import_authorized_keys(line)
    except (ValueError, asyncssh.KeyImportError):
        raise ServeError(f"{where}, {at}: {_start(line)} is not an SSH public key ({problem}). "
                         "Paste the whole line of the user's .pub file.") from None
    raise ServeError(f"{where}, {at}: {_start(line)} has options or is a certificate; only plain public "
                     "keys are supported: remove what comes before the key type (from=, restrict, ...).")


def _start(line: str) -> str:
    line = line.strip()
    return repr(line if len(line) <= 40 else line[:40] + "...")


def _check_hash(where: str, password_hash: str, at: str) -> None:
    try:
        extract_parameters(password_hash)
    except (InvalidHashError, ValueError):
        raise ServeError(f"{where}, {at}: password_hash is not an argon2 hash; make one with "
                         "`orderdesk serve hash-password`.") from None


def _line_of(text: str, snippet: str) -> str:
    """"line N" of the first place `snippet` occurs in the file (or "its entry" when escaped)."""
    found = text.find(snippet[:60])
    return f"line {text.count(chr(10), 0, found) + 1}" if found >= 0 else "its entry"
