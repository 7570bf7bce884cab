"""Who are you? A buyer (the buyer app) or a shop (the seller's board)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tui.active import when_active
from tui.lazy import lazy_import

queries = lazy_import("core.queries.orders")


class LauncherScreen(Screen):
    BINDINGS = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Open orderdesk as…", id="launcher-title")
        yield Static("↑/↓ choose · Enter open · ? keys · Ctrl+Q quit", classes="hint")
        yield OptionList(id="identities")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def on_data_changed(self, _message=None) -> None:
        self.load()

    def load(self) -> None:
        """The shops and buyers, read again whenever the launcher shows (a shop may have
        been added); before the database is open (the first frame) a line says so."""
        identities = self.query_one(OptionList)
        if self.app.db is None:
            identities.set_options([Option("Opening the database…", disabled=True)])
            return
        with self.app.db.read() as session:
            shops, buyers = queries.shops(session), queries.buyers(session)
        options = [Option(f"Seller · {shop.name}", id=f"seller:{shop.name}") for shop in shops]
        options += [Option(f"Buyer  · {b.name} ({b.username})", id=f"buyer:{b.username}") for b in buyers]
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
