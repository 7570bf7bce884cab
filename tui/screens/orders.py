"""One identity's orders: a buyer's own, or a shop's newest first (paged from SQL)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from core import queries, rules
from core.models import Shop
from sqlmodel import select
from tui.screens.order import OrderScreen

PAGE = 100


class OrdersScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back to the launcher"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Read the orders again"),
    ]

    def __init__(self, role: str, identity: str):
        super().__init__()
        self.role, self.identity = role, identity

    def compose(self) -> ComposeResult:
        yield Header()
        title = f"Orders of {self.identity}" if self.role == "buyer" else f"{self.identity} · newest orders"
        yield Static(title, classes="screen-title")
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Order ID", "Status", "Placed", "Items")
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        with self.app.db.read() as session:
            if self.role == "buyer":
                rows = [(o["id"], o["status"], o["created_at"][:16].replace("T", " "),
                         ", ".join(f"{l['quantity']}× {l['title']}" for l in o["lines"]))
                        for o in queries.buyer_orders(session, self.identity, now=self.app.now())]
            else:
                shop = session.exec(select(Shop).where(Shop.name == self.identity)).one()
                page = queries.board_page(session, shop.id, limit=PAGE)
                rows = [(r["id"], r["status"], r["created_at"].strftime("%Y-%m-%d %H:%M"), "")
                        for r in page.rows]
        for order_id, status, placed, items in rows:
            table.add_row(order_id, rules.STATUS_LABELS[status], placed, items, key=order_id)

    def on_data_changed(self) -> None:
        self.action_refresh()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(OrderScreen(event.row_key.value))
