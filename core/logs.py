"""The log: what the servers and the background work (sending email) did, for whoever runs them.

Users see short messages; the log keeps the detail: each SSH connection (from where, which login
and identity, how it ended), refused logins, and failures with their tracebacks.
`setup_logging()` attaches one file handler to the "orderdesk" logger; everything logs through
`logging.getLogger("orderdesk.<area>")`: orderdesk.ssh, orderdesk.web, orderdesk.outbox,
orderdesk.cli, orderdesk.app.

Decisions:
- Where: --log-file / $ORDERDESK_LOG_FILE, else `platformdirs.user_log_path("orderdesk")/orderdesk.log`
  (~/.local/state/orderdesk/log/orderdesk.log on Linux). A folder it makes is 0700.
- The file is created 0600 from its first byte (os.open with the mode; an older file is narrowed
  to 0600 when opened), rotated at 5 MB keeping 3 old files: 20 MB at most.
- Every line, tracebacks included, goes through `core.paths.redacted`: no URL's password, and
  nowhere the passwords of the URLs given to `setup_logging` (the database's), reaches the file.
  Logins are logged with %r, so a login name cannot forge lines.
- Several processes may append to one file (serve ssh's session apps sending email); each
  rotates on its own, so a line may land in a just-rotated file. Lines are never interleaved
  mid-line (each is one append write).
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

from core.paths import redacted

LOG_FILE_ENV = "ORDERDESK_LOG_FILE"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s"


def log_path(path: str | os.PathLike | None = None) -> Path:
    """The log file: the one given, else $ORDERDESK_LOG_FILE, else the user log folder's."""
    if path:
        return Path(path).expanduser()
    if env := os.environ.get(LOG_FILE_ENV):
        return Path(env).expanduser()
    from platformdirs import user_log_path

    return user_log_path("orderdesk") / "orderdesk.log"


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler whose files are 0600 from their creation, rotated ones too."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a file from before this rule, or made by hand
        except OSError:
            pass
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


class RedactingFormatter(logging.Formatter):
    def __init__(self, urls: tuple[str, ...] = ()):
        super().__init__(FORMAT)
        self.urls = urls

    def format(self, record: logging.LogRecord) -> str:
        return redacted(super().format(record), *self.urls)


_handler: PrivateRotatingFileHandler | None = None


def setup_logging(path: str | os.PathLike | None = None, *, urls: tuple[str, ...] = (),
                  level: int = logging.INFO) -> Path:
    """Log the "orderdesk" loggers to the file (see `log_path`), hiding the passwords of `urls`;
    return the file's path. Called again, it replaces the handler it attached before.
    OSError when the file cannot be made or opened: the caller says so."""
    global _handler
    file = log_path(path).resolve()
    if not file.parent.is_dir():
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler = PrivateRotatingFileHandler(file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(tuple(urls)))
    logger = logging.getLogger("orderdesk")
    if _handler is not None:
        logger.removeHandler(_handler)
        _handler.close()
    logger.addHandler(handler)
    logger.setLevel(level)
    _handler = handler
    return file
