"""Who are you? A buyer (the buyer app) or a shop (the seller's board)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from tui import work
from tui.active import when_active
from tui.lazy import lazy_import
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.identities import Identity

queries = lazy_import("core.queries.identities")


class LauncherScreen(Screen):
    BINDINGS = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Open orderdesk as…", id="launcher-title")
        yield Static("↑/↓ choose · Enter open · ? keys · Ctrl+Q quit", classes="hint")
        yield OptionList(id="identities")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def on_data_changed(self, _message=None) -> None:
        self.load()

    def load(self) -> None:
        """The shops and buyers, read again (in a worker: tui/work.py) whenever the launcher
        shows (a shop may have been added); before the database is open (the first frame) a
        line says so."""
        if self.app.db is None:
            self.query_one(OptionList).set_options([Option("Opening the database…", disabled=True)])
            return
        work.read(self, lambda session, now: queries.identities(session), self.show, key="launcher")

    def show(self, found: list[Identity]) -> None:
        identities = self.query_one(OptionList)
        options = [Option(identity.label, id=identity.key) for identity in found]
        highlighted = identities.highlighted
        if options:
            identities.set_options(options)
            identities.highlighted = min(highlighted or 0, len(options) - 1)
        else:
            identities.set_options([Option("The database is empty: run `orderdesk seed demo`.", disabled=True)])
        identities.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        role, identity = event.option.id.split(":", 1)
        self.app.open_identity(role, identity)
