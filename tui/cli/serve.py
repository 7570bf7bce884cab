"""`orderdesk serve ssh|web|hash-password`: serve the app."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from core.logs import LOG_FILE_ENV
from core.paths import DATABASE_URL_ENV, database_env, redacted
from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass


from tui.cli.base import Context, Seconds, cli, with_json
from core.paths import config_dir

sandbox = lazy_import("tui.sandbox")
ssh = lazy_import("tui.serve")  # asyncssh and the rest: only for `serve ssh`
web = lazy_import("tui.serve_web")  # textual-serve, aiohttp: only for `serve web`
users = lazy_import("tui.users")

@cli.group()
def serve():
    """Serve the app over SSH or in a browser."""


def _app_args(ctx: Context) -> list[str]:
    """The global options on the served app processes' command lines: never the database
    (every local user sees argv in `ps`); `_start_serving` gives it in their environment."""
    return ["--now", ctx.now_text] if ctx.now_text else []


def _start_serving(ctx: Context, what: str) -> dict[str, str]:
    """Open (and upgrade) the database once, before any session starts, and start the log;
    print what is served where (the database's URL without its password). Return the
    environment the served app processes need: the database URL and the log file."""
    ctx.db
    url = ctx.database_url
    log_file = ctx.start_log()
    click.echo(f"orderdesk: {what} the database {redacted(url)}; logging to {log_file}.")
    return {**database_env(url), LOG_FILE_ENV: str(log_file)}


@serve.command("ssh")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=2222, show_default=True)
@click.option("--users", "users_file", type=click.Path(path_type=Path), metavar="FILE",
              default=lambda: str(config_dir() / "ssh_users.toml"), show_default="~/.config/orderdesk/ssh_users.toml",
              help="Logins, their role (buyer/seller), identity and public keys (TOML).")
@click.option("--host-key", type=click.Path(path_type=Path), metavar="FILE",
              default=lambda: str(config_dir() / "ssh_host_ed25519_key"), show_default="created on first run",
              help="The server's private host key.")
@click.option("--allow-passwords", is_flag=True, help="Also accept the users file's passwords (demos only).")
@click.option("--idle-timeout", type=Seconds(1, 86_400), default=900, show_default=True,
              help="Seconds without a key press before a session ends, and without a session before "
                   "a connection is closed.")
@click.option("--max-sessions", type=click.IntRange(min=1, max=10000), default=50, show_default=True)
@click.option("--login-timeout", type=Seconds(1, 3_600), default=60, show_default=True,
              help="Seconds a connection has to log in.")
@click.option("--keepalive-interval", type=Seconds(1, 3_600), default=30, show_default=True,
              help="Seconds between keepalives; a client that misses 3 in a row is dropped.")
@click.option("--demo", is_flag=True,
              help="Anyone may log in (any key, or none) and gets a private copy of the demo data, "
                   "deleted when the connection ends; no users file, never a real database.")
@click.option("--max-visitor-sessions", type=click.IntRange(1, 100), default=3, show_default=True,
              help="With --demo: sessions at once per visitor (a key, else an address).")
@click.option("--max-sandbox-mb", type=click.IntRange(1, 10_000), default=64, show_default=True,
              help="With --demo: the most each visitor's copy of the data may grow to.")
@with_json
def serve_ssh_cmd(ctx: Context, host, port, users_file, host_key, allow_passwords, idle_timeout, max_sessions,
                  login_timeout, keepalive_interval, demo, max_visitor_sessions, max_sandbox_mb):
    """One app per SSH connection, by public key, as a buyer or a shop's seller; with --demo,
    anyone, on a sandbox of their own (--max-sessions sandboxes at once).

    Users file (TOML), one [[user]] per login:

    \b
    [[user]]
    login = "seller-anna"
    role = "seller"
    identity = "Lakehouse Home"
    keys = ["ssh-ed25519 AAAA... anna@laptop"]
    password_hash = "$argon2id$..."   # optional, with --allow-passwords (orderdesk serve hash-password)
    """
    limits = dict(idle_timeout=idle_timeout, max_sessions=max_sessions, login_timeout=login_timeout,
                  keepalive_interval=keepalive_interval)
    try:
        if demo:
            _refuse_real_data_in_demo(ctx)
            log_file = ctx.start_log()
            settings = ssh.SshSettings({}, _app_args(ctx), max_visitor_sessions=max_visitor_sessions, **limits,
                                       demo=sandbox.Sandboxes(max_sessions, max_sandbox_mb * 2**20, str(log_file)))
            click.echo(f"orderdesk: serving the demo over SSH, a private copy of the demo data per "
                       f"connection{' (ignoring $ORDERDESK_DATABASE_URL)' if _database_url_in_env() else ''}; "
                       f"logging to {log_file}.")
        else:
            settings = ssh.SshSettings(users.load_users(users_file), _app_args(ctx),
                                       allow_passwords=allow_passwords, **limits)
            settings.app_env = _start_serving(ctx, "serving over SSH")
        ssh.serve_ssh(host, port, host_key, settings)
    except (users.ServeError, OSError) as exc:
        logging.getLogger("orderdesk.ssh").error("cannot serve over SSH: %s", exc)
        ctx.fail("bad_input", f"Cannot serve over SSH: {exc}")


def _database_url_in_env() -> bool:
    return bool(os.environ.get(DATABASE_URL_ENV))


def _refuse_real_data_in_demo(ctx: Context) -> None:
    """--demo serves only sandboxes: a database, users file or passwords given on the command
    line with it is bad input (exit 2); $ORDERDESK_DATABASE_URL is ignored (the demo is often
    started from a shell that has it)."""
    here = click.get_current_context()
    options = [("--db", here.find_root(), "db_path"), ("--database-url", here.find_root(), "database_url"),
               ("--db", here, "db_path"),  # every command takes --db after its name as well (with_json)
               ("--users", here, "users_file"), ("--allow-passwords", here, "allow_passwords")]
    given = list(dict.fromkeys(option for option, where, name in options
                               if where.get_parameter_source(name) is ParameterSource.COMMANDLINE))
    if given:
        ctx.fail("bad_input", f"--demo serves only private copies of the demo data: it takes no "
                 f"{' / '.join(given)}. Drop {'it' if len(given) == 1 else 'them'}, or serve without --demo.")


@serve.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (other than loopback only with --users).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--users", "users_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Logins with a password_hash (the users file of `serve ssh`). Without it: loopback "
                   "only, behind a one-time link printed at start.")
@click.option("--public-url", metavar="URL",
              help="The address browsers open (behind a proxy, or to listen on 0.0.0.0); pages from "
                   "any other origin are refused.")
@click.option("--max-sessions", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="Browser tabs (app processes) at once.")
@with_json
def serve_web_cmd(ctx: Context, host, port, users_file, public_url, max_sessions):
    """The app in a browser: a login, then one app per tab, locked to the login's identity.

    \b
    [[user]]
    login = "seller-anna"
    role = "seller"
    identity = "Lakehouse Home"
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."   # orderdesk serve hash-password
    """
    try:
        settings = web.WebSettings(host, port, app_env={}, app_args=_app_args(ctx),
                                   users=users.load_users(users_file) if users_file else None,
                                   public_url=public_url, max_sessions=max_sessions)
        settings.check()
    except users.ServeError as exc:
        ctx.fail("bad_input", f"Cannot serve in a browser: {exc}")
    settings.app_env = _start_serving(ctx, "serving in a browser")
    try:
        web.serve_web(settings)
    except OSError as exc:
        ctx.fail("bad_input", f"Cannot serve in a browser on {host}:{port}: {exc.strerror or exc}.")


@serve.command("hash-password")
@with_json
def hash_password_cmd(ctx: Context):
    """Print a password_hash for the users file (argon2id).

    The password is asked twice on the terminal, or read from the first line of standard input
    when that is not a terminal (e.g. from a password manager); never from the command line."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            ctx.fail("bad_input", "The two passwords differ; nothing was made. Run it again.")
    else:
        password = sys.stdin.readline(users.MAX_PASSWORD + 2).rstrip("\r\n")  # longer is refused below
    try:
        hashed = users.hash_password(password)
    except ValueError as exc:
        ctx.fail("bad_input", str(exc))
    ctx.emit({"password_hash": hashed}, f'password_hash = "{hashed}"')


