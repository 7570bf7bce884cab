"""The buyers' cancellation requests for this shop, with each deadline counting
down (24 hours, TikTok API SELLER_RESPOND_CANCEL); approve, or reject with a
reject reason. Overdue ones are approved by the system (services.process_due).

The list is read off the UI thread (tui.work); Approve (which shows the refund and asks
first: what it does can't be undone), Reject and Details are flows over this screen
(`approve`, `reject`, `details`: given by the flow that opened it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from core.queries.requests import Request, requests
from tui import work
from tui.active import leave, when_active
from tui.format import status_label
from tui.widgets.fit_table import Col, FitDataTable
from tui.widgets.key_bar import KeyBar

# The order and the time left are kept whole; the reason gives way first, then the status, the buyer.
COLUMNS = (Col("Order", keep=True, key="order"), Col("Answer within", keep=True, key="left"),
           Col("Buyer", give=2, key="buyer"), Col("Reason", give=0, key="reason"),
           Col("Order status", give=1, key="status"))


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
                tooltip="Cancel the whole order as the buyer asked (shows the refund first)"),
        Binding("x", "reject", "Reject", id="requests.reject",
                tooltip="Refuse the request with a reject reason"),
        Binding("enter", "details", "Details", id="requests.details", tooltip="The whole order"),
        Binding("escape", "back", "Back", id="requests.back", tooltip="Back to the board"),
    ]

    def __init__(self, shop: str, *, approve: Callable[[Request], None],
                 reject: Callable[[Request], None], details: Callable[[Request], None]):
        super().__init__()
        self.shop = shop
        self.approve, self.reject, self.details = approve, reject, details
        self.sub_title = shop
        self.rows: list[Request] = []
        self.now: datetime | None = None  # the app's clock, as last read

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Buyers asking {self.shop} to cancel", classes="screen-title")
        yield Static("a approve · x reject with a reason · Enter the order · "
                     "unanswered in 24 hours: approved by the system", classes="hint")
        yield FitDataTable(COLUMNS, cursor_type="row", zebra_stripes=True, id="requests")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.reread()
        self.set_interval(1, self.tick)
        table.focus()

    def reread(self) -> None:
        shop = self.shop
        work.read(self, lambda session, now: (requests(session, shop=shop), now), self._show, key="requests")

    def _show(self, found: tuple[list[Request], datetime]) -> None:
        table = self.query_one(FitDataTable)
        keep = self.current.id if self.current else None
        self.rows, self.now = found
        table.fill([(r.order_id, countdown(r.deadline_at, self.now), r.buyer, r.reason_text,
                     status_label(r.order_status)) for r in self.rows], [r.id for r in self.rows])
        if not self.rows:
            self.query_one(".hint", Static).update("No pending requests. a approve · x reject when there are.")
        ids = [r.id for r in self.rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))

    def tick(self) -> None:
        """The countdown, each second, at the app's clock (read off the UI thread: it is
        the database's, which a demo or a test may hold still)."""
        work.read(self, lambda session, now: now, self._ticked, key="requests.clock")

    def _ticked(self, now: datetime) -> None:
        self.now = now
        table = self.query_one(FitDataTable)
        for r in self.rows:
            table.set_value(r.id, "left", countdown(r.deadline_at, now))

    @property
    def current(self) -> Request | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_changed(self, _message=None) -> None:
        self.reread()

    def action_approve(self) -> None:
        if self.current is not None:
            self.approve(self.current)

    def action_reject(self) -> None:
        if self.current is not None:
            self.reject(self.current)

    @when_active
    def on_data_table_row_selected(self, _event) -> None:
        self.action_details()

    def action_details(self) -> None:
        if self.current is not None:
            self.details(self.current)

    def action_back(self) -> None:
        leave(self)
