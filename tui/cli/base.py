"""The `orderdesk` command line: the scriptable contract (../shared/CONTRACT.md).

Exit codes: 0 done, 1 refused by a rule, 2 bad input. With --json a refusal
prints {"error": {"code", "message"}} on stdout. Nothing changes on exit 1 or 2.
`main()` is the one place that turns what went wrong into an exit code and a message
a person can act on, never a traceback: a refusal, a malformed option, a database
that cannot be opened or written (exit 2, code "database") or is busy (exit 1, code
"busy"), output that cannot be written (exit 2, code "output"), and, last, a bug
(exit 70, code "internal": one line on the terminal, the traceback in the log).
Every number an option takes has a stated range, every time core.clock's.
Textual is imported only by the commands that open the TUI, and SQLAlchemy (through
core.db, core.queries, core.services) only when a command first touches the
database: the TUI commands leave that to the app, after its first frame.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.clock import BadTime, current_time, parse_instant
from core.config_file import ConfigError
from core.logs import log_path, setup_logging
from core.output import OutputError
from core.paths import redacted
from core.results import Refusal
from tui.lazy import lazy_import

if TYPE_CHECKING:
    from core.db import Database
    from core.settings import Loaded

core_db = lazy_import("core.db")
services = lazy_import("core.services")
core_settings = lazy_import("core.settings")
tui_app = lazy_import("tui.app")  # Textual: only for the commands that open the app


INTERNAL_ERROR = 70  # EX_SOFTWARE: orderdesk itself failed; never for anything a user can cause
MAX_QUANTITY = 1_000_000  # units in an --item LINE_ID=QTY


class CliExit(Exception):
    def __init__(self, code: int):
        self.code = code


class Seconds(click.FloatRange):
    """A number of seconds in a range (click's FloatRange lets NaN through)."""

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


class StreamError(OutputError):
    """Standard output (or error) cannot be written: a closed pipe, a full disk."""

    def __init__(self, message: str, stream: str = "output"):
        super().__init__(message)
        self.stream = stream


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print to stdout (or stderr). A character the stream cannot encode (a lone
    surrogate) is escaped; a failed write is a StreamError."""
    stream = sys.stderr if err else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding, getattr(stream, "errors", None) or "strict")
    except UnicodeEncodeError:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    try:
        click.echo(text, err=err, nl=nl)
    except (OSError, ValueError) as exc:  # ValueError: the stream is closed
        stream = "error" if err else "output"
        why = getattr(exc, "strerror", None) or str(exc)
        raise StreamError(f"Cannot write to standard {stream}: {why}.", stream) from exc


@dataclass
class Context:
    db_path: str | None
    url: str | None
    now_text: str | None
    as_json: bool = False
    locked: bool = False
    log_file: str | None = None
    _db: Database | None = field(default=None, repr=False)
    _settings: Loaded | None = field(default=None, repr=False)

    @property
    def settings(self) -> Loaded:
        """The settings (core/settings.py), the command line's first; read at the first call
        (ConfigError, reported by main(), says what is wrong)."""
        if self._settings is None:
            given = self.url or (self.db_path and f"sqlite:///{Path(self.db_path).expanduser().resolve()}")
            self._settings = core_settings.load(database_url=given or None)
        return self._settings

    @property
    def db(self) -> Database:
        """The database (a DatabaseError, reported by main(), says why not)."""
        return self.open()

    def open(self) -> Database:
        """The database, opened (and upgraded) at the first call; DatabaseError says why not."""
        if self._db is None:
            self._db = core_db.Database(self.database_url)
        return self._db

    @property
    def display_url(self) -> str:
        return self.db.display_url

    @property
    def database_url(self) -> str:
        """The database's URL: --database-url, --db (made absolute, for processes started
        elsewhere), $ORDERDESK_DATABASE_URL, the settings file, the user data folder."""
        return self.settings.settings.database_url

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()

    @property
    def now(self) -> datetime:
        try:
            with self.db.read() as session:
                return current_time(session, self.now_text)
        except BadTime as exc:
            self.fail("bad_input", f"--now / ORDERDESK_NOW: {exc}")

    def settle(self) -> datetime:
        """For a read command, once its input is checked: let time do its work (hold
        windows, request deadlines) in a transaction of its own, then return now.
        Commands that change data settle inside their own transaction instead
        (core.services.command), so a refused one changes nothing."""
        now = self.now
        if services.has_due(self.db, now):
            services.process_due(self.db, now=now)
        return now

    # -- output -------------------------------------------------------------
    def emit(self, data, human: str | None = None) -> None:
        """Print a command's result: the command is done by now."""
        try:
            if self.as_json:
                echo(json.dumps(data, indent=2, default=str))
            elif human is not None:
                echo(human)
        except StreamError as exc:
            raise StreamError(f"{exc} The command itself was done; only its output was lost.", exc.stream) from exc

    def start_log(self) -> Path:
        """Servers and background email log to the file (core.logs), never showing the database's
        password; a log file that cannot be written stops them (bad input)."""
        try:
            return setup_logging(self.log_file, urls=(self.database_url,))
        except OSError as exc:
            self.fail("bad_input", f"Cannot write the log file {log_path(self.log_file)} ({exc.filename}: "
                      f"{exc.strerror}). Choose another with --log-file PATH.")

    def fail(self, code: str, message: str, exit_code: int = 2) -> None:
        report(self.as_json, Refusal(code, message), exit_code)

    def finish(self, result, human=None) -> None:
        """Print a command's result and exit with the contract's code."""
        if isinstance(result, Refusal):
            report(self.as_json, result, 2 if result.is_bad_input else 1)
        record = result.record
        self.emit(record, human(record, result) if human else result.message)


def report(as_json: bool, refusal: Refusal, exit_code: int) -> None:
    refusal = replace(refusal, message=redacted(refusal.message))  # no message shows a password
    if as_json:
        echo(json.dumps(refusal.as_dict(), indent=2))
    else:
        echo(f"Error: {refusal.message}", err=True)
    raise CliExit(exit_code)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def with_json(fn):
    """Every command accepts --json, and --db after its name as well as before it
    (`orderdesk demo --db demo.db` as `orderdesk --db demo.db demo`): the one after wins."""
    @json_option
    @click.option("--db", "db_path", metavar="PATH", help="SQLite file (as the --db before the command).")
    @click.pass_obj
    def wrapper(ctx: Context, as_json: bool, db_path: str | None, **kwargs):
        ctx.as_json = ctx.as_json or as_json
        if db_path:
            ctx.db_path, ctx.url, ctx._settings = db_path, None, None  # the one after the command wins
        return fn(ctx, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group(invoke_without_command=True)
@click.option("--db", "db_path", metavar="PATH", help="SQLite file (default: the user data dir).")
@click.option("--database-url", metavar="URL",
              help="Any SQLAlchemy URL, e.g. postgresql+psycopg://user@host/orderdesk (default: "
                   "$ORDERDESK_DATABASE_URL, else the settings file's database_url; with a password, "
                   "better there: every local user sees a command line).")
@click.option("--now", "now_text", metavar="ISO8601", envvar="ORDERDESK_NOW",
              help="Fix the clock (default: the database's demo clock, else real time).")
@click.option("--log-file", metavar="PATH", envvar="ORDERDESK_LOG_FILE",
              help="Where servers and background email log (default: the user log folder).")
@click.option("--locked", is_flag=True, hidden=True,
              help="Stay on the identity given (used by `serve ssh`): no launcher.")
@json_option
@click.version_option(package_name="orderdesk")
@click.pass_context
def cli(click_ctx, db_path, database_url, now_text, log_file, locked, as_json):
    """orderdesk: orders and their cancellation, for buyers and sellers.

    Without a command, opens the app."""
    click_ctx.obj = Context(db_path, database_url, now_text, as_json, locked=locked, log_file=log_file)
    click_ctx.call_on_close(click_ctx.obj.close)
    if click_ctx.invoked_subcommand is None:
        open_tui(click_ctx.obj)


def open_tui(ctx: Context, prepare=None, *, locked: bool = False, **start) -> None:
    """Run the app; it opens the database (then `prepare`s it) after its first frame.
    `locked`: one identity, no launcher (as `--locked`, which the servers pass)."""
    if ctx.now_text:
        try:
            parse_instant(ctx.now_text)
        except BadTime as exc:
            ctx.fail("bad_input", f"--now / ORDERDESK_NOW: {exc}")

    def connect() -> Database:
        db = ctx.open()
        if prepare is not None and isinstance(refused := prepare(db), Refusal):
            raise core_db.DatabaseError(refused.message)
        return db

    app = tui_app.OrderDeskApp(connect, now_text=ctx.now_text, locked=ctx.locked or locked, log_file=ctx.log_file,
                               **start)
    app.run()
    if app.refusal is not None:
        report(ctx.as_json, app.refusal, app.return_code or 1)
    if app.return_code:  # 129: the terminal hung up
        raise CliExit(app.return_code)




# Errors writing stdout that click raises itself (--help into a full disk, a closed pipe).
_STDOUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def main(argv=None) -> int:
    """Run the command line; every way it can end is an exit code and a message here."""
    argv = sys.argv[1:] if argv is None else argv
    as_json = "--json" in argv
    if (undecodable := _undecodable(argv)) is not None:
        return _report_quietly(as_json, Refusal("bad_input", undecodable), 2)
    try:
        cli.main(args=argv, prog_name="orderdesk", standalone_mode=False)
        return 0
    except CliExit as done:
        return done.code
    except click.exceptions.Abort:
        return 130
    except click.ClickException as exc:  # malformed options: exit 2, JSON when asked
        if as_json:
            return _report_quietly(True, Refusal("bad_input", exc.format_message()), 2)
        try:
            exc.show()
        except OSError:
            pass
        return 2
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in _STDOUT_ERRNOS:
            exc = StreamError(f"Cannot write to standard output: {exc.strerror}.")
        if isinstance(exc, StreamError):  # stdout itself failed: the one line goes to stderr
            if exc.stream == "output":
                _mute_stdout()
            return _report_quietly(False, Refusal("output", str(exc)), 2)
        return _report_quietly(as_json, *_explain(exc))


def _undecodable(argv: list[str]) -> str | None:
    """Text that is not UTF-8 (bytes Python could only decode as lone surrogates) would
    fail later, in the database or on the terminal: say so up front."""
    def is_text(text: str) -> bool:
        return text.encode("utf-8", "replace").decode("utf-8") == text

    hint = "is not valid text: orderdesk takes UTF-8; check the encoding of the terminal or script."
    for arg in argv:
        if not is_text(arg):
            return f"The argument {ascii(arg)} {hint}"
    for name, value in os.environ.items():
        if name.startswith("ORDERDESK_") and not is_text(value):
            return f"${name} {hint}"
    return None


def _explain(exc: Exception) -> tuple[Refusal, int]:
    """What an exception that reached main() means to a person, and the exit code."""
    if isinstance(exc, OutputError):
        return Refusal("output", str(exc)), 2
    if isinstance(exc, ConfigError):
        return Refusal("bad_input", str(exc)), 2
    if "core.db" in sys.modules and isinstance(exc, core_db.DatabaseError):
        return (Refusal("busy", str(exc)), 1) if isinstance(exc, core_db.DatabaseBusy) else \
               (Refusal("database", str(exc)), 2)
    log = logging.getLogger("orderdesk.cli")
    if not _log_files(log):  # a command that does not log yet: the traceback goes to the log file
        try:
            setup_logging()  # $ORDERDESK_LOG_FILE, else the user log folder
        except OSError:
            logging.getLogger("orderdesk").addHandler(logging.NullHandler())  # never the terminal
    log.exception("internal error")
    files = _log_files(log)
    where = f"the details are in {files[0]}; " if files else ""
    return Refusal("internal", f"orderdesk hit an internal error ({type(exc).__name__}); {where}"
                               "please report it with the command you ran."), INTERNAL_ERROR


def _log_files(log) -> list[str]:
    """The files `log`'s lines reach."""
    files = []
    while log is not None:
        files += [h.baseFilename for h in log.handlers if getattr(h, "baseFilename", os.devnull) != os.devnull]
        log = log.parent if log.propagate else None
    return files


def _report_quietly(as_json: bool, refusal: Refusal, exit_code: int) -> int:
    """Report, as well as the streams allow, and return the exit code."""
    try:
        report(as_json, refusal, exit_code)
    except (CliExit, StreamError):
        pass
    return exit_code


def _mute_stdout() -> None:
    """After stdout failed, point it at /dev/null so the interpreter's final flush stays
    quiet (Python's advice for SIGPIPE); only for the real stdout of a real process."""
    if sys.stdout is not sys.__stdout__:
        return
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass

