"""A real `orderdesk serve ssh` on localhost, the demo data, and keys for its users."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pyte
import pytest

from core.db import Database
from core.demo import load_demo
from tests.databases import clone_url, fresh_url
from tests.waiting import PATIENCE, POLL

DEMO_NOW = "2026-11-20T12:00:00Z"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {process.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


@pytest.fixture(scope="session")
def e2e_demo_template(tmp_path_factory):
    url = fresh_url(tmp_path_factory.mktemp("e2e"), "demo")
    db = Database(url)
    assert load_demo(db).ok
    db.dispose()
    return url


class Keys:
    def __init__(self, folder: Path):
        self.folder = folder
        self.private = {}
        for name in ("buyer", "seller", "stranger"):
            key = asyncssh.generate_private_key("ssh-ed25519", comment=f"{name}@test")
            self.private[name] = key

    def public(self, name: str) -> str:
        return self.private[name].export_public_key().decode().strip()


class SshServer:
    """`orderdesk serve ssh` in its own process; `umask` is the one it starts with; the database
    URL in its environment (`url_in_env`, as a careful admin does) or on its command line."""

    def __init__(self, tmp_path: Path, url: str, keys: Keys, *extra: str, umask: int | None = None,
                 url_in_env: bool = False):
        self.port = free_port()
        self.url = url
        self.log = tmp_path / f"ssh-{self.port}.log"
        self.host_key = tmp_path / "host_key"
        users = tmp_path / "users.toml"
        users.write_text(f'''
[[user]]
login = "aisha"
role = "buyer"
identity = "aisha.johnson"
keys = ["{keys.public('buyer')}"]

[[user]]
login = "seller-anna"
role = "seller"
identity = "Lakehouse Home"
keys = ["{keys.public('seller')}"]
password = "demo-only"

[[user]]
login = "demo"
role = "walkthrough"
identity = "1-buyer-cancels-before-packing"
keys = ["{keys.public('seller')}"]
''')
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_") or k == "ORDERDESK_LOG_FILE"}
        database = ["--database-url", url]
        if url_in_env:
            env["ORDERDESK_DATABASE_URL"], database = url, []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", *database, "--now", DEMO_NOW, "--log-file", str(self.log),
             "serve", "ssh", "--host", "127.0.0.1", "--port", str(self.port), "--users", str(users),
             "--host-key", str(self.host_key), *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=None if umask is None else lambda: os.umask(umask))
        wait_for_port(self.port, self.process)

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 60) -> str:
        """The log's first line holding `text`, once it is there."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.log_text().splitlines() if text in line]
            if lines:
                return lines[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never reached the log; it holds:\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()


class ScreenReader:
    """A remote app's screen, as a person reads it: `screen` (pyte) is fed by the `reader` task."""

    screen: pyte.Screen
    reader: asyncio.Task

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, text: str, timeout: float = PATIENCE) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.text}")
            if self.reader.done():
                raise AssertionError(f"the session ended before {text!r}; the screen shows:\n{self.text}")
            await asyncio.sleep(POLL)  # a look every POLL seconds, until the text is there


class Terminal(ScreenReader):
    """An SSH client session rendered by a terminal emulator, read as a person would."""

    def __init__(self, conn, process, width: int, height: int):
        self.conn, self.process = conn, process
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            data = await self.process.stdout.read(65536)
            if not data:
                return
            self.stream.feed(data)


    def press(self, *keys: str) -> None:
        codes = {"enter": "\r", "escape": "\x1b", "down": "\x1b[B", "up": "\x1b[A", "tab": "\t"}
        for key in keys:
            self.process.stdin.write(codes.get(key, key).encode())

    async def resize(self, width: int, height: int) -> None:
        self.screen.resize(height, width)
        self.process.change_terminal_size(width, height)

    async def close(self) -> None:
        self.conn.close()
        await self.conn.wait_closed()
        self.reader.cancel()


async def login(server: SshServer, username: str, key, *, width=100, height=32, **kw) -> Terminal:
    conn = await asyncssh.connect("127.0.0.1", server.port, username=username, client_keys=[key] if key else None,
                                  known_hosts=None, **kw)
    process = await conn.create_process(term_type="xterm-256color", term_size=(width, height), encoding=None)
    return Terminal(conn, process, width, height)


@pytest.fixture
def keys(tmp_path):
    return Keys(tmp_path)


def session_processes(server) -> list[int]:
    """The app processes serving this server's sessions: locked apps given its database
    (in their environment: no database is ever on their command line)."""
    wanted = f"ORDERDESK_DATABASE_URL={server.url}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            env = (proc / "environ").read_bytes().split(b"\0") if b"--locked" in args else []
        except OSError:
            continue
        if wanted in env:
            found.append(int(proc.name))
    return found


@pytest.fixture
def ssh_server(tmp_path, keys, e2e_demo_template):
    url = clone_url(e2e_demo_template, tmp_path)
    servers = []

    def start(*extra: str, **options) -> SshServer:
        server = SshServer(tmp_path, url, keys, *extra, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
