"""Seed 000: "After canceling the order, buyers can immediately customize and place a
new order": the cancelled order's items, quantities and address editable, then
place it (the command the flow gives: `core.services.buy_again`; today's prices, paid
at once), off the UI thread, the items busy until the answer is shown. `o` answers the
new order's ID, for the flow to open it.

Prices first (issue 17): each item's price today and the new order's items, shipping,
tax and total (core.queries.buy_again, read again on every change) are on screen
before anything is placed, and `p` asks to confirm that total (`p` again places it; any
change asks again). An item that can't be bought says why, and nothing is placed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Input, Static

from core.money import format_money
from core.results import Success
from tui import work
from tui.active import leave, when_active
from tui.lazy import lazy_import
from tui.screens.buyer_common import BuyerScreen, MovingTable
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.buy_again import BuyAgainQuote
    from core.queries.orders import OrderView

quotes = lazy_import("core.queries.buy_again")


class ItemTable(MovingTable):
    BINDINGS = [Binding("enter", "select_cursor", "Pick", show=False, id="buyer.again.pick")]


class BuyerBuyAgainScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerBuyAgainScreen #again-intro { padding: 0 1; height: auto; }
    BuyerBuyAgainScreen #again-items { margin: 1 0 0 0; }
    BuyerBuyAgainScreen #again-address-label { padding: 0 1; margin-top: 1; text-style: bold; }
    BuyerBuyAgainScreen #again-address { margin: 0 1; }
    BuyerBuyAgainScreen #again-quote { padding: 0 1; height: auto; }
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
                tooltip="Place the new order with these items and address (p again confirms its total)"),
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
        self.quote: BuyAgainQuote | None = None  # for `quoted_for`'s quantities
        self.quoted_for: dict[str, int] | None = None
        self.confirming = False  # `p` showed the total; `p` again places the order
        self.title = "Buy again"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="again-intro")
        yield ItemTable(id="again-items", cursor_type="row")
        yield Static("Reading today's prices…", id="again-quote")
        yield Static("Ship to", id="again-address-label")
        yield Input(id="again-address", placeholder="Shipping address")
        yield Static(id="again-result")
        yield KeyBar()

    def on_mount(self) -> None:
        view = self.order
        for line in view.lines:
            self.quantities[line.sku] = self.quantities.get(line.sku, 0) + line.quantity
            self.titles[line.sku] = line.title
        intro = Text()
        intro.append("Buy again\n", style="bold")
        intro.append(f"A new order from {view.shop} with the items of cancelled order {view.id}, "
                     "at today's prices. Change quantities with + and − (0 leaves an item out), the "
                     "address with a, then p to check the total and p again to place it.", style="dim")
        self.query_one("#again-intro", Static).update(intro)
        address = self.query_one(Input)
        address.cursor_blink = False
        address.value = view.address
        address.cursor_position = 0
        table = self.query_one(DataTable)
        table.add_column("Item", key="item")
        table.add_column("SKU", key="sku")
        table.add_column("Qty", key="qty")
        table.add_column("Price", key="price")
        table.add_column("Subtotal", key="subtotal")
        for sku, qty in self.quantities.items():
            table.add_row(self.titles[sku], sku, Text(str(qty), justify="right"), "…", "…", key=sku)
        table.styles.height = min(len(self.quantities) + 1, 10)
        table.focus()
        self.requote()

    # -- the quote: today's prices and the total, for these quantities ----------------------
    def requote(self) -> None:
        read, order_id, wanted = quotes.quote, self.order_id, dict(self.quantities)  # resolved here (tui.lazy)
        work.read(self, lambda session, now: (wanted, read(session, order_id, wanted)), self.quoted,
                  key="buyer.again.quote")

    def quoted(self, answer) -> None:
        wanted, quote = answer
        if wanted != self.quantities or quote is None:
            return  # changed meanwhile: a newer quote is on its way
        self.quote, self.quoted_for = quote, wanted
        money = lambda minor: format_money(minor, quote.currency)  # noqa: E731
        table = self.query_one(DataTable)
        priced = {line.sku: line for line in quote.lines}
        for sku in self.quantities:
            line = priced.get(sku)
            table.update_cell(sku, "price", Text(money(line.unit_price) if line else "", justify="right"))
            table.update_cell(sku, "subtotal", Text(money(line.subtotal) if line else "", justify="right"))
        out = Text()
        out.append(f"Items {money(quote.subtotal)} · shipping {money(quote.shipping)} · tax {money(quote.tax)} · ")
        out.append(f"Total {money(quote.total)}", style="bold")
        for problem in quote.problems:
            out.append(f"\n{problem}", style="yellow")
        self.query_one("#again-quote", Static).update(out)

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
        self.unconfirm()
        self.requote()

    def unconfirm(self) -> None:
        if self.confirming:
            self.confirming = False
            self.query_one("#again-result", Static).update("")

    def action_address(self) -> None:
        self.query_one(Input).focus()

    @when_active
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.unconfirm()  # the address changed: confirm again

    def action_place(self) -> None:
        """First the total to confirm, then (p again) the order placed."""
        quote, result = self.quote, self.query_one("#again-result", Static)
        if quote is None or self.quoted_for != self.quantities:
            result.update(Text("Reading today's prices… press p again in a moment.", style="dim"))
            return
        if quote.problems or not quote.lines:
            result.update(Text("Nothing can be placed yet: " + (" ".join(quote.problems) or
                                                               "choose at least one item (+)."), style="yellow"))
            return
        if not self.confirming:
            self.confirming = True
            out = Text()
            out.append(f"Place this order for {format_money(quote.total, quote.currency)}?", style="bold")
            out.append(" It is paid at once. Press p again to place it, or change something first.")
            result.update(out)
            return
        self.confirming = False
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
