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

The users file is read by tui/users.py (one module for both servers); the browser
server, `orderdesk serve web`, is tui/serve_web.py.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import socket
import stat
import struct
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

from tui.users import ServeError, authenticate, load_users  # noqa: F401  (the users file: one module for both servers)
from tui.users import User as SshUser
from tui.users import app_command as _app_command

log = logging.getLogger("orderdesk.ssh")

MAX_COLUMNS, MAX_ROWS = 500, 200  # the largest terminal a session gets
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
    sessions: set[Session] = field(default_factory=set)
    stopping: bool = False


@dataclass(eq=False)
class Session:
    """One terminal session, counted in `SshSettings.sessions` from its acceptance to its end."""
    client: Client
    child: asyncio.subprocess.Process | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def hang_up(self) -> None:
        """As a disconnect does: SIGHUP the session's app (and anything it started)."""
        if self.child is not None and self.child.returncode is None:
            try:
                os.killpg(self.child.pid, signal.SIGHUP)
            except ProcessLookupError:
                pass


def clamped_size(width: int, height: int) -> tuple[int, int]:
    """The terminal size a session gets: the client's, at most MAX_COLUMNS x MAX_ROWS
    (80 x 24 when the client gives none)."""
    return min(width or 80, MAX_COLUMNS), min(height or 24, MAX_ROWS)


def _take_terminal() -> None:
    """In the session's process: make the pty its controlling terminal, so window
    changes reach it as SIGWINCH."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _set_size(fd: int, width: int, height: int) -> tuple[int, int]:
    width, height = clamped_size(width, height)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    return width, height


async def _run_session(process, settings: SshSettings) -> None:
    """One session: refused, or an app on a pty until the client, the app or the idle
    timeout ends it. Logged from start to end; a failure is logged with its traceback."""
    client: Client = process.get_extra_info(CLIENT)
    user = settings.users[client.login]
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
    session = Session(client)
    settings.sessions.add(session)  # counted now, before the first await
    client.session_started()
    how = "failed"
    try:
        how = await _serve_app(process, session, user, settings)
    except Exception:
        log.exception("session of %s failed", client)
        process.stderr.write(b"\r\norderdesk: the session failed; the server's log has the details.\r\n")
    finally:
        settings.sessions.discard(session)
        session.ended.set()
        client.session_ended()
        code = session.child.returncode if session.child else 1
        log.info("session of %s ended: %s", client, how)
        process.exit(code if code and code > 0 else 0)


def _refuse(process, client: Client, why: str, message: str, stream=None) -> None:
    log.info("refused a session of %s: %s", client, why)
    (stream or process.stderr).write(message.encode() + b"\r\n")
    process.exit(1)


async def _serve_app(process, session: Session, user: SshUser, settings: SshSettings) -> str:
    """Run the user's app on a pty wired to the session; return how it ended."""
    asked = process.get_terminal_size()[:2]
    env = {**os.environ, **settings.app_env, "TERM": process.get_terminal_type() or "xterm-256color"}
    env["COLORTERM"] = (process.env or {}).get("COLORTERM", "truecolor")
    master, slave = os.openpty()
    try:
        width, height = _set_size(master, *asked)
        try:
            session.child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tui.cli", *settings.app_args, *_app_command(user),
                stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                preexec_fn=_take_terminal)
        finally:
            os.close(slave)
        if settings.stopping:  # the server began stopping while this app started
            session.hang_up()
        log.info("session of %s: app pid %d on a %dx%d %s terminal%s", session.client, session.child.pid,
                 width, height, process.get_terminal_type(),
                 f" (asked for {asked[0]}x{asked[1]})" if (width, height) != tuple(asked) else "")
        return await _pump(process, master, session, settings)
    finally:
        os.close(master)


async def _pump(process, master: int, session: Session, settings: SshSettings) -> str:
    """Copy bytes between the session and the app's pty until either side ends or the user
    is idle; then make sure the app has ended. Return how it ended."""
    import asyncssh

    child = session.child
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()

    def pump_out() -> None:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if data:
            process.stdout.write(data)
        else:
            loop.remove_reader(master)
            closed.set()

    loop.add_reader(master, pump_out)

    async def pump_in() -> str:
        while True:
            try:
                data = await asyncio.wait_for(process.stdin.read(65536), settings.idle_timeout)
            except asyncssh.TerminalSizeChanged as change:
                _set_size(master, change.width, change.height)
                continue
            except asyncio.TimeoutError:
                process.stdout.write(b"\x1b[?1049l\x1b[0m\r\norderdesk: session ended after being idle.\r\n")
                return f"idle for {settings.idle_timeout:g} s"
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            if not data:
                return "the client closed it"
            os.write(master, data)

    reader = asyncio.create_task(pump_in())
    waiter = asyncio.create_task(closed.wait())
    try:
        await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader.cancel()
        waiter.cancel()
        loop.remove_reader(master)
        if child.returncode is None:
            session.hang_up()
            try:
                await asyncio.wait_for(child.wait(), 3)
            except asyncio.TimeoutError:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await child.wait()
    if settings.stopping:
        return "the server stopped"
    if reader.done() and not reader.cancelled():
        lost = reader.exception()
        return reader.result() if lost is None else f"the connection was lost ({lost!r})"
    return f"the app exited (code {child.returncode})"


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
        if self.sessions == 0:
            self._arm_idle_timer()

    def _arm_idle_timer(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.settings.idle_timeout, self._idle_out)

    def _idle_out(self) -> None:
        self.closing = f"no session for {self.settings.idle_timeout:g} s"
        self.conn.close()

    def lost(self, exc: Exception | None) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        why = self.closing or (str(exc) if exc else "closed by the client")
        log.info("connection of %s closed after %.0f s: %s", self, time.monotonic() - self.started, why)


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

    return OrderdeskSSHServer


async def start_ssh(host: str, port: int, key_path: Path, settings: SshSettings):
    import asyncssh

    return await asyncssh.create_server(
        make_server_class(settings), host, port, server_host_keys=[host_key(key_path)],
        process_factory=lambda process: _run_session(process, settings),
        encoding=None, agent_forwarding=False, x11_forwarding=False, allow_scp=False,
        line_editor=False, login_timeout=settings.login_timeout,
        keepalive_interval=settings.keepalive_interval, keepalive_count_max=KEEPALIVE_COUNT_MAX)


def serve_ssh(host: str, port: int, key_path: Path, settings: SshSettings) -> None:
    async def main() -> None:
        server = await start_ssh(host, port, key_path, settings)
        print(f"orderdesk: serving over SSH on {host}:{port} for {len(settings.users)} user(s); "
              "Ctrl+C stops.", flush=True)
        log.info("serving over SSH on %s:%s for %d user(s); at most %d sessions, idle timeout %g s, "
                 "login timeout %g s, keepalive every %g s", host, port, len(settings.users),
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

    asyncio.run(main())
