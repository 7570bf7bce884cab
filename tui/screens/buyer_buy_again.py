"""Seed 000: "After canceling the order, buyers can immediately customize and place a
new order": the cancelled order's items, quantities and address editable, then
place it (the command the flow gives: `core.services.buy_again`; today's prices, paid
at once), off the UI thread, the items busy until the answer is shown. `o` answers the
new order's ID, for the flow to open it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from core.results import Success
from tui import work
from tui.active import leave, when_active
from tui.screens.buyer_common import BuyerScreen, MovingTable

if TYPE_CHECKING:
    from core.queries.orders import OrderView


class ItemTable(MovingTable):
    BINDINGS = [Binding("enter", "select_cursor", "Pick", show=False, id="buyer.again.pick")]


class BuyerBuyAgainScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerBuyAgainScreen #again-intro { padding: 0 1; height: auto; }
    BuyerBuyAgainScreen #again-items { margin: 1 0 0 0; }
    BuyerBuyAgainScreen #again-address-label { padding: 0 1; margin-top: 1; text-style: bold; }
    BuyerBuyAgainScreen #again-address { margin: 0 1; }
    BuyerBuyAgainScreen #again-result { padding: 0 1; height: auto; margin-top: 1; }
    """
    BINDINGS = [
        Binding("plus,equals_sign", "change(1)", "+1", id="buyer.again.more",
                tooltip="One more of the highlighted item"),
        Binding("minus", "change(-1)", "−1", id="buyer.again.less",
                tooltip="One fewer of the highlighted item (0 leaves it out)"),
        Binding("a", "address", "Address", id="buyer.again.address",
                tooltip="Edit the shipping address; Enter when done"),
        Binding("p", "place", "Place order", id="buyer.again.place",
                tooltip="Place the new order with these items and address"),
        Binding("o", "open_new", "Open new order", id="buyer.again.open",
                tooltip="Open the order you just placed"),
    ]

    def __init__(self, identity: str, order: OrderView, place: Callable[[dict[str, int], str | None], Any]):
        """`place(quantities, address)`: the command that places the new order."""
        super().__init__(identity)
        self.order, self.order_id, self.place = order, order.id, place
        self.quantities: dict[str, int] = {}
        self.titles: dict[str, str] = {}
        self.placed: Success | None = None
        self.title = "Buy again"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="again-intro")
        yield ItemTable(id="again-items", cursor_type="row")
        yield Static("Ship to", id="again-address-label")
        yield Input(id="again-address", placeholder="Shipping address")
        yield Static(id="again-result")
        yield Footer()

    def on_mount(self) -> None:
        view = self.order
        for line in view.lines:
            self.quantities[line.sku] = self.quantities.get(line.sku, 0) + line.quantity
            self.titles[line.sku] = line.title
        intro = Text()
        intro.append("Buy again\n", style="bold")
        intro.append(f"A new order from {view.shop} with the items of cancelled order {view.id}, "
                     "at today's prices. Change quantities with + and − (0 leaves an item out), the "
                     "address with a, then p to place it.", style="dim")
        self.query_one("#again-intro", Static).update(intro)
        address = self.query_one(Input)
        address.cursor_blink = False
        address.value = view.address
        address.cursor_position = 0
        table = self.query_one(DataTable)
        table.add_column("Item", key="item")
        table.add_column("SKU", key="sku")
        table.add_column("Qty", key="qty")
        for sku, qty in self.quantities.items():
            table.add_row(self.titles[sku], sku, Text(str(qty), justify="right"), key=sku)
        table.styles.height = min(len(self.quantities) + 1, 10)
        table.focus()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "open_new":
            return self.placed is not None
        if action in ("change", "address", "place"):
            return self.placed is None and not self.query_one(DataTable).loading
        return True

    def action_change(self, step: int) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        sku = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.quantities[sku] = max(0, self.quantities[sku] + step)
        table.update_cell(sku, "qty", Text(str(self.quantities[sku]), justify="right"))

    def action_address(self) -> None:
        self.query_one(Input).focus()

    @when_active
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def action_place(self) -> None:
        address = self.query_one(Input).value.strip() or None
        work.run(self, self.place(dict(self.quantities), address), self.answered, key="buyer.buy_again",
                 busy=self.query_one(DataTable))

    def answered(self, result) -> None:
        out = Text()
        if isinstance(result, Success):
            self.placed = result
            out.append(f"New order {result.record['id']} placed\n", style="bold green")
            out.append("It is paid and waits for the shop's confirmation; you can still cancel it "
                       "until it is packed. Press o to open it, Esc to go back.")
            self.query_one(DataTable).disabled = True
            self.query_one(Input).disabled = True
        else:
            out.append("Could not place the order\n", style="bold red")
            out.append(result.message)
        self.query_one("#again-result", Static).update(out)
        self.refresh_bindings()

    def action_open_new(self) -> None:
        leave(self, self.placed.record["id"])
