"""One order, whole: packages, items, amounts, what each side may do, cancellations."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from core import queries
from tui.format import order_text


class OrderScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back to the orders")]

    def __init__(self, order_id: str):
        super().__init__()
        self.order_id = order_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="order-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        with self.app.db.read() as session:
            view = queries.order_view(session, self.order_id, self.app.now())
        self.query_one("#order-text", Static).update(order_text(view))
