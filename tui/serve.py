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
and sessions without a terminal are refused. A session idle for --idle-timeout
seconds ends; past --max-sessions a new connection is told the server is full.
A disconnect kills only that session's process; every command it ran was one
transaction, so the database stays consistent. Stopping the server (Ctrl+C or
SIGTERM) ends every session's process the same way.

The users file is read by tui/users.py (one module for both servers); the browser
server, `orderdesk serve web`, is tui/serve_web.py.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import socket
import struct
import sys
import termios
from dataclasses import dataclass, field
from pathlib import Path

from tui.users import ServeError, authenticate, load_users  # noqa: F401  (the users file: one module for both servers)
from tui.users import User as SshUser
from tui.users import app_command as _app_command


def host_key(path: Path):
    """The server's persistent host key, created on first run."""
    import asyncssh

    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        path.write_bytes(key.export_private_key())
        path.chmod(0o600)
    return asyncssh.read_private_key(str(path))


@dataclass
class SshSettings:
    users: dict[str, SshUser]
    app_args: list[str]  # global options for the app processes (--db / --database-url / --now)
    allow_passwords: bool = False
    idle_timeout: float = 900.0
    max_sessions: int = 50
    sessions: set = field(default_factory=set)


def _take_terminal() -> None:
    """In the session's process: make the pty its controlling terminal, so window
    changes reach it as SIGWINCH."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _set_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


async def _run_session(process, settings: SshSettings) -> None:
    import asyncssh

    user = settings.users[process.get_extra_info("username")]
    if process.command is not None or process.subsystem is not None:
        process.stderr.write(b"orderdesk: this server only opens the app; commands are not allowed.\r\n")
        process.exit(1)
        return
    if process.get_terminal_type() is None:
        process.stderr.write(b"orderdesk: the app needs a terminal; connect with `ssh -t`.\r\n")
        process.exit(1)
        return
    if len(settings.sessions) >= settings.max_sessions:
        process.stdout.write(f"orderdesk: the server is full ({settings.max_sessions} sessions); "
                             "try again in a few minutes.\r\n".encode())
        process.exit(1)
        return
    width, height, *_ = process.get_terminal_size()
    master, slave = os.openpty()
    _set_size(master, width or 80, height or 24)
    env = {**os.environ, "TERM": process.get_terminal_type() or "xterm-256color"}
    client_env = process.env or {}
    env["COLORTERM"] = client_env.get("COLORTERM", "truecolor")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui.cli", *settings.app_args, *_app_command(user),
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        preexec_fn=_take_terminal)
    os.close(slave)
    settings.sessions.add(child)
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

    async def pump_in() -> None:
        while True:
            try:
                data = await asyncio.wait_for(process.stdin.read(65536), settings.idle_timeout)
            except asyncssh.TerminalSizeChanged as change:
                _set_size(master, change.width, change.height)
                continue
            except asyncio.TimeoutError:
                process.stdout.write(b"\x1b[?1049l\x1b[0m\r\norderdesk: session ended after being idle.\r\n")
                return
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            if not data:
                return
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
            try:
                os.killpg(child.pid, signal.SIGHUP)
                await asyncio.wait_for(child.wait(), 3)
            except (ProcessLookupError, asyncio.TimeoutError):
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await child.wait()
        settings.sessions.discard(child)
        os.close(master)
        process.exit(child.returncode if child.returncode and child.returncode > 0 else 0)


def make_server_class(settings: SshSettings):
    import asyncssh

    class OrderdeskSSHServer(asyncssh.SSHServer):
        def connection_made(self, conn) -> None:
            sock = conn.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def begin_auth(self, username: str) -> bool:
            return True  # always authenticate; unknown logins simply never succeed

        def public_key_auth_supported(self) -> bool:
            return True

        def validate_public_key(self, username: str, key) -> bool:
            user = settings.users.get(username)
            if user is None:
                return False
            offered = key.export_public_key().split()[:2]
            return any(line.split()[:2] == [part.decode() for part in offered] for line in user.keys)

        def password_auth_supported(self) -> bool:
            return settings.allow_passwords

        async def validate_password(self, username: str, password: str) -> bool:
            return settings.allow_passwords and await asyncio.to_thread(
                authenticate, settings.users, username, password, plaintext=True) is not None

        def server_requested(self, listen_host, listen_port):
            return False  # no remote port forwarding

        def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
            return False  # no local port forwarding

    return OrderdeskSSHServer


async def start_ssh(host: str, port: int, key_path: Path, settings: SshSettings):
    import asyncssh

    return await asyncssh.create_server(
        make_server_class(settings), host, port, server_host_keys=[host_key(key_path)],
        process_factory=lambda process: _run_session(process, settings),
        encoding=None, agent_forwarding=False, x11_forwarding=False, allow_scp=False,
        line_editor=False, login_timeout=60)


def serve_ssh(host: str, port: int, key_path: Path, settings: SshSettings) -> None:
    async def main() -> None:
        server = await start_ssh(host, port, key_path, settings)
        print(f"orderdesk: serving over SSH on {host}:{port} for {len(settings.users)} user(s); "
              "Ctrl+C stops.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        server.close()
        for child in list(settings.sessions):  # as a disconnect does: hang up each session's app
            try:
                os.killpg(child.pid, signal.SIGHUP)
            except ProcessLookupError:
                pass
        await asyncio.gather(*(child.wait() for child in list(settings.sessions)))

    asyncio.run(main())
