"""`orderdesk serve ssh` safe to leave running: its host key, terminal sizes, the session cap,
connections that hold on without a session, keepalives, the login grace time, and its log."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import asyncssh
import pytest

from tests.e2e.conftest import Terminal, free_port, login, session_processes
from tests.waiting import await_until
from tui.serve import MAX_COLUMNS, MAX_ROWS, ServeError, host_key


def run(coro):
    return asyncio.run(coro)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def footer_fills(term: Terminal) -> bool:
    """The app's key bar is the terminal's last line and its `? Help` ends in the last
    column: the app draws exactly this terminal's size."""
    return term.screen.display[-1].endswith("? Help")


# -- the host key ------------------------------------------------------------------------------
_watched: list[Path] = []  # the folder the audit hook reports on (hooks cannot be removed)
_opened_for_writing: list[Path] = []


def _audit(event: str, args) -> None:
    if event == "open" and _watched and isinstance(args[0], (str, bytes, os.PathLike)):
        path = Path(os.fsdecode(args[0]))
        if path.parent == _watched[0] and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            _opened_for_writing.append(path)


sys.addaudithook(_audit)


def test_the_host_key_is_0600_from_its_first_byte_whatever_the_umask(tmp_path, monkeypatch):
    """Every file written in the key's folder, by any means (an audit hook sees them all), was
    created by os.open(O_CREAT|O_EXCL, 0o600): with umask 000 nothing ever had wider bits."""
    folder = tmp_path / "config" / "orderdesk"
    created = {}  # path -> (flags, mode) of each os.open in the folder
    real_open = os.open

    def recording_open(path, flags, mode=0o777, *args, **kwargs):
        if Path(os.fsdecode(path)).parent == folder:
            created[Path(os.fsdecode(path))] = (flags, mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    old_umask = os.umask(0)
    _watched.append(folder)
    try:
        key = host_key(folder / "ssh_host_ed25519_key")
    finally:
        _watched.clear()
        os.umask(old_umask)
    assert _opened_for_writing, "the key was written without the audit hook seeing it"
    for path in _opened_for_writing:
        flags, file_mode = created[path]  # KeyError: written by something other than os.open
        assert flags & os.O_CREAT and flags & os.O_EXCL and file_mode == 0o600, (path, flags, oct(file_mode))
    _opened_for_writing.clear()
    assert [p.name for p in folder.iterdir()] == ["ssh_host_ed25519_key"]  # no temporary left
    assert mode(folder / "ssh_host_ed25519_key") == 0o600 and mode(folder) == 0o700
    again = host_key(folder / "ssh_host_ed25519_key")  # the next start reads the same key
    assert again.export_public_key() == key.export_public_key()


def test_a_host_key_others_can_read_or_that_is_no_key_is_refused(tmp_path):
    path = tmp_path / "host_key"
    host_key(path)
    path.chmod(0o644)
    with pytest.raises(ServeError, match="readable by other users.*chmod 600"):
        host_key(path)
    path.chmod(0o600)
    path.write_bytes(os.urandom(100))
    with pytest.raises(ServeError, match="is not a private key"):
        host_key(path)
    path.write_bytes(b"x" * 10_000_000)
    with pytest.raises(ServeError, match="is not a private key"):
        host_key(path)


def test_the_server_makes_its_files_private_under_umask_000(ssh_server, keys):
    server = ssh_server(umask=0)

    async def session():
        term = await login(server, "aisha", keys.private["buyer"])
        await term.wait_for("Aisha Johnson")
        await term.close()

    run(session())
    assert mode(server.host_key) == 0o600
    assert mode(server.log) == 0o600


# -- terminal sizes ----------------------------------------------------------------------------------
def test_a_huge_terminal_is_clamped_at_the_start_and_on_window_changes(ssh_server, keys):
    server = ssh_server()

    async def session():
        conn = await asyncssh.connect("127.0.0.1", server.port, username="seller-anna",
                                      client_keys=[keys.private["seller"]], known_hosts=None)
        process = await conn.create_process(term_type="xterm-256color", term_size=(65535, 65535),
                                            encoding=None)
        term = Terminal(conn, process, MAX_COLUMNS, MAX_ROWS)  # what the app should draw
        await term.wait_for("Lakehouse Home", timeout=90)
        await await_until(lambda: footer_fills(term), "a 500x200 footer", timeout=90)
        assert "asked for 65535x65535" in server.wait_for_log(f"on a {MAX_COLUMNS}x{MAX_ROWS} ")
        await term.close()

        term = await login(server, "seller-anna", keys.private["seller"], width=80, height=24)
        await await_until(lambda: footer_fills(term) and "Lakehouse Home" in term.text, "an 80x24 board")
        term.screen.resize(MAX_ROWS, MAX_COLUMNS)
        term.process.change_terminal_size(1_000_000, 1_000_000)  # beyond even a pty's 16 bits
        await await_until(lambda: footer_fills(term), "a 500x200 footer after the window change", timeout=90)
        term.press("?")  # the session is alive and answers keys
        await term.wait_for("Escape closes", timeout=60)
        await term.close()

    run(session())


# -- the session cap --------------------------------------------------------------------------------
def test_sessions_arriving_together_never_exceed_max_sessions(ssh_server, keys):
    server = ssh_server("--max-sessions", "3")
    most = 0

    async def watch_processes():
        nonlocal most
        while True:
            most = max(most, len(session_processes(server)))
            await asyncio.sleep(0.02)

    async def one(n: int) -> tuple[Terminal, str]:
        term = await login(server, "seller-anna", keys.private["seller"])
        await await_until(lambda: "Lakehouse Home" in term.text or "the server is full" in term.text,
                         f"session {n} opening or being told the server is full", timeout=90)
        return term, "full" if "the server is full" in term.text else "app"

    async def together():
        watcher = asyncio.create_task(watch_processes())
        results = await asyncio.gather(*(one(n) for n in range(8)))
        outcomes = sorted(outcome for _, outcome in results)
        for term, _ in results:
            await term.close()
        watcher.cancel()
        return outcomes

    outcomes = run(together())
    assert outcomes == ["app"] * 3 + ["full"] * 5
    assert most <= 3


# -- connections without a session, keepalives, the login grace time ----------------------------------
def openssh(server, keys, tmp_path: Path, *args: str) -> subprocess.Popen:
    """The real OpenSSH client, as aisha, with port forwarding asked and no session (-N)."""
    key = tmp_path / "aisha_key"
    if not key.exists():
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(keys.private["buyer"].export_private_key())
    return subprocess.Popen(
        ["ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", str(key), "-p", str(server.port),
         "-N", "-L", f"127.0.0.1:{free_port()}:127.0.0.1:9", *args, "aisha@127.0.0.1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_forwarding_only_connection_is_closed_after_the_idle_timeout(ssh_server, keys, tmp_path):
    server = ssh_server("--idle-timeout", "2")
    client = openssh(server, keys, tmp_path)
    try:
        server.wait_for_log("login 'aisha'")
        client.wait(timeout=60)  # the server closed the connection: the client ends
        assert "no session for 2 s" in server.wait_for_log("connection of 'aisha'")
    finally:
        client.kill()
        client.wait()


def test_a_connection_whose_sessions_ended_is_closed_after_the_idle_timeout(ssh_server, keys):
    server = ssh_server("--idle-timeout", "2")

    async def attempt():
        async with asyncssh.connect("127.0.0.1", server.port, username="aisha",
                                    client_keys=[keys.private["buyer"]], known_hosts=None) as conn:
            refused = await conn.run("id")  # a session, refused at once
            assert refused.exit_status == 1
            await asyncio.wait_for(conn.wait_closed(), 60)

    run(attempt())
    assert "no session for 2 s" in server.wait_for_log("connection of 'aisha'")


def test_a_client_that_stops_answering_keepalives_is_dropped(ssh_server, keys, tmp_path):
    server = ssh_server("--keepalive-interval", "1")
    client = openssh(server, keys, tmp_path)
    try:
        server.wait_for_log("login 'aisha'")
        client.send_signal(signal.SIGSTOP)  # the laptop lid closes: TCP stays up, nobody answers
        assert "not responding to keepalive" in server.wait_for_log("connection of 'aisha'")
    finally:
        client.kill()
        client.send_signal(signal.SIGCONT)
        client.wait()


def test_a_client_that_never_logs_in_is_dropped_after_the_login_timeout(ssh_server):
    server = ssh_server("--login-timeout", "2")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        peer = "%s:%d" % sock.getsockname()[:2]
        assert sock.recv(100).startswith(b"SSH-2.0-")  # the server's banner; then say nothing
        while sock.recv(4096):  # until the server hangs up (a socket timeout fails the test)
            pass
    assert "Login timeout expired" in server.wait_for_log(f"connection of {peer} (not logged in)")


# -- the log -----------------------------------------------------------------------------------------
def test_a_login_a_session_and_a_logout_are_logged(ssh_server, keys):
    server = ssh_server()

    async def session():
        term = await login(server, "aisha", keys.private["buyer"])
        await term.wait_for("Aisha Johnson")
        host, port = term.conn.get_extra_info("sockname")[:2]
        await term.close()
        return f"{host}:{port}"

    peer = run(session())
    fingerprint = keys.private["buyer"].get_fingerprint()
    assert server.wait_for_log(f"connection from {peer}")
    assert server.wait_for_log("login 'aisha'").endswith(
        f"login 'aisha' (buyer 'aisha.johnson') from {peer} by public key {fingerprint}")
    assert server.wait_for_log(f"session of 'aisha' at {peer}: app pid")
    ended = server.wait_for_log(f"session of 'aisha' at {peer} ended")
    assert re.search(r"ended: (the client closed it|the connection was lost \(.+\))$", ended), ended
    assert f"connection of 'aisha' at {peer} closed after" in server.wait_for_log(f"connection of 'aisha' at {peer}")


def test_refused_logins_are_logged_and_no_password_reaches_the_log(ssh_server, keys):
    server = ssh_server("--allow-passwords")

    async def attempts():
        for name, key, password in [("aisha", keys.private["stranger"], None),
                                    ("seller-anna", None, "wrong-horse-battery"),
                                    ("nobody", keys.private["buyer"], None)]:
            with pytest.raises(asyncssh.PermissionDenied):
                await login(server, name, key, password=password,
                            preferred_auth="password" if password else "publickey")
        term = await login(server, "seller-anna", None, password="demo-only", preferred_auth="password")
        await term.wait_for("Lakehouse Home")
        await term.close()

    run(attempts())
    stranger = keys.private["stranger"].get_fingerprint()
    assert server.wait_for_log(f"refused public key {stranger} for login 'aisha' from 127.0.0.1:")
    assert server.wait_for_log("refused a wrong password for login 'seller-anna' from 127.0.0.1:")
    assert server.wait_for_log("refused login 'nobody' from 127.0.0.1:").endswith(": no such login")
    assert server.wait_for_log("login 'seller-anna' (seller 'Lakehouse Home') from 127.0.0.1:").endswith(
        "by password")
    log = server.log_text()
    assert "wrong-horse-battery" not in log and "demo-only" not in log
    assert mode(server.log) == 0o600


def test_a_session_that_fails_is_logged_with_its_traceback_and_frees_its_slot(caplog):
    """The user sees one line; the log keeps the traceback; the session's slot is free again."""
    from tui.serve import CLIENT, Client, SshSettings, SshUser, _run_session

    class Connection:
        closed = False

        def get_extra_info(self, name, default=None):
            return ("192.0.2.7", 50022) if name == "peername" else default

        def close(self):
            self.closed = True

    class Stream:
        def __init__(self):
            self.written = b""

        def write(self, data):
            self.written += data

    class BrokenTerminalProcess:
        command = subsystem = env = None

        def __init__(self, client):
            self.client, self.stdout, self.stderr, self.exit_status = client, Stream(), Stream(), None

        def get_extra_info(self, name, default=None):
            return self.client if name == CLIENT else default

        def get_terminal_type(self):
            return "xterm-256color"

        def get_terminal_size(self):
            raise RuntimeError("the pty went away")

        def exit(self, status):
            self.exit_status = status

    async def attempt():
        settings = SshSettings({"aisha": SshUser("aisha", "buyer", "aisha.johnson")}, [], idle_timeout=60)
        client = Client(Connection(), settings)
        client.login = "aisha"
        process = BrokenTerminalProcess(client)
        await _run_session(process, settings)
        return settings, client, process

    with caplog.at_level(logging.INFO, logger="orderdesk.ssh"):
        settings, client, process = asyncio.run(attempt())
    failure = [r for r in caplog.records if r.exc_info]
    assert failure and failure[0].getMessage() == "session of 'aisha' at 192.0.2.7:50022 failed"
    assert "RuntimeError: the pty went away" in caplog.text
    assert b"the session failed; the server's log has the details" in process.stderr.written
    assert b"RuntimeError" not in process.stderr.written
    assert settings.sessions == set() and client.sessions == 0 and process.exit_status == 1
