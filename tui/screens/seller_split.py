"""Split a package: choose which lines, and how many of their units, go to a new
package (core.services.split_package; rules.split_line decides what may move)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from core import services
from core.queries.board import OrderSnapshot
from tui.active import leave
from tui.widgets.quantity_picker import QuantityPicker


class SplitScreen(Screen):
    TITLE = "Split into packages"
    BINDINGS = [
        Binding("ctrl+s,enter", "split", "Split", id="split.submit",
                tooltip="Move the chosen units into a new package"),
        Binding("escape", "app.pop_screen", "Back", id="split.back", tooltip="Leave without splitting"),
    ]

    def __init__(self, shop: str, snap: OrderSnapshot, package_id: str):
        super().__init__()
        self.shop, self.snap, self.package_id = shop, snap, package_id
        self.sub_title = f"{shop} · order {snap.order.id}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Split package {self.package_id} of order {self.snap.order.id}", classes="screen-title")
        yield Static("Choose how many units of each item go to the new package (+/− or →/←, a all). "
                     "At least one unit stays. An item with cancelled units moves whole.", classes="hint")
        with VerticalScroll():
            yield QuantityPicker(self.snap.split_choices(self.package_id), verb="Move", id="moves")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QuantityPicker).focus()

    def action_split(self) -> None:
        moves = self.query_one(QuantityPicker).chosen
        if not moves:
            self.notify("Choose at least one unit to move (+ or → on an item).", severity="warning")
            return
        result = services.split_package(self.app.db, self.package_id, moves, now=self.app.now(),
                                        shop=self.shop)
        if result.ok:
            leave(self)
            self.app.notify(f"New package {result.record['id']} for order {self.snap.order.id}.",
                            title="Split")
        else:
            self.notify(result.message, title="Not split", severity="error")
