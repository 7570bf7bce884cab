"""The seller's board and cancel wizard on a PostgreSQL across a network (issue 14).

    .venv/bin/python bench/latency.py [--runs 5] [--quick] [--database-url URL]

The database is PostgreSQL behind a TCP proxy in this process that holds every chunk 10 ms
each way (a 20 ms round trip, as a station whose server is across a network); each run is
a process of its own, so the app shares its heap and its GIL with neither the proxy nor the
runs before it. The URL comes
from --database-url, else $ORDERDESK_BENCH_DATABASE_URL (the way to keep a password out of
argv), else the local dev server; on that server the script creates a database, loads the
demo data into it (core.demo.load_demo), clones it for each run and drops them all at the
end. With no PostgreSQL there it prints one "skipped" line and exits with status 3.

Each run starts the real app (`OrderDeskApp(db, role="seller", identity=...)`, headless,
120x36) on a fresh clone and drives it with Pilot's keys only, as a person would: open the
board, move the card cursor (↓ ↓ ↓ ↑ ↑ ↑), change the status filter (t t t), open the
cancel wizard (c), pick the reason and the scope (Enter, Enter), Submit (Enter). Each
action ends when the screen shows its outcome (the board's cards, the reasons, the scopes,
the refund, the wizard left) and has settled (no frame for 0.2 s, no database job of
tui/work.py running); Submit also when the clone holds one more cancelled order (else the
benchmark stops, after a minute, saying so: it would have measured something else).
Figures, each the median over the runs (or over every press):

- SQL statements run on the UI thread (the event loop's) per action: SQLAlchemy's
  `before_cursor_execute` on the app's engine records the thread. Target 0. A tick of the
  app's timers (the change watcher, due work every 5 s) that lands in a key's window counts
  to that key, as it delays it; the whole session's count, between keys too, is shown.
- The longest stall while keys are pressed: a coroutine on the app's event loop wakes
  every 5 ms; a stall is the time between two wake-ups, counted in the action it ends in
  (a key's work delays the wake-up after it). Decision:
  event-loop ticks, not frames: an app that is responsive but has nothing to repaint makes
  no frames, while every key, paint and timer of a Textual app runs on this one loop, so a
  tick that comes late is exactly a screen that cannot answer: frozen. Target 50 ms (each
  run's longest, median over the runs); opening the board is shown without a target (it
  includes Textual's own start).
- Key to screen: from just before the key is sent to the first frame whose content differs
  from the screen before the key. Frames are what the app hands its driver (Textual's
  `App._display`, wrapped on the instance: a headless driver writes nothing, so this is
  where a terminal would get them), replayed through a terminal emulator (pyte) only once
  the app has been quiet for 0.2 s, the replay's time left out of the stalls: reading the
  screen neither delays the app nor counts against it. A cursor move ≤ 16 ms; Submit ≤ 100 ms
  (the first change is whatever the app shows: a busy state, or today the board after the
  whole command).

Timings are wall-clock on whatever else the machine runs: run it on a quiet machine.
Exit status 0 when every target is met, 1 when one is not, 3 when skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import SKIPPED, Figure, report  # noqa: E402

URL_ENV = "ORDERDESK_BENCH_DATABASE_URL"
RUN_URL_ENV = "ORDERDESK_LATENCY_RUN_URL"  # a run's process: its clone, through the proxy
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:55439/orderdesk_test"
DELAY = 0.010  # seconds the proxy holds each chunk, each way
SIZE = (120, 36)
SHOP = "Lakehouse Home"  # the demo's first shop: 10 orders To Ship
TICK = 0.005  # the loop's heartbeat
QUIET = 0.2  # seconds without a frame: the screen has settled
PATIENCE = 60.0  # seconds an action may take before the benchmark gives up on it
TARGET_STATEMENTS, TARGET_STALL_MS, TARGET_CURSOR_MS, TARGET_SUBMIT_MS = 0, 50.0, 16.0, 100.0

# What the screen shows once an action is done (what a person looks for).
BOARD_DATA = "Total $"  # a card's total: the board's data is on screen
REASONS = "Pricing error"  # a reason of the cancel wizard's first step
SCOPES = "The whole order"  # the second step
REVIEW = "Refund total"  # the last step, before Submit
CANCELLED_ORDERS = "SELECT count(*) FROM orders WHERE status = 'cancelled'"  # one more after Submit
# The actions, each a window of its own; the board's opening is the app's start, not a key.
OPEN, CURSOR, FILTER, WIZARD, STEPS, SUBMIT = (
    "board opens", "cursor key", "status filter key", "cancel wizard opens", "reason, scope keys", "Submit")


# -- the network ----------------------------------------------------------------------
class DelayProxy:
    """A TCP proxy on 127.0.0.1 that delivers every chunk `delay` seconds after it came,
    in order, each way: latency without a bandwidth limit. Its own event loop, in a thread
    of the benchmark's process (the app runs in another)."""

    def __init__(self, host: str, port: int, delay: float = DELAY):
        self.target, self.delay = (host, port), delay
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(started,), name="delay-proxy", daemon=True)
        self.thread.start()
        started.wait()

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._connection, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    async def _connection(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(*self.target)
        except OSError:
            client_out.close()
            return
        try:
            await asyncio.gather(self._pipe(client_in, server_out), self._pipe(server_in, client_out))
        except (OSError, asyncio.CancelledError):  # a side hung up, or the proxy is closing
            pass
        finally:
            for writer in (client_out, server_out):
                writer.close()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if (wait := due - self.loop.time()) > 0:
                    await asyncio.sleep(wait)
                if not data:
                    sink.close()
                    return
                sink.write(data)
                await sink.drain()

        delivery = asyncio.create_task(deliver())
        try:
            while data := await source.read(65536):
                queue.put_nowait((self.loop.time() + self.delay, data))
        finally:
            queue.put_nowait((self.loop.time() + self.delay, b""))
            await asyncio.wait([delivery])

    async def _shut(self) -> None:
        self.server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shut(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


# -- the server: a demo database and a clone per run ------------------------------------
class CannotRun(Exception):
    """The server is there but the benchmark cannot use it; the message says why."""


class Server:
    """The PostgreSQL server at `url`: databases made here, and dropped by `close()`."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        self.made: list[str] = []

    def unreachable(self) -> str | None:
        """Why no database can be made on this server, or None."""
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:  # refused, no such host, bad password, no driver
            return self.cause(exc)
        return None

    @property
    def shown(self) -> str:
        """The server's URL without its password."""
        return self.url.render_as_string(hide_password=True)

    def cause(self, exc: BaseException) -> str:
        """The driver's own words, first line, without the password."""
        from core.paths import redacted

        return redacted(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0],
                        self.url.render_as_string(hide_password=False))

    def create(self, template: str | None = None) -> str:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        name = f"orderdesk_latency_{uuid.uuid4().hex[:12]}"
        try:
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        except SQLAlchemyError as exc:  # no CREATEDB privilege, a full disk
            raise CannotRun(f"cannot create a database on {self.shown}: {self.cause(exc)}; the benchmark "
                            "needs a role that may CREATE DATABASE") from exc
        self.made.append(name)
        return name

    def url_of(self, name: str, via: DelayProxy | None = None) -> str:
        url = self.url.set(database=name)
        if via is not None:
            url = url.set(host="127.0.0.1", port=via.port)
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        from sqlalchemy import text

        if self.made:
            with self.admin.connect() as conn:
                while self.made:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self.made.pop()}" WITH (FORCE)'))
        self.admin.dispose()


# -- what the app shows, and when ------------------------------------------------------
class Mirror:
    """The app's frames, as a terminal would get them, with their times. Recording one
    costs the app a list append; they are replayed through pyte (about 7 ms a full screen)
    only once the app has shown nothing new for QUIET, and the times spent replaying
    (`spans`) are left out of the stalls, so reading the screen neither delays the app nor
    counts against it, while when something first changed is known to the frame."""

    def __init__(self, app, size: tuple[int, int]):
        import pyte

        self.app = app
        self.frames: list[tuple[float, object]] = []
        self.screen = pyte.Screen(*size)
        self.stream = pyte.Stream(self.screen)
        self.fed = 0
        self.since = 0.0
        self.before: tuple | None = None
        self.first_change: float | None = None
        self.spans: list[tuple[float, float]] = []  # when the benchmark itself was replaying
        display = app._display

        def recorded(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None and not app._batch_count:  # as _display: a batch holds it back
                self.frames.append((time.perf_counter(), renderable))

        app._display = recorded

    @property
    def last_frame(self) -> float:
        return self.frames[-1][0] if self.frames else 0.0

    def _state(self) -> tuple:
        buffer, columns = self.screen.buffer, self.screen.columns
        return tuple(tuple(buffer[y][x] for x in range(columns)) for y in range(self.screen.lines))

    async def catch_up(self) -> None:
        """Feed the frames recorded so far, noting the first that changed the screen
        after `mark()` (yielding to the loop between frames)."""
        while self.fed < len(self.frames):
            started = time.perf_counter()
            at, renderable = self.frames[self.fed]
            self.stream.feed(renderable.render_segments(self.app.console))
            self.frames[self.fed] = (at, None)  # kept, its strips would grow the heap the app's GC scans
            self.fed += 1
            if self.first_change is None and at >= self.since and self._state() != self.before:
                self.first_change = at
            self.spans.append((started, time.perf_counter()))
            await asyncio.sleep(0)

    async def mark(self, since: float) -> None:
        """From now on, look for the first frame that changes the screen."""
        await self.catch_up()
        self.since, self.before, self.first_change = since, self._state(), None

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)


@dataclass
class Window:
    """One key (or the app's start) until its outcome is on screen and settled."""

    action: str
    start: float
    end: float = 0.0
    first_change: float | None = None


@dataclass
class Run:
    """One run: the app on a fresh clone, and what happened when."""

    windows: list[Window] = field(default_factory=list)
    statements: list[tuple[float, bool]] = field(default_factory=list)  # (when, on the UI thread)
    ticks: list[tuple[float, float]] = field(default_factory=list)  # heartbeat (slept at, woke at)
    own: list[tuple[float, float]] = field(default_factory=list)  # the benchmark reading the screen
    started: float = 0.0
    ended: float = 0.0

    @classmethod
    def from_json(cls, text: str) -> Run:
        fields = json.loads(text)
        return cls(windows=[Window(**w) for w in fields.pop("windows")],
                   **{k: [tuple(v) for v in vs] if isinstance(vs, list) else vs for k, vs in fields.items()})

    def ui_statements(self, start: float, end: float) -> int:
        return sum(ui for at, ui in self.statements if start <= at <= end)

    def other_statements(self, start: float, end: float) -> int:
        return sum(not ui for at, ui in self.statements if start <= at <= end)

    def stall(self, start: float, end: float) -> float:
        """The longest time between two heartbeats that ends in [start, end] (the key's
        own work delays the beat after it), in ms, less the time the benchmark itself
        spent reading the screen in between."""
        def own(slept: float, woke: float) -> float:
            return sum(max(0.0, min(woke, b) - max(slept, a)) for a, b in self.own)

        return max(((woke - slept - own(slept, woke)) * 1000 for slept, woke in self.ticks
                    if start < woke <= end), default=0.0)


class Driver:
    """Presses keys in the app and waits for their outcome, recording each window."""

    def __init__(self, app, pilot, mirror: Mirror, run: Run):
        self.app, self.pilot, self.mirror, self.run = app, pilot, mirror, run

    def busy(self) -> bool:
        """A database job of the app's (tui/work.py) is still running: its result is yet
        to show. (Not any worker: a flow waits for its next screen, a watcher for ever.)"""
        from tui.work import running

        return running(self.app)

    async def outcome(self, shown: Callable[[str], bool], what: str,
                      done: Callable[[], bool] = lambda: True) -> None:
        """Until `shown(screen text)` holds, the screen has settled, and `done()` (asked on
        another thread: it may read the database) says so too."""
        mirror = self.mirror
        deadline = time.perf_counter() + PATIENCE
        while True:
            if time.perf_counter() - mirror.last_frame >= QUIET and not self.busy():
                await mirror.catch_up()
                if (shown(mirror.text) and mirror.fed == len(mirror.frames)
                        and time.perf_counter() - mirror.last_frame >= QUIET and await asyncio.to_thread(done)):
                    return
            now = time.perf_counter()
            if self.app.return_code is not None:
                raise RuntimeError(f"the app ended (refusal: {self.app.refusal}) while waiting for {what}")
            if now > deadline:
                await mirror.catch_up()
                working = ", ".join(f"{w.group}/{w.name}" for w in self.app.workers if w.is_running)
                raise TimeoutError(f"{what} never showed within {PATIENCE:.0f} s (workers running: "
                                   f"{working or 'none'}); the screen shows:\n{mirror.text}")
            await asyncio.sleep(0.01)

    async def press(self, action: str, key: str, shown: Callable[[str], bool], what: str,
                    done: Callable[[], bool] = lambda: True) -> Window:
        window = Window(action, time.perf_counter())
        await self.mirror.mark(window.start)
        await self.pilot.press(key)
        await self.outcome(shown, what, done)
        window.end, window.first_change = time.perf_counter(), self.mirror.first_change
        self.run.windows.append(window)
        return window


def contains(text: str) -> Callable[[str], bool]:
    return lambda screen: text in screen


def changed(driver: Driver) -> Callable[[str], bool]:
    return lambda _screen: driver.mirror.first_change is not None


async def one_run(url: str, on_open: Callable[[object], None], cancelled: Callable[[], bool]) -> Run:
    """Start the app on `url` and take it through the board and a cancellation, which
    `cancelled()` says is committed."""
    from sqlalchemy import event

    from core.db import Database
    from tui.app import OrderDeskApp

    run = Run()
    ui_thread = threading.current_thread()

    def record(*_args) -> None:
        run.statements.append((time.perf_counter(), threading.current_thread() is ui_thread))

    def connect() -> Database:  # as `orderdesk seller` gives it: a way to open the database
        db = Database(url, upgrade=False)
        event.listen(db.engine, "before_cursor_execute", record)
        on_open(db)
        db.upgrade()
        return db

    async def heartbeat() -> None:
        slept = time.perf_counter()
        while True:
            await asyncio.sleep(TICK)
            woke = time.perf_counter()
            run.ticks.append((slept, woke))
            slept = woke

    beating = asyncio.create_task(heartbeat())
    app = OrderDeskApp(connect, role="seller", identity=SHOP)
    mirror = Mirror(app, SIZE)
    run.own = mirror.spans
    try:
        run.started = time.perf_counter()
        async with app.run_test(size=SIZE) as pilot:
            drive = Driver(app, pilot, mirror, run)
            opened = Window(OPEN, run.started)
            await drive.outcome(contains(BOARD_DATA), "the board's cards")
            opened.end = time.perf_counter()
            run.windows.append(opened)
            for key in ("down", "down", "down", "up", "up", "up"):
                await drive.press(CURSOR, key, changed(drive), "the moved cursor")
            for _ in range(5):  # All → Shipment → Collection → Part shipped → Due soon → All
                await drive.press(FILTER, "t", changed(drive), "the filtered board")
            # newest first: To Ship's most urgent order is partly shipped (not cancellable whole)
            await drive.press(FILTER, "u", changed(drive), "the board newest first")
            await drive.press(WIZARD, "c", contains(REASONS), "the cancel reasons")
            await drive.press(STEPS, "enter", contains(SCOPES), "the cancel scopes")
            await drive.press(STEPS, "enter", contains(REVIEW), "the refund to review")
            await drive.press(SUBMIT, "enter", lambda s: REVIEW not in s, "the cancellation, committed", cancelled)
            run.ended = time.perf_counter()
    finally:
        beating.cancel()
    return run


# -- figures ---------------------------------------------------------------------------
def figures(measured: list[Run]) -> list[Figure]:
    """Statements: per action (each key, or the start), the median over all of them.
    Stalls: each run's longest within an action's keys, the median over the runs."""
    n, out = len(measured), []

    def windows(action: str) -> list[tuple[Run, Window]]:
        return [(s, w) for s in measured for w in s.windows if w.action == action]

    for action in (OPEN, CURSOR, FILTER, WIZARD, STEPS, SUBMIT):
        counts = [s.ui_statements(w.start, w.end) for s, w in windows(action)]
        others = [s.other_statements(w.start, w.end) for s, w in windows(action)]
        out.append(Figure(f"latency: {action}: UI-thread SQL", statistics.median(counts), "stmts",
                          len(counts), TARGET_STATEMENTS, or_equal=True,
                          note=f"max {max(counts)}; {statistics.median(others):g} in workers"))
        stalls = [max(s.stall(w.start, w.end) for w in s.windows if w.action == action) for s in measured]
        out.append(Figure(f"latency: {action}: longest stall", statistics.median(stalls), "ms", n,
                          None if action == OPEN else TARGET_STALL_MS, or_equal=True,
                          note=f"each run's longest; worst {max(stalls):.0f} ms"
                               + ("; Textual's start too" if action == OPEN else "")))
    whole = [s.ui_statements(s.started, s.ended) for s in measured]
    seconds = statistics.median(s.ended - s.started for s in measured)
    out.append(Figure("latency: whole session: UI-thread SQL", statistics.median(whole), "stmts", n,
                      TARGET_STATEMENTS, or_equal=True, note=f"{seconds:.0f} s, between keys too"))

    def elapsed(action: str, until: Callable[[Window], float | None]) -> list[float]:
        return sorted((until(w) - w.start) * 1000 for _, w in windows(action))

    cursor = elapsed(CURSOR, lambda w: w.first_change)
    out.append(Figure("latency: cursor key → screen", statistics.median(cursor), "ms", len(cursor),
                      TARGET_CURSOR_MS, or_equal=True,
                      note=f"p95 {cursor[int(0.95 * (len(cursor) - 1))]:.1f}, max {cursor[-1]:.1f} ms"))
    submit = elapsed(SUBMIT, lambda w: w.first_change)
    out.append(Figure("latency: Submit key → screen changes", statistics.median(submit), "ms", n,
                      TARGET_SUBMIT_MS, or_equal=True, note=f"max {submit[-1]:.0f} ms"))
    settled = f"+ {QUIET * 1000:.0f} ms without a frame"
    done = elapsed(SUBMIT, lambda w: w.end)
    out.append(Figure("latency: Submit key → done", statistics.median(done), "ms", n,
                      note=f"max {done[-1]:.0f} ms, {settled}"))
    opened = elapsed(OPEN, lambda w: w.end)
    out.append(Figure("latency: app start → board's data", statistics.median(opened), "ms", n,
                      note=f"max {opened[-1]:.0f} ms, {settled}"))
    return out


# -- the run ---------------------------------------------------------------------------
@contextmanager
def demo_server(server: Server):
    """The demo data in a database of its own on `server` (all dropped at the end), and a
    proxy to the server: yields (demo database name, proxy)."""
    from core.db import Database
    from core.demo import load_demo

    proxy = None
    try:
        demo = server.create()
        db = Database(server.url_of(demo))
        load_demo(db)
        db.dispose()
        proxy = DelayProxy(server.url.host or "127.0.0.1", server.url.port or 5432)
        yield demo, proxy
    finally:
        if proxy is not None:
            proxy.close()
        server.close()


def measure(server: Server, runs: int) -> list[Run]:
    measured = []
    with demo_server(server) as (demo, proxy):
        for n in range(1, runs + 1):
            measured.append(run_on_a_clone(server, demo, proxy))
            print(f"run {n}: {measured[-1].ended - measured[-1].started:.1f} s", flush=True)
    return measured


def run_on_a_clone(server: Server, demo: str, proxy: DelayProxy) -> Run:
    """One run on a fresh copy of the demo database, reached through the proxy, in a
    process of its own: the app's heap (what its garbage collector scans) and its GIL are
    a station's, shared with neither the proxy nor the runs before."""
    from core.paths import redacted

    clone = server.create(template=demo)
    with tempfile.TemporaryDirectory(prefix="orderdesk-latency-") as folder:
        result = Path(folder) / "run.json"
        env = {key: value for key, value in os.environ.items()
               if key not in ("ORDERDESK_NOW", "ORDERDESK_SMTP")}  # the demo's own clock; no emails
        child = subprocess.run([sys.executable, __file__, "--one-run", str(result)], cwd=ROOT, check=False,
                               env={**env, RUN_URL_ENV: server.url_of(clone, via=proxy)},
                               capture_output=True, text=True, timeout=20 * PATIENCE)
        if child.returncode != 0:
            raise RuntimeError(f"a run failed (exit {child.returncode}):\n"
                               f"{redacted(child.stderr.strip()[-3000:], server.url_of(clone))}")
        return Run.from_json(result.read_text(encoding="utf-8"))


def cancelled_orders(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(CANCELLED_ORDERS)).scalar_one()
    finally:
        engine.dispose()


def one_run_here(result: Path) -> None:
    """A run's own process (`--one-run FILE`): the app on $ORDERDESK_LATENCY_RUN_URL (an
    environment variable: the URL may hold a password); what happened goes to FILE."""
    url = os.environ[RUN_URL_ENV]
    before = cancelled_orders(url)
    opened = []
    try:
        run = asyncio.run(one_run(url, opened.append, lambda: cancelled_orders(url) == before + 1))
    finally:
        for db in opened:
            db.dispose()
    result.write_text(json.dumps(asdict(run)), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 runs")
    parser.add_argument("--database-url", help=f"a PostgreSQL server to make databases on (else ${URL_ENV}, "
                                               f"else {DEFAULT_URL})")
    parser.add_argument("--one-run", type=Path, help=argparse.SUPPRESS)  # a run's own process
    args = parser.parse_args()
    if args.one_run:
        one_run_here(args.one_run)
        return 0
    url = args.database_url or os.environ.get(URL_ENV) or DEFAULT_URL
    from core.paths import redacted

    if not url.startswith("postgresql"):
        print(f"latency.py: the database URL must be a PostgreSQL one (postgresql+psycopg://...), "
              f"not {redacted(url)!r}", file=sys.stderr)
        return 2
    server = Server(url)
    if why := server.unreachable():
        server.close()
        print(f"skipped: no PostgreSQL reachable at {redacted(url)} ({why}); "
              f"give one with --database-url or ${URL_ENV}", flush=True)
        return SKIPPED
    runs = 2 if args.quick else args.runs
    print(f"PostgreSQL at {redacted(url)} behind a proxy adding {DELAY * 1000:.0f} ms each way; "
          f"terminal {SIZE[0]}x{SIZE[1]}; {runs} runs", flush=True)
    try:
        measured = measure(server, runs)
    except CannotRun as exc:
        print(f"latency.py: {exc}", file=sys.stderr)
        return 2
    results = [report(figure) for figure in figures(measured)]
    return 0 if all(f.met is not False for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())
