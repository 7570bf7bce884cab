"""Seed 000, step 3: Your orders, by tab (to pay, to ship, shipped, delivered,
cancelled, all); each order a row with its items, total and status. Enter answers the
order to open (and the tab), for the flow to open it.

One read brings every tab's orders (`core.queries.buyer.your_orders`); a tab only
filters them, so changing tabs reads nothing."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from core.money import format_money
from tui import work
from tui.active import leave, when_active
from tui.lazy import lazy_import
from tui.screens.buyer_common import BuyerScreen, MovingTable, Next
from tui.widgets.fit_table import Col, money
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.buyer import OrderRow, YourOrders

queries = lazy_import("core.queries.buyer")

TABS = {"to_pay": "To pay", "to_ship": "To ship", "shipped": "Shipped", "delivered": "Delivered",
        "cancelled": "Cancelled", "all": "All"}
TAB_KEYS = list(TABS)
# The total is kept whole, and the status too (it may say what was refunded): on a narrow
# terminal the order's ID (whole or not at all) is left out first, then the status; the
# items narrow to what is left (they say which order it is).
COLUMNS = (Col("Order", give=0, least=18), Col("Items", give=2, least=8), money("Total"),
           Col("Status", give=1, whole=True))


def items_text(order: OrderRow) -> str:
    return ", ".join(f"{quantity}× {title}" for quantity, title in order.items)


def status_text(order: OrderRow) -> str:
    if order.request_pending:
        return f"{order.status_text} · cancel requested"
    if order.status == "cancelled" and order.refunded:
        return f"Cancelled · refunded {format_money(order.refunded, order.currency)}"
    return order.status_text


class BuyerOrdersScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerOrdersScreen #orders-tabs { height: 1; padding: 0 1; background: $boost; }
    BuyerOrdersScreen #orders-table { height: 1fr; }
    BuyerOrdersScreen #orders-empty { padding: 1 2; color: $text-muted; }
    """
    BINDINGS = [
        Binding("left,h", "tab(-1)", "Prev tab", id="buyer.orders.prev_tab", priority=True,
                tooltip="The tab to the left"),
        Binding("right,l", "tab(1)", "Next tab", id="buyer.orders.next_tab", priority=True,
                tooltip="The tab to the right"),
        *[Binding(str(n), f"show_tab('{key}')", TABS[key], id=f"buyer.orders.tab_{key}", show=False,
                  tooltip=f"The {TABS[key]} tab") for n, key in enumerate(TAB_KEYS, start=1)],
    ]

    def __init__(self, identity: str, tab: str, *, orders: YourOrders, selected: str | None = None):
        """`orders`: as the flow read them; `selected`: the order the cursor starts on (the
        first row if it isn't in the tab)."""
        super().__init__(identity)
        self.tab = tab
        self.title = "Your orders"
        self.orders = orders
        self.selected = selected

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="orders-tabs")
        yield MovingTable(COLUMNS, id="orders-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="orders-empty")
        yield KeyBar()

    def on_mount(self) -> None:
        self.draw()
        self.selected = None  # placed: the cursor is the buyer's now
        self.query_one(DataTable).focus()

    def on_data_changed(self, message) -> None:
        self.reload()

    def reload(self) -> None:
        work.read(self, partial(queries.your_orders, username=self.identity), self.show, key="buyer.orders")

    def show(self, orders: YourOrders) -> None:
        if orders != self.orders:
            self.orders = orders
            self.draw()

    def draw(self) -> None:
        shown = self.orders.in_tab(self.tab)
        self.draw_tabs()
        table = self.query_one(MovingTable)
        keep = self.selected
        if table.row_count and keep is None:
            try:
                keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except Exception:
                keep = None
        # The rows of this tab only: a tab's widths don't carry over to another.
        table.fill([(o.id, items_text(o), format_money(o.total, o.currency), status_text(o)) for o in shown],
                   [o.id for o in shown])
        if keep is not None and keep in {o.id for o in shown}:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        empty = self.query_one("#orders-empty", Static)
        empty.display = not shown
        empty.update(f"No orders in {TABS[self.tab]}. ←/→ to see the other tabs.")
        table.display = bool(shown)

    def draw_tabs(self) -> None:
        bar = Text()
        for n, (key, title) in enumerate(TABS.items(), start=1):
            label = f" {title} {self.orders.count(key)} "
            bar.append(label, style="bold reverse" if key == self.tab else "")
            bar.append(" ")
        self.query_one("#orders-tabs", Static).update(bar)

    def action_tab(self, step: int) -> None:
        self.show_tab(TAB_KEYS[(TAB_KEYS.index(self.tab) + step) % len(TAB_KEYS)])

    def action_show_tab(self, tab: str) -> None:
        self.show_tab(tab)

    def show_tab(self, tab: str) -> None:
        self.tab = tab
        table = self.query_one(DataTable)
        table.clear()
        self.draw()
        if table.row_count:
            table.move_cursor(row=0, animate=False)
            table.focus()

    @when_active
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        leave(self, Next("open", order_id=event.row_key.value, tab=self.tab))
