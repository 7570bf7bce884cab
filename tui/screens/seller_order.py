"""One order, whole, as the seller sees it, with the card's actions as keys.
The scanner opens this screen. It reads the order off the UI thread (`tui.work`): the
same read model `orderdesk orders show` prints."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from tui import work
from tui.active import leave
from tui.format import order_text
from tui.lazy import lazy_import
from tui.widgets.key_bar import KeyBar

queries = lazy_import("core.queries.orders")


class SellerOrderScreen(Screen):
    TITLE = "Order"
    BINDINGS = [
        Binding("escape", "back", "Back", id="order.back", tooltip="Back to the board"),
        Binding("c", "order('cancel')", "Cancel", id="order.cancel",
                tooltip="Cancel the order, a package, or (Out of Stock) some items"),
        Binding("p", "order('pack')", "Pack", id="order.pack", tooltip="Pack a package"),
        Binding("h", "order('handover')", "Hand over", id="order.handover",
                tooltip="Hand a package over to the carrier"),
        Binding("s", "order('split')", "Split", id="order.split", tooltip="Split into packages"),
        # rarer, and in the card's action menu too: in `?` and the palette, not the footer
        Binding("v", "order('deliver')", "Delivered", id="order.deliver", show=False,
                tooltip="Mark a package in transit delivered (asks first)"),
        Binding("r", "order('receive_return')", "Receive return", id="order.receive_return", show=False,
                tooltip="A refused package is back: cancel, restock and refund its items (asks first)"),
    ]

    def __init__(self, shop: str, order_id: str):
        super().__init__()
        self.shop, self.order_id = shop, order_id
        self.sub_title = f"{shop} · order {order_id}"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="order-text", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.reread()

    def reread(self) -> None:
        read, order_id = queries.read_order, self.order_id  # resolved on the UI thread (tui.lazy)
        work.read(self, lambda session, now: read(session, order_id, now), self.show, key="seller.order")

    def show(self, view) -> None:
        self.query_one("#order-text", Static).update(order_text(view) if view else
                                                      f"There is no order {self.order_id}.")

    def on_data_changed(self, _message=None) -> None:
        self.reread()

    def on_screen_resume(self) -> None:
        self.reread()

    def action_back(self) -> None:
        leave(self)

    def action_order(self, action: str) -> None:
        leave(self, action)  # the flow that showed the order acts on it
