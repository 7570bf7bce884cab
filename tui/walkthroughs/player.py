"""The player: the app driven by a walkthrough, with a caption bar on every screen.

One way of playing a step serves the presenter, `check`, `export` and the tests:
`WalkthroughApp.advance()` plays the next step from outside the app's message loop (a
worker when a person presents, the test task when headless), waits until the screen
shows what the step promises and its database work is done, and only then moves the
caption on. So caption and screen always name the same step, however fast keys come.

Decisions where the issue is silent:
- The player's keys are ordinary (not priority) bindings on the app: a screen or widget
  that uses a key keeps it (← and → switch tabs in Your orders, + and − in a quantity
  picker). `n`, Space or → play the next step, ← or Backspace go back one, F5 starts and
  stops auto-play (the presentation programs' key); the app uses none of n, Backspace, F5.
- While a step's own keys are being pressed, the player's actions are off (a step's
  Space is the screen's); at any other time a presenter's n or ← moves the step the
  player is heading for, and it plays on to it, the caption moving with the screen.
- Going back reloads the demo data and replays the earlier steps (the screen and the data
  are exactly as they were at that step); the caption follows step by step.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

from rich.console import Console
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.app import App
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from core import ids
from core.db import Database
from core.demo import load_demo
from core.paths import database_env
from core.queries.identities import identities
from tui.app import OrderDeskApp
from tui.messages import DataChanged
from tui.work import running
from tui.walkthroughs.format import Step, Walkthrough, WalkthroughError, builtins

STEP_PATIENCE = 60.0  # seconds a step may take to show what it promises, on a busy machine
SIZE = (100, 32)  # the terminal check and export play in (columns, rows)
PLAYER_ACTIONS = ("next_step", "previous_step", "autoplay")
APP_CSS = str(Path(__file__).parent.parent / "app.tcss")  # Textual reads CSS_PATH beside the class's module


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
                            capture_output=True, text=True, timeout=60, env=env, check=False)
    if result.returncode != 0:
        raise StepFailed(f"the station command `orderdesk {' '.join(args)}` failed: "
                         f"{(result.stdout or result.stderr).strip()}")


class StepFailed(Exception):
    """A step could not be played (its station command failed)."""


def screen_console(app) -> Console:
    """The screen printed on a recording console, as Textual's own screenshot is
    (Textual is pinned, so its compositor is a stable thing to lean on)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console


def screen_text(app) -> str:
    """What the screen shows, as plain text."""
    return screen_console(app).export_text()


def app_text(app) -> str:
    """What the app shows, as plain text: the screen without the caption bar (a step's
    `expect` is looked for there, never in a caption that speaks of it)."""
    lines = screen_text(app).split("\n")
    for bar in app.screen.query(CaptionBar):
        top, bottom = bar.region.y, bar.region.bottom
        lines = [line for row, line in enumerate(lines) if not top <= row < bottom]
        break
    return "\n".join(lines)


class CaptionBar(Static):
    """The walkthrough's explanation of the current step, at the bottom of every screen."""

    DEFAULT_CSS = """
    CaptionBar {
        dock: bottom; height: auto; max-height: 4; padding: 0 1; margin-bottom: 1;
        background: $accent 30%; color: $text; border-top: solid $accent;
    }
    """

    def __init__(self, caption: str):
        super().__init__(caption)
        self.caption = caption

    def update(self, caption: str = "") -> None:
        self.caption = caption
        super().update(caption)


class WalkthroughApp(OrderDeskApp):
    """The app, driven by a walkthrough, with a caption bar on every screen."""

    CSS_PATH = APP_CSS
    BINDINGS = [
        # Not in the footer (the caption says them; `?` lists them): the footer shows the screen's keys.
        # The caption names n and Backspace: they step on every screen (→, ← and Space only
        # where the screen has no use for them).
        Binding("n,space,right", "next_step", "Next step", id="walkthrough.next", show=False,
                tooltip="Play the next step of the walkthrough"),
        Binding("left,backspace", "previous_step", "Step back", id="walkthrough.back", show=False,
                tooltip="Go back one step (the data is reloaded and the steps before it replayed)"),
        Binding("f5", "autoplay", "Auto-play", id="walkthrough.auto", show=False,
                tooltip="Play the steps one after another"),
    ]

    def __init__(self, walkthrough: Walkthrough, db: Database, *, delay: float = 3.0,
                 autoplay: bool = False, **kw):
        super().__init__(db, role=None if walkthrough.view == "launcher" else walkthrough.view,
                         identity=walkthrough.identity, app_version=walkthrough.app_version,
                         simulate=walkthrough.simulate, **kw)
        self.walkthrough = walkthrough
        self.id_seed = zlib.crc32(walkthrough.name.encode())
        ids.seed(self.id_seed)  # a walkthrough makes the same IDs every time it is played
        self.shown = 0  # steps played and on screen: the caption's step
        self.target = 0  # the step the presenter asked for
        self.walking = False  # steps are being played towards `target`
        self.pressing = False  # a step's own keys are being pressed
        self.delay = delay
        self.auto = None
        self.autoplay_at_start = autoplay
        self.late_answers = asyncio.Event()  # set once the next step's keys are pressed
        self.known: set[tuple[str, str]] | None = None  # (role, name) of every buyer and shop

    def start_mailer(self) -> None:
        """A walkthrough plays on a copy of the demo data: its customer emails stay in its
        outbox (to be shown), never sent, whatever the `smtp` setting says."""

    # -- the caption on every screen -----------------------------------------------
    @property
    def caption(self) -> str:
        w = self.walkthrough
        if self.shown == 0:
            return f"▶ {w.title} · {len(w.steps)} steps · n: next · Backspace: back · F5: auto-play"
        step = w.steps[self.shown - 1]
        return f"Step {self.shown}/{len(w.steps)} · {step.caption}  (n: next · Backspace: back)"

    def show_caption(self) -> None:
        """Make sure the active screen carries the current caption."""
        if not self.screen_stack:  # the app is closing: its timer may tick once more
            return
        screen = self.screen
        bars = screen.query(CaptionBar)
        if not bars:
            screen.mount(CaptionBar(self.caption))
        elif bars.first().caption != self.caption:
            bars.first().update(self.caption)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(0.2, self.show_caption)  # whichever screen is active, however it got there
        if self.autoplay_at_start:
            self.call_after_refresh(self.action_autoplay)

    def on_unmount(self) -> None:
        super().on_unmount()
        ids.seed(None)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in PLAYER_ACTIONS and self.pressing:
            return False  # a step's own keys go to the screens
        return super().check_action(action, parameters)

    # -- playing -----------------------------------------------------------------------
    async def advance(self) -> str:
        """Play the next step (from outside the message loop) and wait until the screen
        shows it; the caption then moves on. Returns what the screen shows."""
        step = self.walkthrough.steps[self.shown]
        pilot = Pilot(self)
        opens = [step.open] if step.open else []
        if self.shown == 0 and self.walkthrough.view in ("buyer", "seller"):
            opens.insert(0, (self.walkthrough.view, self.walkthrough.identity))
        for role, identity in opens:  # a board of nobody only says so on screen: name the step
            await self._check_identity(role, identity)
        if step.station:
            await asyncio.to_thread(run_station, self.db, step.station, self.id_seed + self.shown + 1)
            # what the change watcher tells the screen within a second, told now: the
            # station has committed, and the step must show it on any machine
            self.screen.post_message(DataChanged())
        if step.open:
            while len(self.screen_stack) > 1:
                await super().pop_screen()
            await self.push_screen(self.start_screen(*step.open))
        self.pressing = True
        try:
            await pilot.press(*step.keys)
        finally:
            self.pressing = False
        if self._exit:  # Textual's own flag, set by App.exit (Textual is pinned)
            raise StepFailed(f"the app quit: the step's keys ({', '.join(step.keys)}) ended it")
        released, self.late_answers = self.late_answers, asyncio.Event()
        released.set()
        if step.wait:
            await asyncio.sleep(step.wait)
        text = await self._settle(pilot, step)
        self.shown += 1
        self.show_caption()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        return text

    async def _check_identity(self, role: str, identity: str) -> None:
        """StepFailed when the demo data has no such buyer or shop (read once, off the loop)."""
        if self.known is None:
            self.known = await asyncio.to_thread(self._identities)
        if (role, identity) not in self.known:
            kind = "shop" if role == "seller" else "buyer"
            there = sorted(name for r, name in self.known if r == role)
            raise StepFailed(f"there is no {kind} {identity!r} in the demo data; the {kind}s are: "
                             f"{', '.join(there)}")

    def _identities(self) -> set[tuple[str, str]]:
        with self.db.read() as session:
            return {(i.role, i.name) for i in identities(session)}

    async def _settle(self, pilot: Pilot, step: Step) -> str:
        """Until the screen shows everything the step promises (STEP_PATIENCE at most) and
        the database work it started is on screen: waiting for conditions, not for a time."""
        deadline = time.monotonic() + STEP_PATIENCE
        await pilot.pause()
        while time.monotonic() < deadline and (running(self) or not all(t in app_text(self) for t in step.expect)):
            await pilot.pause(0.05)
        await pilot.wait_for_scheduled_animations()
        return app_text(self)

    async def slow_network(self, seconds: float) -> None:
        """A slow network's late answer arrives once the next step's keys are pressed,
        not after a time: each step shows the same on any machine, and a presenter
        talks over "No answer yet" as long as they like."""
        await self.late_answers.wait()

    async def restart(self) -> None:
        """Fresh demo data and the starting screen, as when the walkthrough began."""
        result = await asyncio.to_thread(load_demo, self.db, reset=True)
        if not result.ok:  # pragma: no cover
            self.notify(result.message, severity="error")
        ids.seed(self.id_seed)
        self.workers.cancel_group(self, "buyer-send")  # no late answer lands in the fresh data
        while len(self.screen_stack) > 1:
            await super().pop_screen()
        self.shown = 0
        self.open_start()
        self.show_caption()

    def go_to(self, step: int) -> None:
        """Show the screen after `step` steps (0: the start), caption and all."""
        self.target = max(0, min(step, len(self.walkthrough.steps)))
        if not self.walking and self.target != self.shown:  # else the walk under way goes on to it
            self.walking = True
            self.run_worker(self._walk(), group="walkthrough", exclusive=True, exit_on_error=False)

    async def _walk(self) -> None:
        try:
            while self.shown != self.target:
                if self.target < self.shown:
                    await self.restart()
                    continue
                step = self.walkthrough.steps[self.shown]
                try:
                    text = await self.advance()
                except StepFailed as exc:
                    self.notify(f"Step {self.shown + 1} could not be played: {exc}", severity="error")
                    self.target = self.shown
                    break
                missing = [e for e in step.expect if e not in text]
                if missing:
                    self.notify(f"Step {self.shown} should show {', '.join(map(repr, missing))}.", severity="warning")
        finally:
            self.walking = False

    def action_next_step(self) -> None:
        if self.target < len(self.walkthrough.steps):
            self.go_to(self.target + 1)
        else:
            self.notify("That was the last step. ← goes back; Ctrl+Q leaves.", timeout=4)

    def action_previous_step(self) -> None:
        if self.target:
            self.go_to(self.target - 1)

    def action_autoplay(self) -> None:
        if self.auto is not None:
            self.auto.stop()
            self.auto = None
            self.notify("Auto-play off.", timeout=2)
            return
        self.notify(f"Auto-play: a step every {self.delay:g} s. F5 stops it.", timeout=3)
        self.auto = self.set_interval(self.delay, self._auto_step)

    def _auto_step(self) -> None:
        if self.walking:
            return
        if self.shown >= len(self.walkthrough.steps):
            self.auto.stop()
            self.auto = None
            return
        self.go_to(self.shown + 1)


class PickerScreen(Screen):
    """`orderdesk walkthrough play` without a name: pick a built-in one."""

    BINDINGS = [Binding("escape", "app.quit", "Quit", id="walkthrough.quit")]

    def compose(self):
        yield Header()
        yield Static("Walkthroughs: pick one to play", classes="screen-title")
        yield OptionList(*(Option(f"{w.title}  ({len(w.steps)} steps)", id=w.name) for w in builtins()))
        yield Footer()

    def on_option_list_option_selected(self, event) -> None:
        self.app.exit(event.option.id)


class PickerApp(App):
    CSS_PATH = APP_CSS
    TITLE = "orderdesk walkthroughs"

    def on_mount(self) -> None:
        self.push_screen(PickerScreen())


def pick() -> str | None:
    return PickerApp().run()
