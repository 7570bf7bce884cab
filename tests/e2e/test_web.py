"""`orderdesk serve web` end to end: a real server, a browser's requests (aiohttp's client,
which sends the Origin a page would) and the app's screen read through a terminal emulator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import aiohttp
import asyncssh
import pyte
import pytest
from sqlalchemy.engine import make_url

from tests.databases import clone_url
from tests.e2e.conftest import DEMO_NOW, ROOT, ScreenReader, free_port, login, wait_for_port
from tests.waiting import await_until
from tui.serve_web import FAILED_LOGIN_WINDOW, FAILED_LOGINS, SESSION_LIFETIME, LoginThrottle, Sessions, _size
from tui.users import User, hash_password

PASSWORDS = {"seller-anna": "anna's long password", "aisha": "aisha's long password"}
EVIL = "http://evil.example"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "users.toml"
    path.write_text(f'''
[[user]]
login = "seller-anna"
role = "seller"
identity = "Lakehouse Home"
password_hash = "{hash_password(PASSWORDS['seller-anna'])}"

[[user]]
login = "aisha"
role = "buyer"
identity = "aisha.johnson"
password_hash = "{hash_password(PASSWORDS['aisha'])}"

[[user]]
login = "keys-only"
role = "seller"
identity = "Metro Kit Co."
keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x@y"]
''')
    return path


def orderdesk(*args: str, url: str, **kw) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_") or k == "ORDERDESK_LOG_FILE"}
    return subprocess.Popen([sys.executable, "-m", "tui.cli", "--database-url", url, "--now", DEMO_NOW, *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


class WebServer:
    def __init__(self, url: str, *extra: str):
        self.port = free_port()
        self.url = url
        self.process = orderdesk("serve", "web", "--port", str(self.port), *extra, url=url)
        self.banner = ""  # "orderdesk: serving ... the database ...", then "... open http://127.0.0.1:PORT/[?token=...]"
        while (found := re.search(r"open (\S+)", self.banner)) is None:
            line = self.process.stdout.readline()
            assert line, f"the server ended before saying where to open it:\n{self.banner}"
            self.banner += line
        wait_for_port(self.port, self.process)
        self.link = found.group(1)
        self.origin = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def web_server(tmp_path, e2e_demo_template):
    url = clone_url(e2e_demo_template, tmp_path)
    servers = []

    def start(*extra: str) -> WebServer:
        server = WebServer(url, *extra)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Browser:
    """One browser's cookies; its requests carry the Origin of the page they come from."""

    def __init__(self, server: WebServer):
        self.server = server
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # unsafe: IP hosts

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.http.close()

    def url(self, path: str) -> str:
        return urljoin(self.server.origin, path)

    async def get(self, path: str):
        async with self.http.get(self.url(path), allow_redirects=False) as response:
            return response.status, response.headers, (await response.read()).decode("utf-8", "replace")

    async def log_in(self, login: str, password: str, origin: str | None = None):
        async with self.http.post(self.url("/login"), data={"login": login, "password": password},
                                  headers={"Origin": origin or self.server.origin},
                                  allow_redirects=False) as response:
            return response.status, response.headers, await response.text()

    async def open_app(self, origin: str | None = None, width: int = 100, height: int = 32) -> Tab:
        socket = await self.http.ws_connect(self.url(f"/ws?width={width}&height={height}"),
                                            origin=origin or self.server.origin)
        return Tab(socket, width, height)

    async def refused_app(self, origin: str | None = None) -> int:
        """The status a WebSocket that the server does not open gets."""
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await self.open_app(origin)
        return refused.value.status


class Screen(pyte.Screen):
    """A terminal screen that counts its bells."""

    bells = 0

    def bell(self, *args) -> None:
        self.bells += 1


class Tab(ScreenReader):
    """A browser tab's terminal: the app's output rendered by a terminal emulator."""

    def __init__(self, socket, width: int, height: int):
        self.socket = socket
        self.screen = Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.stream.feed(message.data)

    async def escape_goes_nowhere(self) -> None:
        """Escape on the start screen: a locked app rings the bell and stays (unlocked, it would
        go back to the launcher)."""
        rung = self.screen.bells
        await self.press("escape")
        await await_until(lambda: self.screen.bells > rung, f"escape did not ring the bell:\n{self.text}")

    async def press(self, *keys: str) -> None:
        codes = {"enter": "\r", "escape": "\x1b", "down": "\x1b[B", "up": "\x1b[A", "tab": "\t"}
        for key in keys:
            await self.socket.send_str(json.dumps(["stdin", codes.get(key, key)]))

    async def close(self) -> None:
        await self.socket.close()
        self.reader.cancel()


def app_processes(server: WebServer) -> list[int]:
    """The app processes serving this server's tabs (children of the server)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == server.process.pid:
            found.append(int(stat.parent.name))
    return found


# -- who gets in ----------------------------------------------------------------------------------
def test_without_a_session_the_page_sends_to_the_login_and_the_websocket_is_refused(web_server, users_file):
    server = web_server("--users", str(users_file))

    async def visit():
        async with Browser(server) as browser:
            status, headers, _ = await browser.get("/")
            assert status == 303 and headers["Location"] == "/login"
            status, _, page = await browser.get("/login")
            assert status == 200 and 'name="password"' in page
            assert await browser.refused_app() == 403

    run(visit())
    assert app_processes(server) == []


def test_a_wrong_password_or_a_keys_only_login_is_refused(web_server, users_file):
    server = web_server("--users", str(users_file))

    async def visit():
        async with Browser(server) as browser:
            for login, password in [("seller-anna", "not the password"), ("nobody", PASSWORDS["aisha"]),
                                    ("keys-only", ""), ("aisha", PASSWORDS["seller-anna"]),
                                    ("aisha", PASSWORDS["aisha"] + "x" * 5000)]:
                status, headers, page = await browser.log_in(login, password)
                assert status == 401 and "Wrong login or password." in page
                assert "Set-Cookie" not in headers
            assert await browser.refused_app() == 403
            status, headers, _ = await browser.get("/")
            assert status == 303 and headers["Location"] == "/login"

    run(visit())


def test_failed_logins_from_one_address_are_bounded(web_server, users_file):
    server = web_server("--users", str(users_file))

    async def visit():
        async with Browser(server) as browser:
            for _ in range(5):
                status, _, _ = await browser.log_in("seller-anna", "a guess")
                assert status == 401
            status, _, page = await browser.log_in("seller-anna", PASSWORDS["seller-anna"])
            assert status == 429 and "Too many failed logins" in page
            assert await browser.refused_app() == 403

    run(visit())


def test_an_oversized_login_or_message_is_refused(web_server, users_file):
    server = web_server("--users", str(users_file))

    async def visit():
        async with Browser(server) as browser:
            status, _, _ = await browser.log_in("seller-anna", "x" * 100_000)
            assert status == 413
            await browser.log_in("seller-anna", PASSWORDS["seller-anna"])
            tab = await browser.open_app()
            await tab.wait_for("Lakehouse Home")
            (app,) = app_processes(server)
            await tab.socket.send_str(json.dumps(["stdin", "x" * 100_000]))
            await await_until(lambda: tab.reader.done(), "the server kept a socket that sent 100 KB at once")
            assert tab.socket.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            await await_until(lambda: not Path(f"/proc/{app}").exists(), "the tab's app outlived its socket")

    run(visit())


def test_a_page_from_another_site_is_refused_even_with_a_valid_cookie(web_server, users_file):
    server = web_server("--users", str(users_file))

    async def visit():
        async with Browser(server) as browser:
            status, _, _ = await browser.log_in("seller-anna", PASSWORDS["seller-anna"], origin=EVIL)
            assert status == 403  # a login posted from elsewhere (login CSRF)
            status, headers, _ = await browser.log_in("seller-anna", PASSWORDS["seller-anna"])
            assert status == 303 and headers["Location"] == "/"
            cookie = headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            assert await browser.refused_app(origin=EVIL) == 403
            assert await browser.refused_app(origin=f"http://127.0.0.1:{server.port + 1}") == 403
            assert app_processes(server) == []
            tab = await browser.open_app()  # the same cookie from the app's own page
            await tab.wait_for("Lakehouse Home")
            await tab.close()

    run(visit())


# -- what a login opens -----------------------------------------------------------------------------
def test_a_seller_login_gets_their_shops_board_and_no_other_shop(web_server, users_file):
    server = web_server("--users", str(users_file))

    async def visit():
        async with Browser(server) as browser:
            await browser.log_in("seller-anna", PASSWORDS["seller-anna"])
            status, _, page = await browser.get("/")
            assert status == 200 and "textual.js" in page
            tab = await browser.open_app()
            await tab.wait_for("Lakehouse Home")
            await tab.wait_for("To Ship 11")  # the board's data: its keys work from now on (greyed before)
            assert "Open orderdesk as" not in tab.text  # no launcher
            await tab.escape_goes_nowhere()  # locked: there is nothing behind the start screen
            assert "Lakehouse Home" in tab.text and "Open orderdesk as" not in tab.text
            assert "Metro Kit" not in tab.text and "Rosewater" not in tab.text
            await tab.close()

    run(visit())


def test_a_buyer_login_gets_their_own_profile_and_cancels_an_order(web_server, users_file):
    server = web_server("--users", str(users_file))
    on_hold = "576060251085660067"  # aisha.johnson's newest order, on hold: cancellable at once

    async def visit():
        async with Browser(server) as browser:
            await browser.log_in("aisha", PASSWORDS["aisha"])
            tab = await browser.open_app()
            await tab.wait_for("Aisha Johnson")
            assert "Open orderdesk as" not in tab.text
            await tab.escape_goes_nowhere()
            assert "Aisha Johnson" in tab.text and "Open orderdesk as" not in tab.text
            await tab.press("m")
            await tab.wait_for("Settings and Privacy")
            await tab.press("enter")
            await tab.wait_for(on_hold)
            await tab.press("enter")
            await tab.wait_for("Cancel order")
            await tab.press("c")
            await tab.wait_for("Why do you want to cancel?")
            await tab.press("down", "down", "enter")
            await tab.wait_for("Reason: No longer needed")
            await tab.press("s")
            await tab.wait_for("Order cancelled")
            await tab.close()

    run(visit())
    status = subprocess.run([sys.executable, "-m", "tui.cli", "--database-url", server.url, "orders", "show",
                             on_hold, "--json"], cwd=ROOT, capture_output=True, text=True)
    assert json.loads(status.stdout)["status"] == "cancelled"


# -- no users file: a one-time link on loopback ---------------------------------------------------
def test_without_a_users_file_a_one_time_link_opens_the_app_on_loopback(web_server):
    server = web_server()
    link = urlsplit(server.link)
    assert link.hostname == "127.0.0.1" and link.query.startswith("token=")

    async def visit():
        async with Browser(server) as stranger:
            status, _, _ = await stranger.get("/")
            assert status == 403
            status, headers, _ = await stranger.get("/?token=not-the-token")
            assert status == 403 and "Set-Cookie" not in headers
            assert await stranger.refused_app() == 403
        async with Browser(server) as owner:
            status, headers, _ = await owner.get(f"/?{link.query}")
            assert status == 303 and headers["Location"] == "/"  # the token leaves the address bar
            status, _, page = await owner.get("/")
            assert status == 200 and "textual.js" in page
            tab = await owner.open_app()
            await tab.wait_for("Open orderdesk as")  # the whole app, as `orderdesk` at the server
            await tab.close()
            status, headers, _ = await owner.get(f"/?{link.query}")  # the link again, in the same browser
            assert status == 303 and headers["Location"] == "/"
        async with Browser(server) as late:
            status, headers, _ = await late.get(f"/?{link.query}")  # spent
            assert status == 403 and "Set-Cookie" not in headers

    run(visit())


def test_a_non_loopback_host_without_a_users_file_is_refused(tmp_path, e2e_demo_template):
    url = clone_url(e2e_demo_template, tmp_path)
    process = orderdesk("serve", "web", "--host", "0.0.0.0", "--port", str(free_port()), "--json", url=url)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    error = json.loads(out)["error"]
    assert error["code"] == "bad_input" and "needs a users file" in error["message"]


def test_a_users_file_with_a_plaintext_password_is_refused(tmp_path, e2e_demo_template):
    users = tmp_path / "users.toml"
    users.write_text('[[user]]\nlogin = "demo"\nrole = "seller"\nidentity = "Lakehouse Home"\n'
                     'password = "demo-only"\n')
    process = orderdesk("serve", "web", "--users", str(users), "--port", str(free_port()),
                        url=clone_url(e2e_demo_template, tmp_path))
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "plaintext password" in out and "hash-password" in out and "Traceback" not in out


# -- the page -------------------------------------------------------------------------------------
def test_the_page_loads_nothing_from_another_host(web_server):
    server = web_server()

    async def visit():
        async with Browser(server) as browser:
            await browser.get("/?" + urlsplit(server.link).query)
            status, headers, page = await browser.get("/")
            assert status == 200
            assert headers["Content-Security-Policy"].startswith("default-src 'self'")
            assert "<script>" not in page and "onclick" not in page.lower()  # no inline script
            pending, seen = [("/", page)], set()
            while pending:
                path, text = pending.pop()
                for ref in re.findall(r'(?:src|href)="([^"]+)"|url\("?([^")]+)"?\)', text):
                    ref = ref[0] or ref[1]
                    assert ref.startswith("/") and not ref.startswith("//"), f"{path} loads {ref}"
                    if ref not in seen:
                        seen.add(ref)
                        status, _, body = await browser.get(ref)
                        assert status == 200, ref
                        if ref.endswith(".css"):
                            pending.append((ref, body))
            assert {"/static/js/textual.js", "/static/css/xterm.css"} <= seen
            assert any(ref.endswith(".ttf") for ref in seen)  # the font, from here

    run(visit())


# -- its processes --------------------------------------------------------------------------------
def test_the_database_url_reaches_the_apps_only_in_their_environment(web_server, users_file):
    server = web_server("--users", str(users_file))
    secret = make_url(server.url).password
    assert not secret or secret not in server.banner  # the banner names the database without its password

    async def visit():
        async with Browser(server) as browser:
            await browser.log_in("seller-anna", PASSWORDS["seller-anna"])
            tab = await browser.open_app()
            await tab.wait_for("Lakehouse Home")
            (pid,) = app_processes(server)
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert not any(server.url.encode() in arg for arg in argv)
            assert b"--database-url" not in argv and b"--db" not in argv
            assert f"ORDERDESK_DATABASE_URL={server.url}".encode() in environ
            assert argv[-4:] == [b"seller", b"--shop", b"Lakehouse Home", b""]
            await tab.close()

    run(visit())


def test_a_huge_terminal_is_bounded_at_the_start_and_on_every_resize(web_server, users_file):
    server = web_server("--users", str(users_file))

    def title_centre(tab) -> int:
        line = next(line for line in tab.screen.display if "To Ship board" in line)
        return line.index("To Ship board") + len("To Ship board — Lakehouse Home") // 2

    async def resize(tab, width: int, height: int, centre: int) -> None:
        await tab.socket.send_str(json.dumps(["resize", {"width": width, "height": height}]))
        await await_until(lambda: abs(title_centre(tab) - centre) <= 2, f"the title never centred on {centre}")

    async def visit():
        async with Browser(server) as browser:
            await browser.log_in("seller-anna", PASSWORDS["seller-anna"])
            socket = await browser.http.ws_connect(browser.url("/ws?width=65535&height=65535"),
                                                   origin=server.origin)
            tab = Tab(socket, 500, 200)  # what the server allows at most
            await tab.wait_for("To Ship board")
            (pid,) = app_processes(server)
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert b"COLUMNS=500" in environ and b"ROWS=200" in environ
            await resize(tab, 100, 32, 50)
            await resize(tab, 99999, 99999, 250)  # the app lays out 500 columns, not 99999
            await tab.close()

    run(visit())


def test_past_max_sessions_a_tab_is_turned_away_and_closing_or_stopping_ends_the_apps(web_server, users_file):
    server = web_server("--users", str(users_file), "--max-sessions", "2")

    async def visit():
        async with Browser(server) as browser:
            await browser.log_in("seller-anna", PASSWORDS["seller-anna"])
            tabs = [await browser.open_app() for _ in range(2)]
            for tab in tabs:
                await tab.wait_for("Lakehouse Home")
            assert await browser.refused_app() == 503
            first = app_processes(server)
            assert len(first) == 2
            await tabs[0].close()  # closing a tab ends its app and frees its place
            await await_until(lambda: len(app_processes(server)) == 1, "the closed tab's app did not end")
            tabs[0] = await browser.open_app()
            await tabs[0].wait_for("Lakehouse Home")
            apps = app_processes(server)
            server.stop()  # SIGTERM
            assert server.process.returncode == 0
            await await_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in apps),
                             "an app outlived the server")

    run(visit())


def test_the_same_users_file_logs_in_over_ssh_with_its_password_hash(tmp_path, users_file, e2e_demo_template):
    port = free_port()
    process = orderdesk("serve", "ssh", "--host", "127.0.0.1", "--port", str(port), "--users", str(users_file),
                        "--host-key", str(tmp_path / "host_key"), "--allow-passwords",
                        url=clone_url(e2e_demo_template, tmp_path))
    try:
        wait_for_port(port, process)
        server = SimpleNamespace(port=port)

        async def attempt():
            with pytest.raises(asyncssh.PermissionDenied):
                await login(server, "seller-anna", None, password="a guess", preferred_auth="password")
            term = await login(server, "seller-anna", None, password=PASSWORDS["seller-anna"],
                               preferred_auth="password")
            await term.wait_for("Lakehouse Home")
            await term.close()

        run(attempt())
    finally:
        process.terminate()
        process.wait(30)


# -- the server's bounds, on a clock of our own ------------------------------------------------------
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_ends_after_its_lifetime_and_a_made_up_cookie_finds_none():
    clock = Clock()
    sessions = Sessions(clock)
    user = User("anna", "seller", "Lakehouse Home")
    token = sessions.open(user)
    assert sessions.find(token).user == user
    assert sessions.find(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert sessions.find("") is None and sessions.find("x" * 10_000) is None
    clock.now += SESSION_LIFETIME - 1
    assert sessions.find(token) is not None
    clock.now += 1
    assert sessions.find(token) is None


def test_failed_logins_age_out_and_a_success_clears_them():
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(FAILED_LOGINS):
        assert not throttle.refused("10.0.0.1")
        throttle.attempt("10.0.0.1")
    assert throttle.refused("10.0.0.1") and not throttle.refused("10.0.0.2")
    clock.now += FAILED_LOGIN_WINDOW + 1
    assert not throttle.refused("10.0.0.1")
    throttle.attempt("10.0.0.2")
    throttle.succeeded("10.0.0.2")
    for _ in range(FAILED_LOGINS - 1):
        throttle.attempt("10.0.0.2")
    assert not throttle.refused("10.0.0.2")


@pytest.mark.parametrize("asked, given", [(("100", "32"), (100, 32)), (("65535", "65535"), (500, 200)),
                                          (("-4", "0"), (1, 1)), (("wide", None), (80, 24))])
def test_a_browsers_terminal_size_is_bounded(asked, given):
    assert _size(*asked) == given
