"""The SSH demo's sandboxes (`orderdesk serve ssh --demo`): each connection gets a private
copy of the demo data, deleted when the connection ends.

Where they live (decisions where the spec is silent):
- One root folder per local user, $TMPDIR/orderdesk-demo-UID, made 0700; one that is not
  ours, not a folder, a symlink or readable by others is refused (another local user could
  read or swap a visitor's data).
- Each server has a folder in it (server-XXXX, 0700) holding `lock` (an flock held while the
  server runs), `template.db` (the demo data, loaded once at start with core.demo.load_demo)
  and one sandbox-XXXX folder per connection. At start, the folders of servers that are gone
  (their lock is free) are deleted: stale sandboxes of a server that was killed. Looking and
  making one's own folder happen under root/.lock, so two servers starting at once never take
  each other's folder for stale.
- A sandbox holds demo.db (a copy of the template, 0600 from its first byte), home/ (HOME: the
  app's settings stay in the sandbox) and tmp/ (TMPDIR: a walkthrough's own copy of the data).
  The database may grow to `max_bytes` ($ORDERDESK_SQLITE_MAX_BYTES, see core/db.py); a write
  past it is refused whole, with a message.
- The environment of a sandbox's processes is built from nothing: a short allowlist of the
  server's (PATH, locale, Python's own), then the sandbox's database URL, HOME, TMPDIR, size cap
  and the server's log file. No database URL or password, SMTP setting or anything else of the
  server's reaches a visitor's processes, whatever the server was started with.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sqlite3
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.db import MAX_BYTES_ENV, Database
from core.demo import load_demo
from core.logs import LOG_FILE_ENV
from core.paths import database_env
from tui.users import ServeError

log = logging.getLogger("orderdesk.ssh")

KEPT_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")  # and LC_*


class SandboxesFull(Exception):
    """As many sandboxes as allowed exist already."""


def root_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"orderdesk-demo-{os.getuid()}"


def _private_folder(path: Path) -> Path:
    """`path`, made 0700 if new; refused unless it is a folder of ours nobody else can open."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ServeError(f"{path} is not a private folder of this user (a symlink, someone else's, or "
                         f"open to others): remove it, or choose another place with $TMPDIR.")
    return path


def _lock(path: Path, *, wait: bool) -> int | None:
    """An open descriptor holding an exclusive flock on `path` (created 0600), or None when
    another process holds it (and `wait` is false)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@dataclass(eq=False)
class Sandbox:
    """One connection's copy of the demo data, and the environment its processes get."""
    folder: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.folder / "demo.db"

    def fill(self, template: Path) -> None:
        """Copy the template in, 0600 from the first byte (off the event loop: it is disk work)."""
        for name in ("home", "tmp"):
            os.mkdir(self.folder / name, 0o700)
        with open(template, "rb") as source:
            fd = os.open(self.database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as copy:
                shutil.copyfileobj(source, copy)


class Sandboxes:
    """Every sandbox of one server: at most `limit` at once, each database at most `max_bytes`."""

    def __init__(self, limit: int, max_bytes: int, log_file: str, root: Path | None = None):
        self.limit, self.max_bytes, self.log_file = limit, max_bytes, log_file
        self.root = root or root_folder()
        self.folder: Path | None = None  # this server's, once started
        self.live: set[Sandbox] = set()
        self._lock_fd: int | None = None

    @property
    def template(self) -> Path:
        return self.folder / "template.db"

    @property
    def full(self) -> bool:
        return len(self.live) >= self.limit

    def start(self) -> None:
        """Delete stale servers' folders, make this server's and its template; ServeError says
        what stops it."""
        _private_folder(self.root)
        guard = _lock(self.root / ".lock", wait=True)
        try:
            for stale in sorted(self.root.glob("server-*")):
                held = _lock(stale / "lock", wait=False) if (stale / "lock").exists() else -1
                if held is not None:
                    if held >= 0:
                        os.close(held)
                    shutil.rmtree(stale, ignore_errors=True)
                    log.info("deleted the stale sandboxes of a server that is gone: %s", stale.name)
            self.folder = Path(tempfile.mkdtemp(prefix="server-", dir=self.root))
            self._lock_fd = _lock(self.folder / "lock", wait=True)
        finally:
            os.close(guard)
        db = Database(f"sqlite:///{self.template}")
        try:
            result = load_demo(db)
        finally:
            db.dispose()
        if not result.ok:  # pragma: no cover - the shipped fixtures always load
            raise ServeError(f"Cannot load the demo data: {result.message}")
        with sqlite3.connect(self.template) as con:  # one self-contained file to copy (no WAL beside it)
            con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        log.info("demo sandboxes in %s: at most %d at once, each database at most %d bytes",
                 self.folder, self.limit, self.max_bytes)

    def reserve(self) -> Sandbox:
        """A new, empty sandbox, counted at once (SandboxesFull past the limit); fill it with
        `sandbox.fill(self.template)`."""
        if self.full:
            raise SandboxesFull
        folder = Path(tempfile.mkdtemp(prefix="sandbox-", dir=self.folder))
        sandbox = Sandbox(folder, self._environment(folder))
        self.live.add(sandbox)
        return sandbox

    def _environment(self, folder: Path) -> dict[str, str]:
        kept = {name: value for name, value in os.environ.items()
                if name in KEPT_ENV or name.startswith("LC_")}
        return {**kept, **database_env(f"sqlite:///{folder / 'demo.db'}"), "HOME": str(folder / "home"),
                "TMPDIR": str(folder / "tmp"), MAX_BYTES_ENV: str(self.max_bytes),
                LOG_FILE_ENV: self.log_file}

    def remove(self, sandbox: Sandbox) -> None:
        self.live.discard(sandbox)
        shutil.rmtree(sandbox.folder, ignore_errors=True)

    def stop(self) -> None:
        """Delete every sandbox and this server's folder."""
        self.live.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
