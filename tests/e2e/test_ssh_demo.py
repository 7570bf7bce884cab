"""`orderdesk serve ssh --demo` end to end, with a real SSH client (asyncssh's): anyone gets a
private sandbox of the demo data and a chooser; side by side shows both sides of a cancellation."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pytest

from core.db import Database
from core.models import Order
from tests.databases import clone_url
from tests.e2e.conftest import DEMO_NOW, ROOT, SshServer, Terminal, free_port, session_processes, wait_for_port
from tests.e2e.test_ssh import ON_HOLD_ORDER, pick_a_reason
from tests.waiting import PATIENCE, await_until, wait_until


def run(coro):
    return asyncio.run(coro)


SERVER_SECRET = "the-servers-own-secret"  # in the server's environment; never a visitor's


class DemoServer(SshServer):
    """`orderdesk serve ssh --demo` in its own process, its temporary folder in the test's. A
    real database is in its environment ($ORDERDESK_DATABASE_URL, `url`): the demo must ignore it;
    and so are a mail server's and a database's passwords, which no visitor's process may get."""

    def __init__(self, tmp_path: Path, url: str, *extra: str):
        self.port, self.url = free_port(), url
        self.log = tmp_path / f"ssh-{self.port}.log"
        self.host_key = tmp_path / "host_key"
        self.tmpdir = tmp_path / "tmp"
        self.tmpdir.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_")}
        env.update(TMPDIR=str(self.tmpdir), ORDERDESK_DATABASE_URL=url, PGPASSWORD=SERVER_SECRET,
                   ORDERDESK_SMTP=f"smtp://shop:{SERVER_SECRET}@mail.example.com:587")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "--now", DEMO_NOW, "--log-file", str(self.log), "serve", "ssh",
             "--demo", "--host", "127.0.0.1", "--port", str(self.port), "--host-key", str(self.host_key), *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for_port(self.port, self.process)

    @property
    def root(self) -> Path:
        return self.tmpdir / f"orderdesk-demo-{os.getuid()}"

    def sandboxes(self) -> list[Path]:
        """The sandboxes' databases, as they are now."""
        return sorted(self.root.glob("server-*/sandbox-*/demo.db"))


@pytest.fixture
def demo_server(tmp_path, e2e_demo_template):
    servers = []

    def start(*extra: str) -> DemoServer:
        server = DemoServer(tmp_path, clone_url(e2e_demo_template, tmp_path), *extra)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class NoKeyClient(asyncssh.SSHClient):
    """A visitor without a key: keyboard-interactive, answering no prompt."""

    def kbdint_auth_requested(self):
        return ""

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        return [""] * len(prompts)


async def visit(server: DemoServer, key=None, *, width=100, height=32) -> Terminal:
    """A visitor's session: with this key, or with none."""
    options = {"client_keys": [key]} if key else {"client_keys": None, "client_factory": NoKeyClient}
    conn = await asyncssh.connect("127.0.0.1", server.port, username="visitor", known_hosts=None,
                                  agent_path=None, **options)
    process = await conn.create_process(term_type="xterm-256color", term_size=(width, height), encoding=None)
    return Terminal(conn, process, width, height)


def status(url: str, order_id: str = ON_HOLD_ORDER) -> str:
    db = Database(url, upgrade=False)
    try:
        with db.read() as s:
            return s.get(Order, order_id).status
    finally:
        db.dispose()


def sandbox_environments(server: DemoServer) -> dict[int, bytes]:
    """The environments of the processes given one of this server's sandboxes, by process id."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if str(server.root).encode() + b"/" in environ:
            found[int(proc.name)] = environ
    return found


def sandbox_processes(server: DemoServer) -> list[int]:
    return sorted(sandbox_environments(server))


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_two_visitors_each_get_their_own_copy_of_the_demo_data(demo_server, keys):
    """One visitor (by key) cancels an order; the other (no key at all) still sees it open;
    the real database in the server's environment is never opened."""
    server = demo_server()

    async def visits():
        first, second = await visit(server, keys.private["stranger"]), await visit(server)
        for term in (first, second):
            await term.wait_for("Be a buyer")
            term.press("enter")
        for term in (first, second):
            await term.wait_for("Standing")  # the buyer's Profile
        await pick_a_reason(first, ON_HOLD_ORDER)
        first.press("s")
        await first.wait_for("Order cancelled")
        assert [status(f"sqlite:///{db}") for db in server.sandboxes()].count("cancelled") == 1
        await pick_a_reason(second, ON_HOLD_ORDER)  # the other visitor can still cancel it
        assert "Order cancelled" not in second.text
        assert session_processes(server) == []  # no process was given the real database
        await first.close()
        await second.close()

    run(visits())
    assert status(server.url) == "on_hold"
    log = server.log_text()
    assert "by public key SHA256:" in log and "by no authentication" in log


def test_side_by_side_shows_a_buyers_cancellation_on_the_sellers_board(demo_server):
    server = demo_server()

    def side(term: Terminal, n: int) -> str:
        """The left (0) or right (1) half of the screen: the buyer's or the seller's side."""
        half = term.screen.columns // 2
        return "\n".join(line[n * half:(n + 1) * half] for line in term.screen.display)

    async def wait_on(term: Terminal, n: int, text: str) -> float:
        await await_until(lambda: text in side(term, n), f"{text!r} shows on side {n}:\n{term.text}")
        return time.monotonic()

    async def visit_both():
        term = await visit(server, width=200, height=40)
        await term.wait_for("Both side by side")
        term.press("down", "down", "enter")
        await wait_on(term, 0, "Your orders")
        await wait_on(term, 1, "Cancelled 4")
        assert "F6 or Ctrl+O: switch sides" in term.text
        await pick_a_reason(term, ON_HOLD_ORDER)  # keys go to the focused side: the buyer's
        term.press("s")
        cancelled = await wait_on(term, 0, "Order cancelled")
        seen = await wait_on(term, 1, "Cancelled 5")
        print(f"the seller's side showed the cancellation {seen - cancelled:.2f} s after the buyer's")
        term.press("\x1b[17~", "?")  # F6: the seller's side has the keys now
        await wait_on(term, 1, "Keys: To Ship board")
        environments = sandbox_environments(server)
        assert len(environments) == 3  # the view and its two apps
        assert not [pid for pid, environ in environments.items()
                    if SERVER_SECRET.encode() in environ or server.url.encode() in environ]
        await term.close()
        await await_until(lambda: sandbox_processes(server) == [], "a hang-up ends the view and both apps")

    run(visit_both())


def test_sandboxes_are_deleted_when_the_visit_ends_at_stop_and_stale_ones_at_start(demo_server, tmp_path):
    root = tmp_path / "tmp" / f"orderdesk-demo-{os.getuid()}"
    stale = root / "server-killed"  # left by a server that was killed: nobody holds its lock
    (stale / "sandbox-old").mkdir(parents=True, mode=0o700)
    (stale / "lock").touch()
    (stale / "sandbox-old" / "demo.db").write_bytes(b"x")
    root.chmod(0o700)
    server = demo_server()
    assert not stale.exists()

    async def visits():
        term = await visit(server)
        await term.wait_for("Be a buyer")
        [sandbox] = server.sandboxes()
        assert mode(sandbox) == 0o600 and mode(sandbox.parent) == 0o700 and mode(server.root) == 0o700
        assert status(f"sqlite:///{sandbox}") == "on_hold"
        term.press("escape")  # leaves the chooser: the visit ends
        await await_until(lambda: term.reader.done(), "the session ends")
        await term.close()
        await await_until(lambda: not sandbox.exists(), "the sandbox is deleted")
        await await_until(lambda: not sandbox.parent.exists(), "the sandbox's folder is deleted")
        staying = await visit(server)
        await staying.wait_for("Be a buyer")
        assert len(server.sandboxes()) == 1
        server.stop()
        await await_until(lambda: staying.reader.done(), "the server hangs up")

    run(visits())
    assert server.process.returncode == 0
    assert list(server.root.iterdir()) == [server.root / ".lock"]


def test_a_sandboxes_folder_others_can_open_stops_the_demo_at_start(tmp_path):
    root = tmp_path / f"orderdesk-demo-{os.getuid()}"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--log-file", str(tmp_path / "log"), "serve", "ssh", "--demo",
         "--port", str(free_port()), "--host-key", str(tmp_path / "key")],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp_path)}, capture_output=True, text=True, timeout=PATIENCE)
    assert result.returncode == 2, result
    assert f"{root} is not a private folder of this user" in result.stderr
    assert "Traceback" not in result.stderr and list(root.iterdir()) == []


@pytest.mark.parametrize("where, rest", [(["--db", "real.db"], []), (["--database-url", "sqlite:///real.db"], []),
                                         ([], ["--users", "users.toml"]),
                                         ([], ["--db", "real.db"]),  # every command takes --db after its name too
                                         ([], ["--db=real.db"])])
def test_the_demo_refuses_a_database_or_users_on_its_command_line(tmp_path, where, rest):
    options = [option.split("=")[0] for option in where or rest]
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", *where, "serve", "ssh", "--demo", "--port", str(free_port()),
         "--host-key", str(tmp_path / "key"), *rest], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=PATIENCE)
    assert result.returncode == 2, result
    assert f"--demo serves only private copies of the demo data: it takes no {options[0]}" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "real.db").exists()


def test_past_the_sandbox_cap_a_visitor_is_told_and_gets_in_once_one_is_free(demo_server, keys):
    server = demo_server("--max-sessions", "1")

    async def visits():
        first = await visit(server, keys.private["buyer"])
        await first.wait_for("Be a buyer")
        second = await visit(server, keys.private["seller"])
        await second.wait_for("the server is full")
        await second.close()
        assert len(server.sandboxes()) == 1
        await first.close()

        async def gets_in() -> bool:
            term = await visit(server, keys.private["seller"])
            await await_until(lambda: "server is full" in term.text or "Be a buyer" in term.text,
                              "the server answers")
            inside = "Be a buyer" in term.text
            await term.close()
            return inside

        deadline = time.monotonic() + PATIENCE
        while not await gets_in():
            assert time.monotonic() < deadline, "the freed sandbox was never given to the next visitor"

    run(visits())


def test_a_visitor_has_at_most_max_visitor_sessions(demo_server, keys):
    server = demo_server("--max-visitor-sessions", "1")

    async def visits():
        first = await visit(server, keys.private["buyer"])
        await first.wait_for("Be a buyer")
        again = await visit(server, keys.private["buyer"])  # the same visitor: the same key
        await again.wait_for("you have 1 demo sessions open already")
        await again.close()
        other = await visit(server, keys.private["seller"])  # someone else
        await other.wait_for("Be a buyer")
        await other.close()
        await first.close()

    run(visits())
    wait_until(lambda: server.sandboxes() == [], "every sandbox is deleted")


def test_side_by_side_stacks_the_sides_and_resizes_both_apps_when_the_terminal_narrows(demo_server):
    server = demo_server()
    term: Terminal

    def footers_end() -> list[int]:
        """The columns where the apps' key bars end, at each app's right edge: "? Help" with at
        most one space before the next app or the line's end."""
        return [m.end() for line in term.screen.display for m in re.finditer(r"\? Help(?= ?(\S|$))", line)]

    async def visit_both():
        nonlocal term
        term = await visit(server, width=200, height=40)
        await term.wait_for("Both side by side")
        term.press("down", "down", "enter")
        await await_until(lambda: [round(end / 10) for end in footers_end()] == [10, 20],
                          f"two sides of 100 columns, left and right: {footers_end()}\n{term.text}")
        await term.resize(120, 40)
        await await_until(lambda: [round(end / 10) for end in footers_end()] == [12, 12],
                          f"two sides of 120 columns, one above the other: {footers_end()}\n{term.text}")
        await term.wait_for("Your orders")
        await term.wait_for("To Ship board")
        await term.close()

    run(visit_both())
