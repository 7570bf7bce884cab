"""Cancel wizard, the items step (Out of Stock): a quantity for each item, bounded by
what may be cancelled; items that don't qualify are greyed out with why (seed 003:
"the system will automatically gray out the items in any packages that don't
qualify for item cancellation"). Answers {line: units}, or None (back)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from core.queries.board import CancelDraft
from core.words import plural
from tui.active import leave
from tui.widgets.quantity_picker import QuantityPicker
from tui.widgets.key_bar import KeyBar


class CancelItemsScreen(Screen[dict[str, int] | None]):
    TITLE = "Cancel order"
    BINDINGS = [
        Binding("enter,ctrl+s", "continue", "Continue", id="items.continue",
                tooltip="Check the refund for these quantities"),
        Binding("escape", "back", "Back", id="items.back", tooltip="Back to what to cancel"),
    ]

    def __init__(self, draft: CancelDraft, step: str):
        super().__init__()
        self.draft, self.step = draft, step  # step: "step 2 of 4", from the flow (tui.flows.seller_cancel)
        self.sub_title = f"{draft.shop} · order {draft.order_id}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Cancel order {self.draft.order_id} · {self.step}: how many of each item?",
                     classes="screen-title")
        yield Static("Out of Stock: ↑/↓ choose an item, +/− or →/← change its quantity, a all of it. "
                     "Greyed-out items can't be cancelled by item; the line under each says why.",
                     classes="hint")
        with VerticalScroll():
            yield QuantityPicker(self.draft.snap.item_choices(self.draft.reason), verb="Cancel",
                                 id="quantities")
        yield Static(id="chosen", classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        picker = self.query_one(QuantityPicker)
        for line_id, qty in self.draft.items.items():
            picker.set_quantity(line_id, qty)
        picker.focus()
        self._show_chosen()

    def on_quantity_picker_changed(self, _message) -> None:
        self._show_chosen()

    def _show_chosen(self) -> None:
        chosen = self.query_one(QuantityPicker).chosen
        units = sum(chosen.values())
        self.query_one("#chosen", Static).update(
            f"{plural(units, 'unit')} of {plural(len(chosen), 'item')} chosen · Enter: check the refund"
            if units else "Nothing chosen yet.")

    def action_continue(self) -> None:
        chosen = self.query_one(QuantityPicker).chosen
        if not chosen:
            self.notify("Choose at least one unit to cancel (+ or → on an item).", severity="warning")
            return
        leave(self, dict(chosen))

    def action_back(self) -> None:
        leave(self)
