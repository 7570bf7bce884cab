"""The Textual app: a launcher to pick who you are, then that identity's screens.

Screens ask `core.queries` for read models and call `core.services` commands;
they hold no business rules. Every binding has an id (for a future keymap) and a
description; `?` lists the current screen's keys and the command palette (Ctrl+P)
offers every one of them as an action. Twice a second the app asks whether the
database changed (another station, or time passing) and tells the active screen.
With $ORDERDESK_SMTP set (HOST:PORT), it also sends the customer emails every 30 s,
logging that background work to the log file (core.logs; `log_file`, else the default).

Started from the command line, the app is given a way to open the database rather
than an open one: it paints its first frame (the start screen's outline, its keys
greyed) without importing SQLAlchemy, opens the database right after that frame,
checks whom the start screen is for, and the outline fills in (`opened(identity)`).
When it cannot start (no such shop, a database it cannot open, a settings file it
cannot use) it exits with code 2 and `refusal` says why; the command line prints it as
the contract says.

The UI thread never waits for the database (tui/work.py): opening it, reading the
settings (core/settings.py, pydantic: not before the first frame), letting time do its
work and finding the start identity run in one thread worker (`open_database`); the
change watcher is one long-lived thread (`watch_for_changes`; a plain thread, not a
Textual worker, so that waiting for the workers still ends) that waits on an Event between
looks and posts DataChanged to the active screen; it stops when the app unmounts.

The theme and the keymap come from the settings (the environment, then the settings
file: core/config_file.appearance, read before the first frame). A theme picked in the
command palette ("Change theme") is written back to the settings file. A keymap entry
that cannot work (no such binding id, not a key) is told in a notification once the
database is open (checking it imports every screen: never before the first frame).
"""

from __future__ import annotations

import asyncio
import logging
import select
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from core import config_file
from core.clock import current_time
from core.config_file import ConfigError
from core.logs import setup_logging
from core.results import Refusal
from tui import keymap, work
from tui.active import CommandPalette, is_active
from tui.lazy import keep_loaded, lazy_import
from tui.messages import DataChanged
from tui.screens.help import HelpScreen, key_label
from tui.screens.launcher import LauncherScreen
from tui.widgets.option_list import guard_page_moves

if TYPE_CHECKING:
    from core.db import Database
    from core.settings import Loaded
    from core.watch import ChangeWatcher

core_db = lazy_import("core.db")
outbox = lazy_import("core.outbox")
core_settings = lazy_import("core.settings")
queries = lazy_import("core.queries.orders")
services = lazy_import("core.services")
watch = lazy_import("core.watch")

log = logging.getLogger("orderdesk.app")

# Which screen each identity starts on: "module:Class", built with the identity.
START_SCREENS = {
    "buyer": "tui.screens.buyer_profile:BuyerProfileScreen",
    "seller": "tui.screens.seller_board:SellerBoardScreen",
}
WATCH_INTERVAL = 0.5  # seconds: other stations' changes show within a second
DUE_EVERY = 10  # ticks: let time do its work (hold windows, request deadlines) every 5 s
EMAIL_EVERY = 30  # seconds between background email sends, when $ORDERDESK_SMTP is set
HANGUP_EVERY = 1  # seconds between checks that the terminal is still there

def settle(db: Database, now_text: str | None) -> None:
    """Let time do its work: hold windows end, unanswered requests are approved (a worker's)."""
    with db.read() as session:
        now = current_time(session, now_text)
    if services.has_due(db, now):
        services.process_due(db, now=now)


guard_page_moves()  # PageUp/PageDown in an option list with no room (tui/widgets/option_list.py)


class OrderDeskApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "orderdesk"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Leave orderdesk"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key of this screen"),
        # Textual's own, but not a priority binding: Ctrl+P then waits its turn behind the
        # keys typed before it, instead of opening the palette over a screen those keys
        # are about to leave.
        Binding("ctrl+p", "command_palette", "palette", show=False, id="command_palette",
                tooltip="Open the command palette"),
    ]

    def __init__(self, db: Database | Callable[[], Database], *, now_text: str | None = None, role: str | None = None,
                 identity: str | None = None, app_version: str | None = None,
                 simulate: str | None = None, watch: bool = True, locked: bool = False,
                 log_file: str | None = None, station: str | None = None):
        super().__init__()
        self.db: Database | None = None if callable(db) else db
        self.connect: Callable[[], Database] | None = db if callable(db) else None
        self.refusal: Refusal | None = None  # why the app could not start
        self.now_text = now_text
        self.start = (role, identity)
        self.app_version = app_version
        self.simulate = simulate
        self.watch = watch
        self.locked = locked  # serve ssh: one identity, no launcher, no way back past its start
        self.log_file = log_file  # where the background email sender logs (None: core.logs' default)
        self.station_name = station  # this station's name, over the `station` setting (None: the setting)
        self.settings: Loaded | None = None  # read by the opening worker
        self.mailer = None
        self.stopping = threading.Event()  # set on unmount: the watcher's thread ends
        theme, self.keymap = config_file.appearance()
        self.unknown_theme = theme if theme and theme not in self.available_themes else None
        if theme and not self.unknown_theme:
            self.theme = theme
        self.theme_setting = self.theme  # what the settings say: a change from it is remembered

    @property
    def station(self) -> str | None:
        """This packing station's name, for its claims (issue 15): given to the app, else
        the `station` setting (read by the opening worker; None until then)."""
        if self.station_name is not None:
            return self.station_name
        return self.settings.settings.station if self.settings is not None else None

    def now(self) -> datetime:
        """The app's clock, read from the database: for worker threads only (tui/work.py
        gives screens `now` with every job); never on the UI thread."""
        with self.db.read() as session:
            return current_time(session, self.now_text)

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        if self.unknown_theme:
            self.notify(f"There is no theme {self.unknown_theme!r}; Ctrl+P, Change theme lists them.",
                        title="Settings", severity="warning", timeout=10)
        self.theme_changed_signal.subscribe(self, self.remember_theme)
        self.open_start()
        if self.db is not None:
            self.open_database()
        if not self.is_headless and sys.stdin.isatty():
            self.set_interval(HANGUP_EVERY, self.check_terminal)

    def check_terminal(self) -> None:
        """Leave when the terminal hangs up (an SSH connection dropped without a SIGHUP):
        Textual's input thread would otherwise spin on the closed terminal for ever
        (Textualize/textual#6690)."""
        poll = select.poll()
        poll.register(sys.stdin.fileno(), 0)  # no events asked: only POLLHUP/POLLERR/POLLNVAL come back
        if poll.poll(0):
            self.exit(return_code=129)

    def on_ready(self) -> None:
        """The first frame is painted (Textual's Ready event): open the database now (its
        libraries' import is most of what the data waits for; waiting for one more refresh
        cost about 20 ms and bought nothing, bench/first_frame.py)."""
        if self.db is None:
            self.open_database()

    def open_database(self) -> None:
        """Right after the first frame, in a thread: read the settings, open the database,
        let time do its work, check whom the start screen is for; then `opened` fills in
        the outline. An app given an open database (tests, benchmarks) only reads the
        settings. A database job (tui/work.py's group): tests wait for it."""
        self.run_worker(self.opening, thread=True, group=f"{work.GROUP}:open", name=f"{work.GROUP}:open",
                        exit_on_error=False)

    def opening(self) -> None:
        """The opening worker's thread (see open_database). Anything unforeseen ends the app
        as an internal error (exit 70, the traceback in the log), never an outline for ever."""
        try:
            self.open_in_thread()
        except Exception:
            try:
                setup_logging(self.log_file, urls=(self.db.url,) if self.db is not None else ())
            except OSError:
                pass
            log.exception("opening failed")
            self.call_from_thread(self.refuse, Refusal(
                "internal", "orderdesk hit an internal error while opening; the details are in the log. "
                            "Please report it with the command you ran."))

    def open_in_thread(self) -> None:
        role, identity = self.start
        try:
            settings = core_settings.load(station=self.station_name)
            db = self.connect() if self.connect is not None else self.db
        except ConfigError as exc:
            return self.call_from_thread(self.refuse, Refusal("bad_input", str(exc)))
        except core_db.DatabaseError as exc:
            return self.call_from_thread(self.refuse, Refusal("database", str(exc)))
        found = identity
        if self.connect is not None:
            try:
                settle(db, self.now_text)
                if role:
                    with db.read() as session:
                        found = queries.start_identity(session, role, identity)
            except core_db.DatabaseError as exc:
                return self.call_from_thread(self.refuse, Refusal("database", str(exc)))
            if isinstance(found, Refusal):
                return self.call_from_thread(self.refuse, found)
        try:  # before the screens' first read: nothing committed after it goes untold
            watcher = watch.ChangeWatcher(db) if self.watch else None
        except Exception:  # the app works without it: changes show on Refresh
            log.warning("cannot watch the database for changes made elsewhere", exc_info=True)
            watcher = None
        self.call_from_thread(self.opened, db, settings, found, watcher)

    def opened(self, db: Database, settings: Loaded, identity: str | None, watcher: ChangeWatcher | None) -> None:
        """On the UI thread, once the opening worker is done: the screens may read now."""
        first_open = self.db is None
        self.db, self.settings = db, settings
        keep_loaded("database")  # its libraries, now loaded
        if first_open:
            role, _ = self.start
            if role:
                self.start = (role, identity)
                self.screen.opened(identity)  # the outline fills in
            else:
                self.screen.post_message(DataChanged())
        if watcher is not None:  # a thread of its own, not a worker: `workers.wait_for_complete()` still returns
            threading.Thread(target=self.watch_for_changes, args=(watcher,), name="orderdesk-watch",
                             daemon=True).start()
        self.start_mailer()
        if self.keymap:
            self.run_worker(self.check_keymap, thread=True, group="keymap", exit_on_error=False)

    def refuse(self, refusal: Refusal) -> None:
        self.refusal = refusal
        code = 70 if refusal.code == "internal" else 2 if refusal.is_bad_input or refusal.code == "database" else 1
        self.exit(return_code=code)

    def start_mailer(self) -> None:
        """With the `smtp` setting, send the customer emails every EMAIL_EVERY seconds."""
        try:
            mail = self.settings.mail()
        except ConfigError as exc:
            self.notify(f"Not sending emails: {exc}", title="Settings", severity="warning", timeout=10)
            return
        if mail is None:
            return
        self.mailer = outbox.Mailer(mail)
        try:
            where = setup_logging(self.log_file, urls=(self.db.url,))
        except OSError as exc:
            self.notify(f"Sending emails without a log: cannot write {exc.filename}: {exc.strerror}.",
                        severity="warning")
        else:
            log.info("sending the customer emails every %d s in the background to %s:%s; logging to %s",
                     EMAIL_EVERY, mail.host, mail.port, where)
        self.set_interval(EMAIL_EVERY, self.send_emails)

    def check_keymap(self) -> None:
        """The keymap's entries that cannot work, told (a thread: it imports every screen)."""
        found = keymap.problems(self.keymap, keymap.binding_ids(type(self)))
        if found:
            self.call_from_thread(self.notify, "The keymap setting has entries that do nothing:\n"
                                  + "\n".join(found), title="Settings", severity="warning", timeout=20)

    def remember_theme(self, theme) -> None:
        """A theme picked from the palette is written to the settings file (a thread: a file)."""
        if theme.name != self.theme_setting:
            self.theme_setting = theme.name
            self.run_worker(partial(self.write_theme, theme.name), thread=True, group="settings",
                            exit_on_error=False)

    def write_theme(self, name: str) -> None:
        try:
            config_file.remember("theme", name)
        except ConfigError as exc:
            self.call_from_thread(self.notify, f"The theme is not remembered: {exc}", title="Settings",
                                  severity="warning", timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Before the database is open (the first frame) only Quit works; the other keys
        show greyed."""
        return True if self.db is not None or action == "quit" else None

    async def run_action(self, action, default_namespace: DOMNode | None = None, namespaces=None) -> bool:
        """An action aimed at a screen that is no longer the active one (a late key, a
        palette command picked twice) is dropped (tui/active.py); one not available yet
        says why (say_why_not)."""
        if default_namespace is not None and default_namespace is not self and not is_active(default_namespace):
            return False
        if await super().run_action(action, default_namespace, namespaces):
            return True
        self.say_why_not(action, default_namespace)
        return False

    def say_why_not(self, action: str, namespace: DOMNode | None) -> None:
        """A greyed key pressed (its action shown but not available: check_action answered
        None) says why, when its node knows: `why_not(action_name)` answers the sentence.
        Otherwise such a key would do nothing and say nothing."""
        target, name, params = self._parse_action(action, self if namespace is None else namespace)
        why_not = getattr(target, "why_not", None)
        if why_not is not None and target.check_action(name, params) is None and (why := why_not(name)):
            self.notify(why, severity="warning")

    async def on_event(self, event: events.Event) -> None:
        """A key that comes while a flow is between two screens waits for the next one
        (tui/work.py `hold`): as it arrives, and as it comes back from the screen it was
        passed to, before the keys' bindings act on it."""
        if isinstance(event, events.Key) and work.hold(self, event):
            return
        await super().on_event(event)

    def action_command_palette(self) -> None:
        if not isinstance(self.screen, CommandPalette):
            self.push_screen(CommandPalette(id="--command-palette"))

    async def slow_network(self, seconds: float) -> None:
        """The late part of a simulated slow network (`--simulate slow-network`): the
        answer to a Send comes this long after the screen stopped waiting for it."""
        await asyncio.sleep(seconds)

    def send_emails(self) -> None:
        """One run of the background sender (it skips while the mail server is known to be
        down: Mailer's in-memory backoff)."""
        self.run_worker(partial(self.mailer.send, self.db), thread=True, exclusive=True,
                        group="email", exit_on_error=False)

    def keeps(self, screen: Screen) -> bool:
        """Whether `screen` may not be left: when locked, the start screen stays."""
        return self.locked and len(self.screen_stack) <= 2 and screen is self.screen

    def pop_screen(self) -> AwaitComplete:
        if self.keeps(self.screen):
            self.bell()
            return AwaitComplete(asyncio.sleep(0))
        return super().pop_screen()

    def open_start(self) -> None:
        """The launcher (unless locked), then the identity's start screen when one was given."""
        role, identity = self.start
        if not self.locked:
            self.push_screen(LauncherScreen())
        if role and (identity or self.db is None):
            self.push_screen(self.start_screen(role, identity))

    def open_identity(self, role: str, identity: str) -> None:
        self.push_screen(self.start_screen(role, identity))

    @staticmethod
    def start_screen(role: str, identity: str | None) -> Screen:
        module, name = START_SCREENS[role].split(":")
        return getattr(import_module(module), name)(role, identity)

    def watch_for_changes(self, watcher: ChangeWatcher) -> None:
        """The change watcher's thread: every WATCH_INTERVAL, has anything been committed?
        Then tell the active screen. Every DUE_EVERY looks, let time do its work. A look that
        fails (the database away for a moment) is logged and tried again at the next one.
        `watcher` was made by the opening worker, before the screens' first read."""
        ticks = 0
        try:
            while not self.stopping.wait(WATCH_INTERVAL):
                ticks += 1
                try:
                    if ticks % DUE_EVERY == 0:
                        settle(self.db, self.now_text)
                    changed = watcher.changed()
                except Exception:  # the next look tries again
                    log.warning("looking for changes failed; trying again", exc_info=True)
                    continue
                if changed and not self.stopping.is_set():
                    self.call_from_thread(self.tell_changed)
        except RuntimeError:  # the app stopped between a look and its telling
            pass
        finally:
            watcher.close()

    def tell_changed(self) -> None:
        self.screen.post_message(DataChanged())

    def on_unmount(self) -> None:
        self.stopping.set()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen = {"quit", "help", "command_palette"}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            yield SystemCommand(binding.description,
                                f"{binding.tooltip or binding.description} ({key_label(self, key)})",
                                partial(self.run_action, binding.action, active.node))
