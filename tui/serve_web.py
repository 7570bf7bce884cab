"""Serving the app in a browser: `orderdesk serve web`, one app process per browser tab.

Two ways in:
- `--users FILE` (the users file of tui/users.py, the same one `serve ssh` reads): a login page.
  A user with a `password_hash` logs in; each tab of theirs then runs its own
  `orderdesk --locked buyer --user IDENTITY` (or `seller --shop IDENTITY`, or a walkthrough),
  locked to that identity as over SSH: no launcher, no way to another shop or buyer. Users with
  keys only cannot log in here; a plaintext `password` stops the server from starting (it is
  for SSH demos only).
- No users file: loopback only. The server prints a link with a secret token once
  (`http://127.0.0.1:8000/?token=...`); opening it trades the token for a session cookie and
  the token is spent, so it is useless wherever it was logged. That session opens the whole app
  with its launcher, as `orderdesk` would in the server's terminal: whoever holds the token is
  whoever started the server. For a new link, restart the server.

Sessions: a random 256-bit token in a cookie (HttpOnly, SameSite=Strict, Path=/, Secure when
--public-url is https; no Max-Age, so it ends with the browser). The server keeps only the
token's SHA-256, for SESSION_LIFETIME; a lookup by digest does not compare the secret itself.
A tab already open keeps its app when the session expires; a new tab needs a new login.

Checks: the page and the WebSocket need a live session; the WebSocket and every POST also need
an Origin equal to the served origin (--public-url, else http://HOST:PORT, on loopback also
localhost/127.0.0.1/[::1]), otherwise 403, so a page on another site cannot drive a session
with the browser's cookie. Login failures each wait FAILED_LOGIN_DELAY; an address with
FAILED_LOGINS failures within FAILED_LOGIN_WINDOW is refused (429) until they age out (attempts
count as failures until they succeed, so parallel guesses count too). The address is the TCP
peer's: behind a proxy every client shares the proxy's. At most VERIFYING passwords are checked
at once (argon2 takes 64 MiB and ~0.1 s each).

The page is textual-serve's terminal (its textual.js and xterm.css, and its Roboto Mono font,
all served from here) with no inline script, under a Content-Security-Policy of
`default-src 'self'`: nothing loads from another host. (Styles may be inline: xterm.js writes
<style> elements.)

Bounds: request bodies MAX_BODY, WebSocket messages MAX_MESSAGE, terminals at most
MAX_COLUMNS x MAX_ROWS, --max-sessions app processes at once (more get 503). The database URL
reaches the apps in their environment (ORDERDESK_DATABASE_URL), never their argv or the banner.
Closing a tab quits its app; so does stopping the server (Ctrl+C, SIGTERM) for every tab,
killing any app that lingers past QUIT_GRACE.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import secrets
import shlex
import signal
import string
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from tui.users import ServeError, User, app_command, authenticate

log = logging.getLogger("orderdesk.web")

SESSION_LIFETIME = 12 * 3600.0  # seconds
MAX_SESSIONS_KEPT = 10_000  # logged-in sessions remembered; past it the oldest is forgotten
FAILED_LOGIN_DELAY = 1.0  # seconds before a refused login answers
FAILED_LOGINS = 5  # per address ...
FAILED_LOGIN_WINDOW = 15 * 60.0  # ... within this many seconds
MAX_ADDRESSES = 10_000  # addresses whose failures are remembered
VERIFYING = 2  # passwords checked at once
MAX_BODY = 8 * 1024
MAX_MESSAGE = 64 * 1024
MAX_COLUMNS, MAX_ROWS = 500, 200
QUIT_GRACE = 5.0  # seconds an app has to quit before it is killed

PAGES = Path(__file__).resolve().parent / "web"
COOKIE = "orderdesk_session"


@dataclass
class WebSettings:
    host: str
    port: int
    app_env: dict[str, str]  # the app processes' environment: ORDERDESK_DATABASE_URL
    app_args: list[str] = field(default_factory=list)  # their global options (--now); never the database
    users: dict[str, User] | None = None  # None: the one-time token on loopback
    public_url: str | None = None
    max_sessions: int = 50

    def check(self) -> None:
        """Refuse settings that would let anyone in, or that name a server browsers cannot check."""
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
                    or parts.query or parts.fragment:
                raise ServeError(f"--public-url {self.public_url!r}: give the address browsers open, "
                                 "e.g. https://orders.example.com (no path).")
        if self.users is None:
            if not is_loopback(self.host):
                raise ServeError(f"Serving on {self.host} needs a users file (--users FILE, with a "
                                 "password_hash per login; see `orderdesk serve web --help`). Without one "
                                 "the server listens on 127.0.0.1 only, behind a one-time link.")
            return
        if self.public_url is None and _is_wildcard(self.host):
            raise ServeError(f"Serving on all addresses ({self.host or '*'}): give --public-url, the address "
                             "browsers open (e.g. http://orders.example.com:8000), so the server can "
                             "refuse pages from elsewhere.")
        for user in self.users.values():
            if user.password is not None:
                raise ServeError(f"User {user.login!r} has a plaintext password, which the web server does "
                                 "not accept: make a hash with `orderdesk serve hash-password` and write "
                                 'password_hash = "..." instead.')
        if not any(user.password_hash for user in self.users.values()):
            raise ServeError("No user in the users file has a password_hash, so nobody could log in: make "
                             "one with `orderdesk serve hash-password`.")

    @property
    def origins(self) -> frozenset[str]:
        """The Origin a page of this server sends: its public address."""
        if self.public_url:
            parts = urlsplit(self.public_url)
            return frozenset({_origin(parts.scheme, parts.hostname, parts.port)})
        hosts = {"127.0.0.1", "localhost", "::1"} if is_loopback(self.host) else {self.host}
        return frozenset(_origin("http", host, self.port) for host in hosts)

    @property
    def secure(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https:"))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host in ("", "*")


def _origin(scheme: str, host: str, port: int | None) -> str:
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host.lower()}" + (f":{port}" if port and port != default else "")


@dataclass
class Session:
    user: User | None  # None: the token's holder, who gets the whole app
    expires: float


class Sessions:
    """Logged-in browsers, by the SHA-256 of their cookie's token."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._by_digest: OrderedDict[bytes, Session] = OrderedDict()

    def open(self, user: User | None) -> str:
        now = self.clock()
        for digest in [d for d, s in self._by_digest.items() if s.expires <= now]:
            del self._by_digest[digest]
        while len(self._by_digest) >= MAX_SESSIONS_KEPT:
            self._by_digest.popitem(last=False)
        token = secrets.token_urlsafe(32)
        self._by_digest[_digest(token)] = Session(user, now + SESSION_LIFETIME)
        return token

    def find(self, token: str | None) -> Session | None:
        if not token or len(token) > 100:
            return None
        session = self._by_digest.get(_digest(token))
        if session is None or session.expires <= self.clock():
            return None
        return session


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class LoginThrottle:
    """Failed logins per address: at most FAILED_LOGINS within FAILED_LOGIN_WINDOW."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, address: str) -> list[float]:
        since = self.clock() - FAILED_LOGIN_WINDOW
        times = [t for t in self._failures.get(address, ()) if t > since]
        if times:
            self._failures[address] = times
        else:
            self._failures.pop(address, None)
        return times

    def refused(self, address: str) -> bool:
        return len(self._recent(address)) >= FAILED_LOGINS

    def attempt(self, address: str) -> None:
        """Count an attempt as a failure until it succeeds."""
        self._failures[address] = [*self._recent(address), self.clock()]
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


def _page(name: str, **values: str) -> str:
    template = string.Template((PAGES / name).read_text(encoding="utf-8"))
    return template.substitute({key: html.escape(value) for key, value in values.items()})


class WebServer:
    """The aiohttp application: login, the page, its WebSocket, the static files."""

    def __init__(self, settings: WebSettings):
        self.settings = settings
        self.sessions = Sessions()
        self.throttle = LoginThrottle()
        self.verifying = asyncio.Semaphore(VERIFYING)
        self.by_token = settings.users is None  # no logins: the one-time link
        self.token: str | None = secrets.token_urlsafe(32) if self.by_token else None  # None once spent
        self.apps: set = set()  # the running tabs' app services
        self.sockets: set = set()

    @property
    def link(self) -> str:
        """Where to open the app; with no logins, with the one-time token (printed once)."""
        base = self.settings.public_url or _origin("http", self.settings.host, self.settings.port)
        return base.rstrip("/") + "/" + (f"?token={self.token}" if self.token else "")

    def application(self):
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes([
            web.get("/", self.index),
            web.get("/login", self.login_page),
            web.post("/login", self.login),
            web.get("/ws", self.app_socket),
            web.static("/static", Path(textual_serve.__file__).parent / "static"),
            web.static("/assets", PAGES / "assets"),
        ])
        app.on_response_prepare.append(self._headers)
        app.on_shutdown.append(self._shutdown)
        return app

    # -- checks ---------------------------------------------------------------------------------
    def same_origin(self, request) -> bool:
        origin = request.headers.get("Origin", "")
        return origin.lower().rstrip("/") in self.settings.origins

    def session_of(self, request) -> Session | None:
        return self.sessions.find(request.cookies.get(COOKIE))

    def _page_origin(self, request) -> str:
        """The origin the browser used, when it is one of ours (else our public one)."""
        scheme = "https" if self.settings.secure else "http"
        seen = f"{scheme}://{request.host}".lower()
        return seen if seen in self.settings.origins else sorted(self.settings.origins)[0]

    async def _headers(self, request, response) -> None:
        origin = self._page_origin(request)
        socket = "ws" + origin[len("http"):]
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            f"font-src 'self'; connect-src 'self' {socket}; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if response.content_type == "text/html":
            response.headers["Cache-Control"] = "no-store"

    def _refuse(self, status: int, message: str):
        return web.Response(status=status, text=_page("message.html", message=message), content_type="text/html")

    def _signed_in(self, user: User | None):
        """Open a session and send the browser to the app with its cookie."""
        response = web.HTTPSeeOther("/")
        response.set_cookie(COOKIE, self.sessions.open(user), httponly=True, samesite="Strict", path="/",
                            secure=self.settings.secure)
        return response

    # -- pages ----------------------------------------------------------------------------------
    async def index(self, request):
        if self.session_of(request) is not None and "token" in request.query:
            return web.HTTPSeeOther("/")  # already in (the link opened again): keep the token out of sight
        if self.by_token and "token" in request.query:
            offered = request.query["token"]
            if self.token and hmac.compare_digest(offered.encode(), self.token.encode()):
                self.token = None  # spent: the link works once
                log.info("web: the one-time link was used from %s", request.remote)
                return self._signed_in(None)
            return self._refuse(403, "This link is not valid or was used already. Open the link the server "
                                     "printed in this browser; for a new one, restart the server.")
        if self.session_of(request) is None:
            if self.by_token:
                return self._refuse(403, "Open the link the server printed when it started (it works once, "
                                         "then this browser stays logged in).")
            return web.HTTPSeeOther("/login")
        socket = "ws" + self._page_origin(request)[len("http"):] + "/ws"
        return web.Response(text=_page("app.html", socket=socket), content_type="text/html")

    async def login_page(self, request, problem: str = "", status: int = 200):
        if self.by_token:
            return self._refuse(404, "This server has no logins: open the link it printed when it started.")
        if self.session_of(request) is not None and not problem:
            return web.HTTPSeeOther("/")
        return web.Response(status=status, text=_page("login.html", problem=problem), content_type="text/html")

    async def login(self, request):
        if self.by_token:
            return self._refuse(404, "This server has no logins: open the link it printed when it started.")
        if not self.same_origin(request):
            log.warning("web: refused a login posted from %r (%s)", request.headers.get("Origin"), request.remote)
            return self._refuse(403, "This login form was sent from another site; open the app's own page.")
        address = request.remote or "?"
        if self.throttle.refused(address):
            return await self.login_page(request, "Too many failed logins from your address: try again in "
                                                  f"{FAILED_LOGIN_WINDOW / 60:.0f} minutes.", 429)
        self.throttle.attempt(address)
        try:
            form = await request.post()
        except ValueError:
            form = {}
        login, password = form.get("login", ""), form.get("password", "")
        user = None
        if isinstance(login, str) and isinstance(password, str):
            async with self.verifying:
                user = await asyncio.to_thread(authenticate, self.settings.users, login, password)
        if user is None:
            log.warning("web: failed login as %r from %s", login if isinstance(login, str) else "?", address)
            await asyncio.sleep(FAILED_LOGIN_DELAY)
            return await self.login_page(request, "Wrong login or password.", 401)
        self.throttle.succeeded(address)
        log.info("web: %s logged in as %s %r from %s", user.login, user.role, user.identity, address)
        return self._signed_in(user)

    # -- the app ----------------------------------------------------------------------------------
    async def app_socket(self, request):
        if not self.same_origin(request):
            log.warning("web: refused a WebSocket from %r (%s)", request.headers.get("Origin"), request.remote)
            return self._refuse(403, "This page is not the app's own.")
        session = self.session_of(request)
        if session is None:
            return self._refuse(403, "Log in first.")
        if len(self.apps) >= self.settings.max_sessions:
            return self._refuse(503, f"The server is full ({self.settings.max_sessions} sessions); "
                                     "try again in a few minutes.")
        socket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        app = AppProcess(self.command(session.user), self.settings.app_env, socket)
        self.apps.add(app)  # before any await: the slot is taken now
        who = session.user.login if session.user else "the link's holder"
        try:
            await socket.prepare(request)
            self.sockets.add(socket)
            await app.start(*_size(request.query.get("width"), request.query.get("height")))
            log.info("web: session for %s from %s started", who, request.remote)
            await self._relay(socket, app)
        finally:
            self.sockets.discard(socket)
            await app.end()
            self.apps.discard(app)
            if not socket.closed and socket.prepared:
                await socket.close()
            log.info("web: session for %s from %s ended", who, request.remote)
        return socket

    def command(self, user: User | None) -> list[str]:
        return [sys.executable, "-m", "tui.cli", *self.settings.app_args, *(app_command(user) if user else [])]

    async def _relay(self, socket, app: AppProcess) -> None:
        """The browser's keys, sizes and pings to the app (textual-serve's protocol)."""
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = json.loads(message.data)
                if kind == "stdin" and isinstance(data, str):
                    await app.send_bytes(data.encode("utf-8"))
                elif kind == "resize":
                    await app.set_terminal_size(*_size(data["width"], data["height"]))
                elif kind == "ping":
                    await socket.send_json(["pong", data])
                elif kind == "blur":
                    await app.blur()
                elif kind == "focus":
                    await app.focus()
            except (ValueError, TypeError, KeyError):
                continue  # not a message of the protocol: ignored

    async def _shutdown(self, app) -> None:
        await asyncio.gather(*(socket.close(code=1001, message=b"The server is stopping.")
                               for socket in list(self.sockets)))
        await asyncio.gather(*(app.end() for app in list(self.apps)))


def _size(width, height) -> tuple[int, int]:
    """A terminal size from the browser, within 1..MAX_COLUMNS x 1..MAX_ROWS (80x24 when unreadable)."""
    def clamp(value, default: int, most: int) -> int:
        try:
            return max(1, min(int(value), most))
        except (TypeError, ValueError):
            return default

    return clamp(width, 80, MAX_COLUMNS), clamp(height, 24, MAX_ROWS)


class AppProcess(AppService):
    """One tab's app: textual-serve's AppService (its packet protocol), started from an argv list
    (no shell) with our environment added, and sure to end."""

    def __init__(self, argv: list[str], env: dict[str, str], socket: web.WebSocketResponse):
        super().__init__(shlex.join(argv), write_bytes=socket.send_bytes, write_str=socket.send_str,
                         close=socket.close, download_manager=DownloadManager())
        self.argv, self.env = argv, env
        self._ending: asyncio.Task | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self._process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={**self._build_environment(width, height), **self.env})
        self._stdin = self._process.stdin
        return self._process

    async def end(self) -> None:
        """Ask the app to quit; kill it if it has not within QUIT_GRACE seconds. Safe to call twice
        (the tab's handler and the server's shutdown both do)."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end())
        await asyncio.shield(self._ending)

    async def _end(self) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(process.wait(), QUIT_GRACE)
            except asyncio.TimeoutError:
                try:
                    process.kill()
                except ProcessLookupError:
                    pass
                await process.wait()
        if self._task is not None:
            await self._task


def serve_web(settings: WebSettings) -> None:
    """Run until Ctrl+C or SIGTERM; print where to open the app (once)."""
    settings.check()
    server = WebServer(settings)

    async def main() -> None:
        runner = web.AppRunner(server.application(), access_log=None, shutdown_timeout=QUIT_GRACE + 5)
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
            who = (f"for {sum(1 for u in settings.users.values() if u.password_hash)} user(s)"
                   if settings.users is not None else "with a one-time link (it works once)")
            print(f"orderdesk: serving in a browser {who}; open {server.link}\nCtrl+C stops.", flush=True)
            log.info("serving in a browser at http://%s:%s/ %s", settings.host, settings.port, who)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
