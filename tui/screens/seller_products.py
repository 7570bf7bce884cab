"""The product filter: a searchable multi-pick of the shop's SKUs (seed 003:
"filter the orders to include specific products").

Decision where the spec is silent: applying (Enter, Ctrl+S) takes the ticked products;
with none ticked, every product the typed text matches (type "jar", Enter: the jars).
Text that matches nothing applies nothing and says so."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.active import leave, when_active
from tui.widgets.option_list import SelectionList


class ProductPickScreen(ModalScreen[frozenset[str] | None]):
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="products.apply", tooltip="Show orders with the ticked products"),
        Binding("ctrl+r", "clear", "All products", id="products.clear", tooltip="Untick every product"),
        Binding("escape", "close", "Cancel", id="products.close", tooltip="Leave the filter as it was"),
    ]

    def __init__(self, skus: list[tuple[str, str]], chosen: frozenset[str]):
        super().__init__()
        self.skus, self.chosen = skus, set(chosen)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Show orders with these products", classes="screen-title")
            yield Input(placeholder="type to narrow the list (SKU or title)", id="product-search")
            yield SelectionList[str](id="product-list")
            yield Static("Type to narrow · ↓ to the list · Space tick · Enter or Ctrl+S apply (nothing "
                         "ticked: every product listed) · Ctrl+R all products · Escape cancel", classes="hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _matching(self, text: str) -> list[tuple[str, str]]:
        """The products (SKU, title) whose SKU or title holds `text`; all for no text."""
        text = text.strip().lower()
        return [(sku, title) for sku, title in self.skus
                if not text or text in sku.lower() or text in title.lower()]

    def _fill(self, text: str) -> None:
        listing = self.query_one(SelectionList)
        listing.clear_options()
        listing.add_options([(f"{sku:<14} {title}", sku, sku in self.chosen) for sku, title in self._matching(text)])

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @when_active
    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_apply()

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        sku = event.selection.value
        if sku in self.chosen:
            self.chosen.discard(sku)
        else:
            self.chosen.add(sku)

    def on_key(self, event) -> None:
        if event.key == "down" and self.query_one(Input).has_focus:
            listing = self.query_one(SelectionList)
            listing.focus()
            if listing.option_count and listing.highlighted is None:
                listing.highlighted = 0
            event.stop()
        elif event.key == "enter" and self.query_one(SelectionList).has_focus:
            self.action_apply()
            event.stop()

    def action_apply(self) -> None:
        text = self.query_one(Input).value
        if self.chosen or not text.strip():
            leave(self, frozenset(self.chosen))
        elif matching := self._matching(text):
            leave(self, frozenset(sku for sku, _ in matching))
        else:
            self.notify(f"No product matches {text.strip()!r}: type less, or Ctrl+R for all products.",
                        severity="warning")

    def action_clear(self) -> None:
        self.chosen.clear()
        self._fill(self.query_one(Input).value)

    def action_close(self) -> None:
        leave(self)
