"""The buyers' cancellation requests for this shop, with each deadline counting
down (24 hours, TikTok API SELLER_RESPOND_CANCEL); approve, or reject with a
reject reason. Overdue ones are approved by the system (services.process_due)."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from core import services
from core.queries import board
from tui.active import when_active
from tui.seller_flow import read_snapshot


def countdown(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return ""
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return "overdue: the system approves it"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s left"


class SellerRequestsScreen(Screen):
    TITLE = "Cancellation requests"
    BINDINGS = [
        Binding("a", "approve", "Approve", id="requests.approve",
                tooltip="Cancel the whole order as the buyer asked"),
        Binding("x", "reject", "Reject", id="requests.reject",
                tooltip="Refuse the request with a reject reason"),
        Binding("enter", "details", "Details", id="requests.details", tooltip="The whole order"),
        Binding("escape", "app.pop_screen", "Back", id="requests.back", tooltip="Back to the board"),
    ]

    def __init__(self, shop: str):
        super().__init__()
        self.shop = shop
        self.sub_title = shop
        self.rows: list[board.RequestRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Buyers asking {self.shop} to cancel", classes="screen-title")
        yield Static("a approve · x reject with a reason · Enter the order · "
                     "unanswered in 24 hours: approved by the system", classes="hint")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="requests")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Order", key="order")
        table.add_column("Answer within", key="left")
        table.add_column("Buyer", key="buyer")
        table.add_column("Reason", key="reason")
        table.add_column("Order status", key="status")
        self.reread()
        self.set_interval(1, self.tick)
        table.focus()

    def reread(self) -> None:
        from core.rules import STATUS_LABELS

        with self.app.db.read() as session:
            shop = board.shop_by_name(session, self.shop)
            self.rows = board.requests(session, shop.id) if shop else []
        table = self.query_one(DataTable)
        keep = self.current.id if self.current else None
        table.clear()
        now = self.app.now()
        for r in self.rows:
            table.add_row(r.order_id, countdown(r.deadline_at, now), r.buyer, r.reason_text,
                          STATUS_LABELS[r.order_status], key=r.id)
        if not self.rows:
            self.query_one(".hint", Static).update("No pending requests. a approve · x reject when there are.")
        ids = [r.id for r in self.rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))

    def tick(self) -> None:
        table = self.query_one(DataTable)
        now = self.app.now()
        for r in self.rows:
            table.update_cell(r.id, "left", countdown(r.deadline_at, now))

    @property
    def current(self) -> board.RequestRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_changed(self, _message=None) -> None:
        self.reread()

    def action_approve(self) -> None:
        row = self.current
        if row is None:
            return
        result = services.approve_request(self.app.db, row.id, now=self.app.now(), shop=self.shop)
        if result.ok:
            self.notify(f"Order {row.order_id} cancelled as the buyer asked; the customer's email "
                        "is queued in the outbox.", title="Request approved")
        else:
            self.notify(result.message, title="Not approved", severity="error")
        self.reread()

    def action_reject(self) -> None:
        row = self.current
        if row is None:
            return
        from tui.screens.seller_reject import RejectReasonScreen

        snap = read_snapshot(self, row.order_id)

        def rejected(reason: str | None) -> None:
            if not reason:
                return
            result = services.reject_request(self.app.db, row.id, reason, now=self.app.now(), shop=self.shop)
            if result.ok:
                self.notify(f"The buyer of order {row.order_id} is told why.", title="Request rejected")
            else:
                self.notify(result.message, title="Not rejected", severity="error")
            self.reread()

        self.app.push_screen(RejectReasonScreen(row.order_id, snap.reject_reasons() if snap else {}), rejected)

    @when_active
    def on_data_table_row_selected(self, _event) -> None:
        self.action_details()

    def action_details(self) -> None:
        row = self.current
        if row is not None:
            from tui.screens.seller_order import SellerOrderScreen

            self.app.push_screen(SellerOrderScreen(self.shop, row.order_id))
