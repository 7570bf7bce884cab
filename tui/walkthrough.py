"""Walkthroughs: scripted demos that are also the snapshot tests (one source of truth).

A walkthrough is a TOML file in `data/walkthroughs/`:

    title = "Buyer cancels an order before it is packed"
    view = "buyer"                 # buyer | seller | launcher
    identity = "aisha.johnson"     # the buyer's username or the shop's name
    # app_version = "33.0.0"       # optional, as `orderdesk buyer --app-version`
    # simulate = "slow-network"    # optional, as `orderdesk buyer --simulate`

    [[step]]
    caption = "The buyer opens the menu at the top right of the Profile."
    keys = ["m"]                   # Textual key names, pressed in order
    expect = ["Settings and Privacy"]   # text the screen must show afterwards
    # station = ["handover", "115..."]  # first, another station runs this orderdesk command
    # open = ["seller", "Lakehouse Home"]  # first, switch to another identity's start screen
    # type = "576557467139907374"  # characters typed (a barcode scanner), before `keys`
    # wait = 3.0                   # seconds to wait afterwards (a timeout on screen)

Playing one (`orderdesk walkthrough NAME`) starts on a fresh copy of the demo data;
a caption bar shows each step's explanation. Space or → plays the next step, ←
goes back one (the demo data is reloaded and the earlier steps replayed at once),
`a` toggles auto-play. The tests play every step with Pilot, check each `expect`
and compare a snapshot per step; `--export DIR` writes each step's screenshot.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import time
import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from core import ids
from core.db import Database
from core.demo import load_demo
from core.output import OutputError, output_file
from core.paths import data_dir, database_env
from tui import work
from tui.app import OrderDeskApp
from tui.messages import DataChanged

STEP_PATIENCE = 60.0  # seconds a step may take to show what it promises, on a busy machine


class WalkthroughError(Exception):
    """A walkthrough file that can't be played; the message says which and why."""


@dataclass(frozen=True)
class Step:
    caption: str
    keys: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()
    station: tuple[str, ...] = ()
    open: tuple[str, ...] = ()  # (role, identity)
    wait: float = 0.0


@dataclass(frozen=True)
class Walkthrough:
    name: str
    title: str
    view: str
    identity: str | None
    steps: tuple[Step, ...]
    app_version: str | None = None
    simulate: str | None = None
    options: dict = field(default_factory=dict)


def walkthrough_dir() -> Path:
    return data_dir() / "walkthroughs"


def load(path: Path) -> Walkthrough:
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise WalkthroughError(f"{path.name} is not valid TOML: {exc}") from None
    try:
        steps = tuple(Step(caption=s["caption"], keys=(*s.get("type", ""), *s.get("keys", ())),
                           expect=tuple([s["expect"]] if isinstance(s.get("expect"), str) else s.get("expect", ())),
                           station=tuple(s.get("station", ())), open=tuple(s.get("open", ())),
                           wait=float(s.get("wait", 0))) for s in spec["step"])
        walkthrough = Walkthrough(name=path.stem, title=spec["title"], view=spec.get("view", "launcher"),
                                  identity=spec.get("identity"), steps=steps,
                                  app_version=spec.get("app_version"), simulate=spec.get("simulate"))
    except KeyError as exc:
        raise WalkthroughError(f"{path.name} has no {exc.args[0]!r}.") from None
    if walkthrough.view not in ("buyer", "seller", "launcher"):
        raise WalkthroughError(f"{path.name}: view must be buyer, seller or launcher.")
    return walkthrough


def all_walkthroughs() -> list[Walkthrough]:
    return [load(path) for path in sorted(walkthrough_dir().glob("*.toml"))]


def find(name: str) -> Walkthrough:
    path = walkthrough_dir() / f"{name}.toml"
    if not path.exists():
        names = ", ".join(w.name for w in all_walkthroughs())
        raise WalkthroughError(f"There is no walkthrough {name!r}. Walkthroughs: {names}.")
    return load(path)


def fresh_demo(where: Path | str) -> Database:
    """A fresh copy of the demo data: a SQLite file at a path, or any database URL."""
    db = Database(where if isinstance(where, str) and "://" in where else f"sqlite:///{where}")
    result = load_demo(db, reset=True)
    if not result.ok:  # pragma: no cover - the shipped fixtures always load
        raise WalkthroughError(result.message)
    return db


def run_station(db: Database, args: tuple[str, ...], id_seed: int) -> None:
    """Another station (its own process) runs an orderdesk command on the same database."""
    env = {**os.environ, **database_env(db.url), "ORDERDESK_ID_SEED": str(id_seed)}  # the same IDs every run
    result = subprocess.run([sys.executable, "-m", "tui.cli", *args, "--json"],
                            capture_output=True, text=True, timeout=60, env=env)
    if result.returncode != 0:
        raise WalkthroughError(f"The station command `orderdesk {' '.join(args)}` failed: "
                               f"{result.stdout or result.stderr}")


def screen_text(app) -> str:
    """What the screen shows, as plain text (rendered as Textual's own screenshot is;
    Textual is pinned, so its compositor is a stable thing to lean on)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


class CaptionBar(Static):
    """The walkthrough's explanation of the current step, at the bottom of every screen."""

    def __init__(self, caption: str):
        super().__init__(caption)
        self.caption = caption

    def update(self, caption: str = "") -> None:
        self.caption = caption
        super().update(caption)

    DEFAULT_CSS = """
    CaptionBar {
        dock: bottom; height: auto; max-height: 4; padding: 0 1; margin-bottom: 1;
        background: $accent 30%; color: $text; border-top: solid $accent;
    }
    """


class WalkthroughApp(OrderDeskApp):
    """The app, driven by a walkthrough, with a caption bar on every screen."""

    BINDINGS = [
        # Not in the footer (the caption says them; `?` lists them): the footer shows the screen's keys.
        Binding("space,right", "next_step", "Next step", id="walkthrough.next", priority=True, show=False,
                tooltip="Play the next step of the walkthrough"),
        Binding("left", "previous_step", "Step back", id="walkthrough.back", priority=True, show=False,
                tooltip="Go back one step (replays from the start)"),
        Binding("a", "autoplay", "Auto-play", id="walkthrough.auto", priority=True, show=False,
                tooltip="Play the steps one after another"),
    ]

    def __init__(self, walkthrough: Walkthrough, db: Database, *, delay: float = 3.0, **kw):
        super().__init__(db, role=None if walkthrough.view == "launcher" else walkthrough.view,
                         identity=walkthrough.identity, app_version=walkthrough.app_version,
                         simulate=walkthrough.simulate, **kw)
        self.walkthrough = walkthrough
        self.id_seed = zlib.crc32(walkthrough.name.encode())
        ids.seed(self.id_seed)  # a walkthrough makes the same IDs every time it is played
        self.done = 0  # steps played
        self.delay = delay
        self.replaying = False
        self.auto = None
        self.late_answers = asyncio.Event()  # set once the next step's keys are pressed

    # -- the caption on every screen -----------------------------------------------
    @property
    def caption(self) -> str:
        w = self.walkthrough
        if self.done == 0:
            return f"▶ {w.title} · {len(w.steps)} steps · Space/→ next · ← back · a auto-play"
        step = w.steps[self.done - 1]
        return f"Step {self.done}/{len(w.steps)} · {step.caption}  (Space: next · ←: back)"

    def show_caption(self) -> None:
        """Make sure the active screen carries the current caption."""
        screen = self.screen
        bars = screen.query(CaptionBar)
        if not bars:
            screen.mount(CaptionBar(self.caption))
        elif bars.first().caption != self.caption:
            bars.first().update(self.caption)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(0.2, self.show_caption)  # whichever screen is active, however it got there

    def on_unmount(self) -> None:
        super().on_unmount()
        ids.seed(None)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("next_step", "previous_step", "autoplay") and self.replaying:
            return False  # a step's own keys go to the screens, not to the player
        return True

    # -- playing -----------------------------------------------------------------------
    async def play(self, step: Step) -> None:
        self.replaying = True
        try:
            if step.station:
                await asyncio.to_thread(run_station, self.db, step.station, self.id_seed + self.done + 1)
                # what the change watcher tells the screen within a second, told now: the
                # station has committed, and the step must show it on any machine
                self.screen.post_message(DataChanged())
            if step.open:
                while len(self.screen_stack) > 1:
                    await super().pop_screen()
                await self.push_screen(self.start_screen(*step.open))
            await self._press_keys(step.keys)
            released, self.late_answers = self.late_answers, asyncio.Event()
            released.set()
            await asyncio.sleep(0.05 + step.wait)
        finally:
            self.replaying = False
        self.done += 1
        self.show_caption()

    async def slow_network(self, seconds: float) -> None:
        """A slow network's late answer arrives once the next step's keys are pressed,
        not after a time: each step shows the same on any machine, and a presenter
        talks over "No answer yet" as long as they like."""
        await self.late_answers.wait()

    async def action_next_step(self) -> None:
        if self.done < len(self.walkthrough.steps):
            await self.play(self.walkthrough.steps[self.done])
        else:
            self.notify("That was the last step. ← goes back; Ctrl+Q leaves.", timeout=4)

    async def action_previous_step(self) -> None:
        if self.done == 0:
            return
        target = self.done - 1
        await self.restart()
        for step in self.walkthrough.steps[:target]:
            await self.play(step)

    async def restart(self) -> None:
        """Fresh demo data and the starting screen, as when the walkthrough began."""
        result = load_demo(self.db, reset=True)
        if not result.ok:  # pragma: no cover
            self.notify(result.message, severity="error")
        ids.seed(self.id_seed)
        self.workers.cancel_group(self, "buyer-send")  # no late answer lands in the fresh data
        while len(self.screen_stack) > 1:
            await super().pop_screen()
        self.done = 0
        self.open_start()

    def action_autoplay(self) -> None:
        if self.auto is not None:
            self.auto.stop()
            self.auto = None
            self.notify("Auto-play off.", timeout=2)
            return
        self.notify(f"Auto-play: a step every {self.delay:g} s. a stops it.", timeout=3)
        self.auto = self.set_interval(self.delay, self._auto_step)

    async def _auto_step(self) -> None:
        if self.replaying:
            return
        if self.done >= len(self.walkthrough.steps):
            self.auto.stop()
            self.auto = None
            return
        await self.action_next_step()


class PickerScreen(Screen):
    """`orderdesk walkthrough` without a name: pick one."""

    BINDINGS = [Binding("escape", "app.quit", "Quit", id="walkthrough.quit")]

    def compose(self) -> ComposeResult:
        from textual.widgets import Footer, Header, OptionList
        from textual.widgets.option_list import Option

        yield Header()
        yield Static("Walkthroughs: pick one to play", classes="screen-title")
        yield OptionList(*(Option(f"{w.title}  ({len(w.steps)} steps)", id=w.name)
                           for w in all_walkthroughs()))
        yield Footer()

    def on_option_list_option_selected(self, event) -> None:
        self.app.exit(event.option.id)


def pick() -> str | None:
    from textual.app import App

    class Picker(App):
        CSS_PATH = "app.tcss"
        TITLE = "orderdesk walkthroughs"

        def on_mount(self) -> None:
            self.push_screen(PickerScreen())

    return Picker().run()


async def settled(app: WalkthroughApp, pilot, step: Step) -> str:
    """After a step is played: wait, for conditions and not for a time, until the screen
    shows everything the step promises (`expect`; STEP_PATIENCE at most), its work is
    done (unless it shows a wait on purpose, a timeout), and the screen carries the
    step's caption. Returns what the screen shows then."""
    deadline = time.monotonic() + STEP_PATIENCE
    while not all(text in screen_text(app) for text in step.expect) and time.monotonic() < deadline:
        await pilot.pause(0.05)
    while not step.wait and work.busy(app) and time.monotonic() < deadline:  # a flow waits for ever
        await pilot.pause(0.05)
    app.show_caption()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    return screen_text(app)


async def export(walkthrough: Walkthrough, folder: Path, db: Database, size=(100, 32)) -> list[Path]:
    """Play every step headless and write each step's screenshot (SVG, and PNG when
    a converter is installed); a folder or file that cannot be written is an OutputError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "it is not a folder" if isinstance(exc, FileExistsError) else exc.strerror
        raise OutputError(f"Cannot write to {folder}: {why}; choose another folder with --export DIR.") from exc
    written = []
    app = WalkthroughApp(walkthrough, db, watch=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for n, step in enumerate(walkthrough.steps, 1):
            await app.play(step)
            await settled(app, pilot, step)
            svg = folder / f"{walkthrough.name}-{n:02d}.svg"
            with output_file(svg) as out:
                out.write(app.export_screenshot(title=f"{walkthrough.title}: step {n}"))
            written.append(svg)
            png = _to_png(svg)
            if png:
                written.append(png)
    return written


def _to_png(svg: Path) -> Path | None:
    import shutil

    png = svg.with_suffix(".png")
    try:
        import cairosvg

        cairosvg.svg2png(url=str(svg), write_to=str(png))
        return png
    except ImportError:
        pass
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)
        return png
    return None
