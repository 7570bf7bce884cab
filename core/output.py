"""Writing a file the user named: whole or not at all, and a failure says where and why.

`output_file(path)` writes to a temporary file beside `path` and renames it over
`path` only once everything is written and synced, so a full disk or a crash never
leaves a half-written file that looks complete; on failure the temporary file is
removed and an existing `path` is left as it was. Decisions where the spec is silent:
- A path that exists and is not a regular file (/dev/stdout, /dev/full, a FIFO) is
  written in place: there is nothing to replace. A FIFO is opened without blocking,
  so one that nobody reads is an error ("nobody is reading it"), not a hang.
- A new file gets the usual mode for new files (`mode` minus the umask), created so
  from the start (pass 0o600 for a file holding secrets); a replaced file keeps its mode.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class OutputError(Exception):
    """The output could not be written; the message says where, why and what to do."""


_HINTS = {
    errno.ENOSPC: "free some space or choose another place",
    errno.EDQUOT: "free some space or choose another place",
    errno.EACCES: "choose a place you can write to",
    errno.EPERM: "choose a place you can write to",
    errno.EROFS: "choose a place you can write to",
    errno.ENOENT: "check that the folder exists",
    errno.ENXIO: "start its reader first, or choose a file",
}


def _why(path: Path, exc: OSError, *, kept: bool) -> OutputError:
    """`kept`: a file at `path` is left as it was (the new one was written aside)."""
    reason = "nobody is reading it" if exc.errno == errno.ENXIO else (exc.strerror or str(exc))
    left = " (it is left as it was)" if kept else ""
    return OutputError(f"Cannot write {path}: {reason}{left}; {_HINTS.get(exc.errno, 'choose another file')}.")


@contextmanager
def output_file(path: str | os.PathLike, *, mode: int = 0o666, binary: bool = False) -> Iterator[IO]:
    """A text file (UTF-8, newlines as written), or with `binary` a bytes file, that appears
    at `path` only once complete. The block should only write: any OSError in it is
    reported as this file's."""
    target = Path(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise _why(target, exc, kept=False) from exc
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise OutputError(f"Cannot write {target}: it is a folder; name a file in it instead.")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with _in_place(target, binary) as out:
            yield out
        return
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise _why(target, exc, kept=existing is not None) from exc
    try:
        with _open(fd, binary) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if existing is not None:
            os.chmod(temp, stat.S_IMODE(existing.st_mode))
        os.replace(temp, target)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _why(target, exc, kept=existing is not None) from exc
        raise


@contextmanager
def _in_place(target: Path, binary: bool) -> Iterator[IO]:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)  # a FIFO nobody reads: ENXIO, not a hang
        os.set_blocking(fd, True)
        with _open(fd, binary) as out:
            yield out
    except OSError as exc:
        raise _why(target, exc, kept=False) from exc


def _open(fd: int, binary: bool) -> IO:
    return open(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="")
