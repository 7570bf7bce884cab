"""Split a package: choose which lines, and how many of their units, go to a new
package (the snapshot's split verdicts say what may move). Split runs the command the
flow gives for the chosen moves, off the UI thread, busy from the key press on.
Answers the command's success, or None (left without splitting)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from core.queries.board import OrderSnapshot
from tui import work
from tui.active import leave
from tui.widgets.quantity_picker import QuantityPicker
from tui.widgets.key_bar import KeyBar


class SplitScreen(Screen):
    TITLE = "Split into packages"
    BINDINGS = [
        Binding("ctrl+s,enter", "split", "Split", id="split.submit",
                tooltip="Move the chosen units into a new package"),
        Binding("escape", "back", "Back", id="split.back", tooltip="Leave without splitting"),
    ]

    def __init__(self, shop: str, snap: OrderSnapshot, package_id: str, command_for: Callable):
        super().__init__()
        self.shop, self.snap, self.package_id, self.command_for = shop, snap, package_id, command_for
        self.splitting = False
        self.sub_title = f"{shop} · order {snap.order.id}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Split package {self.package_id} of order {self.snap.order.id}", classes="screen-title")
        yield Static("Choose how many units of each item go to the new package (+/− or →/←, a all). "
                     "At least one unit stays. An item with cancelled units moves whole.", classes="hint")
        with VerticalScroll():
            yield QuantityPicker(self.snap.split_lines[self.package_id], verb="Move", id="moves")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(QuantityPicker).focus()

    def action_split(self) -> None:
        if self.splitting:
            return
        picker = self.query_one(QuantityPicker)
        if not picker.chosen:
            self.notify("Choose at least one unit to move (+ or → on an item).", severity="warning")
            return
        self.splitting = True
        work.run(self, self.command_for(dict(picker.chosen)), self._done, key="split", busy=picker)

    def _done(self, result) -> None:
        self.splitting = False
        if result.ok:
            leave(self, result)
        else:
            self.notify(result.message, title="Not split", severity="error")

    def action_back(self) -> None:
        if not self.splitting:
            leave(self)
