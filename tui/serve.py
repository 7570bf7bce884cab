"""Serving the app over SSH (one app process per connection) and in the browser.

SSH: `orderdesk serve ssh --port 2222 --users users.toml`. The users file maps each
login to a role and an identity, with its public keys (and, only when
--allow-passwords is given, a password_hash, or a plaintext password for demos;
see tui/users.py):

    [[user]]
    login = "seller-anna"
    role = "seller"              # or "buyer", or "walkthrough" (demos)
    identity = "Lakehouse Home"  # the shop, the buyer's username, or a walkthrough's name ("" picks)
    keys = ["ssh-ed25519 AAAA... anna@laptop"]

Each connection that asks for a terminal gets its own `orderdesk buyer|seller`
process on a pseudo-terminal of the client's size, locked to that identity (no
launcher, no way to another shop or buyer). Window changes resize it; bytes flow
unbuffered both ways (TCP_NODELAY). Exec requests, subsystems, port forwarding
and sessions without a terminal are refused. A disconnect kills only that session's
process; every command it ran was one transaction, so the database stays consistent.
Stopping the server (Ctrl+C or SIGTERM) ends every session's process the same way.

Safe to leave running (decisions where the spec is silent):
- The host key is created on first run 0600 from its first byte, under a temporary
  name in its folder (made 0700), then linked into place: no one ever reads it with
  wider permissions, nor half-written; when two servers start at once the first
  key wins. A key readable by other users, or over 64 KB, is refused (as sshd does).
- Terminal sizes are clamped to MAX_COLUMNS x MAX_ROWS (500 x 200), at the start and
  on every window change: a client cannot make its app draw a 65535 x 65535 screen.
- --max-sessions counts a session from the moment it is accepted, before anything
  is awaited, so sessions arriving together cannot overshoot it; past it a session
  is told the server is full.
- A session without a key press for --idle-timeout seconds ends; a connection
  without a session (port forwarding only, or whose sessions ended) is closed after
  as long. Every connection gets keepalives (--keepalive-interval, KEEPALIVE_COUNT_MAX
  unanswered ones drop it) and --login-timeout seconds to log in.
- The app processes get the database URL in their environment
  ($ORDERDESK_DATABASE_URL), never in argv, and log to the server's log file.
- The log (core.logs: orderdesk.ssh) keeps each connection: from where, which login
  and identity and how it logged in, each session, and how each ended; refused
  logins; failures with tracebacks. Never a password.

The demo, `orderdesk serve ssh --demo`, needs no users file: anyone logs in (with any
public key, or with none by keyboard-interactive without a prompt) and each connection gets a
private copy of the demo data (tui/sandbox.py) and a chooser (tui/chooser.py): a walkthrough,
the buyer, the seller, or both side by side. The server never opens a real database then.
- A visitor is a public key's fingerprint, or the address of a client that gave no key; each
  may have --max-visitor-sessions sessions at once.
- The sandbox is made at the connection's first session and deleted once the connection and
  its sessions have ended; a demo connection is closed when its last session ends (one visit,
  one sandbox: a connection kept open without a session would hold a sandbox for nothing).
  At most --max-sessions sandboxes exist at once.

The users file is read by tui/users.py (one module for both servers); the browser
server, `orderdesk serve web`, is tui/serve_web.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import stat
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tui import ptys
from tui.ptys import MAX_COLUMNS, MAX_ROWS, clamped_size  # noqa: F401  (the largest terminal a session gets)
from tui.sandbox import Sandbox, Sandboxes
from tui.users import ServeError, authenticate, load_users  # noqa: F401  (the users file: one module for both servers)
from tui.users import User as SshUser
from tui.users import app_command as _app_command

log = logging.getLogger("orderdesk.ssh")

KEEPALIVE_COUNT_MAX = 3  # unanswered keepalives before a connection is dropped
HOST_KEY_MAX_BYTES = 64 * 1024
CLIENT = "orderdesk_client"  # the connection's extra info naming its Client


def host_key(path: Path):
    """The server's persistent host key, created on first run (see the module's docstring)."""
    import asyncssh

    path = Path(path)
    if not path.exists():
        _create_private_file(path, asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            if info.st_mode & 0o077:
                raise ServeError(f"The host key {path} is readable by other users (mode "
                                 f"{stat.S_IMODE(info.st_mode):04o}): run `chmod 600 {path}`, or delete "
                                 "it and a new one is made (clients will then warn of a changed key).")
            data = file.read(HOST_KEY_MAX_BYTES + 1)
    except OSError as exc:
        raise ServeError(f"Cannot read the host key {path}: {exc.strerror}.") from None
    try:
        if len(data) > HOST_KEY_MAX_BYTES:
            raise ValueError("it is larger than any key")
        return asyncssh.import_private_key(data)
    except (ValueError, asyncssh.KeyImportError) as exc:
        raise ServeError(f"The host key {path} is not a private key ({exc}): give another with "
                         "--host-key, or delete it and a new one is made.") from None


def _create_private_file(path: Path, data: bytes) -> None:
    """Write a secret to a new file, 0600 from its first byte: under a temporary name in the
    same folder (made 0700), then linked into place, so it appears whole; if another process
    made the file meanwhile, theirs stays."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


@dataclass
class SshSettings:
    users: dict[str, SshUser]
    app_args: list[str]  # global options for the app processes (--now); never the database
    app_env: dict[str, str] = field(default_factory=dict)  # their database URL and log file
    allow_passwords: bool = False
    idle_timeout: float = 900.0
    max_sessions: int = 50
    login_timeout: float = 60.0
    keepalive_interval: float = 30.0
    demo: Sandboxes | None = None  # --demo: anyone, each connection on a sandbox of its own
    max_visitor_sessions: int = 3  # --demo: sessions at once per visitor
    sessions: set[Session] = field(default_factory=set)
    visitors: Counter = field(default_factory=Counter)  # --demo: sessions per visitor
    stopping: bool = False


@dataclass(eq=False)
class Session:
    """One terminal session, counted in `SshSettings.sessions` from its acceptance to its end."""
    client: Client
    app: ptys.Program | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def hang_up(self) -> None:
        """As a disconnect does: SIGHUP the session's app (and anything it started)."""
        if self.app is not None:
            self.app.hang_up()


async def _run_session(process, settings: SshSettings) -> None:
    """One session: refused, or an app on a pty until the client, the app or the idle
    timeout ends it. Logged from start to end; a failure is logged with its traceback."""
    client: Client = process.get_extra_info(CLIENT)
    if process.command is not None or process.subsystem is not None:
        return _refuse(process, client, "commands are not allowed",
                       "orderdesk: this server only opens the app; commands are not allowed.")
    if process.get_terminal_type() is None:
        return _refuse(process, client, "no terminal",
                       "orderdesk: the app needs a terminal; connect with `ssh -t`.")
    if settings.stopping:
        return _refuse(process, client, "the server is stopping", "orderdesk: the server is stopping.")
    if len(settings.sessions) >= settings.max_sessions:
        return _refuse(process, client, f"the server is full ({settings.max_sessions} sessions)",
                       f"orderdesk: the server is full ({settings.max_sessions} sessions); "
                       "try again in a few minutes.", stream=process.stdout)
    if settings.demo is not None:
        if settings.visitors[client.visitor] >= settings.max_visitor_sessions:
            return _refuse(process, client, f"{client.visitor} has {settings.max_visitor_sessions} sessions",
                           f"orderdesk: you have {settings.max_visitor_sessions} demo sessions open already; "
                           "close one and try again.", stream=process.stdout)
        if client.sandbox is None and settings.demo.full:
            return _refuse(process, client, f"the demo is full ({settings.demo.limit} sandboxes)",
                           f"orderdesk: the demo is full ({settings.demo.limit} visitors); "
                           "try again in a few minutes.", stream=process.stdout)
    session = Session(client)
    settings.sessions.add(session)  # counted now, before the first await
    settings.visitors[client.visitor] += 1
    client.session_started()
    how = "failed"
    try:
        argv, env = await _session_command(client, settings)
        how = await _serve_app(process, session, argv, env, settings)
    except Exception:
        log.exception("session of %s failed", client)
        process.stderr.write(b"\r\norderdesk: the session failed; the server's log has the details.\r\n")
    finally:
        settings.sessions.discard(session)
        settings.visitors -= Counter({client.visitor: 1})  # (a visitor at 0 leaves the counter)
        session.ended.set()
        code = session.app.process.returncode if session.app else 1
        log.info("session of %s ended: %s", client, how)
        process.exit(code if code and code > 0 else 0)
        client.session_ended()


async def _session_command(client: Client, settings: SshSettings) -> tuple[list[str], dict[str, str]]:
    """What the session runs (`orderdesk ...`), and its environment: the login's app on the
    served database; in the demo, the chooser on the connection's sandbox (made at its
    first session)."""
    if settings.demo is None:
        command = _app_command(settings.users[client.login])
        return [sys.executable, "-m", "tui.cli", *settings.app_args, *command], {**os.environ, **settings.app_env}
    sandbox = await client.sandbox_ready()
    return [sys.executable, "-m", "tui.chooser", *settings.app_args], dict(sandbox.env)


def _refuse(process, client: Client, why: str, message: str, stream=None) -> None:
    log.info("refused a session of %s: %s", client, why)
    (stream or process.stderr).write(message.encode() + b"\r\n")
    process.exit(1)


async def _serve_app(process, session: Session, argv: list[str], env: dict[str, str],
                     settings: SshSettings) -> str:
    """Run `argv` on a pty wired to the session; return how it ended."""
    asked = process.get_terminal_size()[:2]
    env = {**env, "TERM": process.get_terminal_type() or "xterm-256color",
           "COLORTERM": (process.env or {}).get("COLORTERM", "truecolor")}
    width, height = clamped_size(*asked)
    app = session.app = await ptys.Program.start(argv, env, width, height)
    if settings.stopping:  # the server began stopping while this app started
        session.hang_up()
    log.info("session of %s: app pid %d on a %dx%d %s terminal%s", session.client, app.process.pid,
             width, height, process.get_terminal_type(),
             f" (asked for {asked[0]}x{asked[1]})" if (width, height) != tuple(asked) else "")
    return await _pump(process, app, settings)


async def _pump(process, app: ptys.Program, settings: SshSettings) -> str:
    """Copy bytes between the session and the app's pty until either side ends or the user
    is idle; then make sure the app has ended. Return how it ended."""
    import asyncssh

    loop = asyncio.get_running_loop()
    closed = asyncio.Event()

    def pump_out() -> None:
        data = app.read()
        if data:
            process.stdout.write(data)
        elif data is not None:
            loop.remove_reader(app.master)
            closed.set()

    loop.add_reader(app.master, pump_out)

    async def pump_in() -> str:
        while True:
            try:
                data = await asyncio.wait_for(process.stdin.read(65536), settings.idle_timeout)
            except asyncssh.TerminalSizeChanged as change:
                app.resize(change.width, change.height)
                continue
            except asyncio.TimeoutError:
                process.stdout.write(b"\x1b[?1049l\x1b[0m\r\norderdesk: session ended after being idle.\r\n")
                return f"idle for {settings.idle_timeout:g} s"
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            if not data:
                return "the client closed it"
            await app.send(data)

    reader = asyncio.create_task(pump_in())
    waiter = asyncio.create_task(closed.wait())
    try:
        await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader.cancel()
        waiter.cancel()
        loop.remove_reader(app.master)
        await app.end()
    if settings.stopping:
        return "the server stopped"
    if reader.done() and not reader.cancelled():
        lost = reader.exception()
        return reader.result() if lost is None else f"the connection was lost ({lost!r})"
    return f"the app exited (code {app.process.returncode})"


def _shown(login: str) -> str:
    """A login as the log shows it: quoted and escaped (it comes from the client), bounded."""
    return repr(login[:64] + ("..." if len(login) > 64 else ""))


class Client:
    """One connection's record: where from, who logged in, its sessions; closes the
    connection when it has had no session for the idle timeout."""

    def __init__(self, conn, settings: SshSettings):
        self.conn, self.settings = conn, settings
        host, port, *_ = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{host}:{port}"
        self.login: str | None = None
        self.how = ""  # how the login was proved
        self.visitor = f"address {host}"  # --demo: who counts as one visitor (a key's, once given)
        self.sandbox: Sandbox | None = None  # --demo: this connection's, from its first session
        self._filled: asyncio.Future | None = None
        self.gone = False  # the connection has closed
        self.sessions = 0
        self.closing = ""  # why the server closes it, when it does
        self.started = time.monotonic()
        self._idle_timer = None
        self._arm_idle_timer()

    def __str__(self) -> str:
        if self.login is None:
            return f"{self.peer} (not logged in)"
        return f"{_shown(self.login)} at {self.peer}"

    def session_started(self) -> None:
        self.sessions += 1
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def session_ended(self) -> None:
        self.sessions -= 1
        if self.sessions == 0 and self.settings.demo is not None:
            self.closing = "the visit ended"  # see the module's docstring
            self.conn.close()
            self._release_sandbox()
        elif self.sessions == 0:
            self._arm_idle_timer()

    async def sandbox_ready(self) -> Sandbox:
        """This connection's sandbox once filled, shared by its sessions: made at the first
        call, and counted before anything is awaited, so connections arriving together cannot
        overshoot the cap."""
        demo = self.settings.demo
        if self._filled is None:
            self.sandbox = demo.reserve()
            log.info("sandbox %s for %s", self.sandbox.folder.name, self)
            self._filled = asyncio.ensure_future(asyncio.to_thread(self.sandbox.fill, demo.template))
        await asyncio.shield(self._filled)
        return self.sandbox

    def _release_sandbox(self) -> None:
        """Delete the sandbox once the connection and all its sessions have ended."""
        if self.sandbox is not None and self.gone and self.sessions == 0:
            self.settings.demo.remove(self.sandbox)
            log.info("deleted sandbox %s of %s", self.sandbox.folder.name, self)
            self.sandbox = None

    def _arm_idle_timer(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.settings.idle_timeout, self._idle_out)

    def _idle_out(self) -> None:
        self.closing = f"no session for {self.settings.idle_timeout:g} s"
        self.conn.close()

    def lost(self, exc: Exception | None) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self.gone = True
        why = self.closing or (str(exc) if exc else "closed by the client")
        log.info("connection of %s closed after %.0f s: %s", self, time.monotonic() - self.started, why)
        self._release_sandbox()


def make_server_class(settings: SshSettings):
    import asyncssh

    class OrderdeskSSHServer(asyncssh.SSHServer):
        """One per connection: accepts its logins and keeps its Client."""

        client: Client

        def connection_made(self, conn) -> None:
            sock = conn.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.client = Client(conn, settings)
            conn.set_extra_info(**{CLIENT: self.client})
            log.info("connection from %s", self.client.peer)

        def connection_lost(self, exc) -> None:
            self.client.lost(exc)

        def begin_auth(self, username: str) -> bool:
            if username not in settings.users:
                log.info("refused login %s from %s: no such login", _shown(username), self.client.peer)
            return True  # always authenticate; unknown logins simply never succeed

        def auth_completed(self) -> None:
            client = self.client
            client.login = client.conn.get_extra_info("username")
            user = settings.users[client.login]
            log.info("login %s (%s %r) from %s by %s", _shown(user.login), user.role, user.identity,
                     client.peer, client.how)

        def public_key_auth_supported(self) -> bool:
            return True

        def validate_public_key(self, username: str, key) -> bool:
            user = settings.users.get(username)
            if user is None:
                return False
            offered = key.export_public_key().split()[:2]
            if any(line.split()[:2] == [part.decode() for part in offered] for line in user.keys):
                self.client.how = f"public key {key.get_fingerprint()}"
                return True
            log.info("refused public key %s for login %s from %s", key.get_fingerprint(), _shown(username),
                     self.client.peer)
            return False

        def password_auth_supported(self) -> bool:
            return settings.allow_passwords

        async def validate_password(self, username: str, password: str) -> bool:
            user = settings.allow_passwords and await asyncio.to_thread(
                authenticate, settings.users, username, password, plaintext=True)
            if user:
                self.client.how = "password"
                return True
            if username in settings.users:
                log.info("refused a wrong password for login %s from %s", _shown(username), self.client.peer)
            return False

        def server_requested(self, listen_host, listen_port):
            log.info("refused remote port forwarding for %s", self.client)
            return False

        def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
            log.info("refused port forwarding for %s", self.client)
            return False

    class DemoSSHServer(OrderdeskSSHServer):
        """--demo: anyone, under any login name; a public key is accepted (and names the
        visitor), and a client without one logs in by keyboard-interactive without a prompt
        (and is known by its address). Passwords are not asked for: nothing is secret here."""

        def begin_auth(self, username: str) -> bool:
            return True  # a key, when the client has one, is offered before keyboard-interactive

        def auth_completed(self) -> None:
            client = self.client
            client.login = client.conn.get_extra_info("username")
            log.info("demo visitor %s from %s by %s", _shown(client.login), client.peer, client.how)

        def validate_public_key(self, username: str, key) -> bool:
            fingerprint = key.get_fingerprint()
            self.client.how = f"public key {fingerprint}"
            self.client.visitor = f"key {fingerprint}"
            return True

        def kbdint_auth_supported(self) -> bool:
            return True

        def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> bool:
            self.client.how = "no authentication"
            return True

        def password_auth_supported(self) -> bool:
            return False

    return OrderdeskSSHServer if settings.demo is None else DemoSSHServer


async def start_ssh(host: str, port: int, key_path: Path, settings: SshSettings):
    import asyncssh

    return await asyncssh.create_server(
        make_server_class(settings), host, port, server_host_keys=[host_key(key_path)],
        process_factory=lambda process: _run_session(process, settings),
        encoding=None, agent_forwarding=False, x11_forwarding=False, allow_scp=False,
        line_editor=False, login_timeout=settings.login_timeout,
        keepalive_interval=settings.keepalive_interval, keepalive_count_max=KEEPALIVE_COUNT_MAX)


def serve_ssh(host: str, port: int, key_path: Path, settings: SshSettings) -> None:
    """Serve until SIGINT or SIGTERM. With --demo, the sandboxes' folder is made first (stale
    ones deleted) and deleted with every sandbox at the end, however the server ends."""
    if settings.demo is not None:
        settings.demo.start()
    try:
        asyncio.run(_serve(host, port, key_path, settings))
    finally:
        if settings.demo is not None:
            settings.demo.stop()


async def _serve(host: str, port: int, key_path: Path, settings: SshSettings) -> None:
    server = await start_ssh(host, port, key_path, settings)
    whom = ("anyone, each connection on a private copy of the demo data" if settings.demo is not None
            else f"{len(settings.users)} user(s)")
    print(f"orderdesk: serving over SSH on {host}:{port} for {whom}; Ctrl+C stops.", flush=True)
    log.info("serving over SSH on %s:%s for %s; at most %d sessions, idle timeout %g s, "
             "login timeout %g s, keepalive every %g s", host, port, whom,
             settings.max_sessions, settings.idle_timeout, settings.login_timeout,
             settings.keepalive_interval)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("stopping: hanging up %d session(s)", len(settings.sessions))
    settings.stopping = True
    server.close()
    sessions = list(settings.sessions)
    for session in sessions:  # as a disconnect does: hang up each session's app
        session.hang_up()
    await asyncio.gather(*(session.ended.wait() for session in sessions))
    log.info("stopped")
