"""The customer emails of this shop (seed 003: "the customer will receive an email
notification"), queued, sent or waiting for a person (failed, unknown), newest first;
the highlighted one in full below, with what to do when it waits for a person."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from core.queries.board import shop_by_name
from core.queries.outbox import Email, emails
from tui import work
from tui.active import leave, when_active
from tui.widgets.fit_table import Col, FitDataTable
from tui.widgets.key_bar import KeyBar

# The status and the time are kept whole; the subject (its order is in the email below) gives
# way first, then the address.
COLUMNS = (Col("Status", keep=True), Col("To", give=1, least=10), Col("Subject", give=0, least=10),
           Col("Queued", keep=True))

STATUS_WORDS = {"pending": "queued"}  # the others (sending, sent, failed, unknown, discarded) as they are


class SellerOutboxScreen(Screen):
    TITLE = "Outbox"
    BINDINGS = [
        Binding("enter", "read", "Read", id="outbox.read", tooltip="Scroll the email in full"),
        Binding("escape", "back", "Back", id="outbox.back", tooltip="Back to the list, or to the board"),
    ]

    def __init__(self, shop: str):
        super().__init__()
        self.shop = shop
        self.sub_title = shop
        self.emails: list[Email] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Customer emails from {self.shop}", classes="screen-title")
        yield FitDataTable(COLUMNS, cursor_type="row", zebra_stripes=True, id="emails")
        with VerticalScroll(id="email-pane"):
            yield Static(id="email", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.reread()
        table.focus()

    def reread(self) -> None:
        name = self.shop

        def query(session, now) -> list[Email]:  # email runs on the real clock: `now` is not passed on
            shop = shop_by_name(session, name)
            return emails(session, shop_id=shop.id) if shop else []

        work.read(self, query, self._show_list, key="outbox")

    def _show_list(self, found: list[Email]) -> None:
        self.emails = found
        table = self.query_one(FitDataTable)
        table.fill([(STATUS_WORDS.get(e.shown_status, e.shown_status), e.to, e.subject,
                     e.created_at.strftime("%Y-%m-%d %H:%M")) for e in self.emails],
                   [str(e.id) for e in self.emails])
        self._show(table.cursor_row or 0)

    def _show(self, index: int) -> None:
        pane = self.query_one("#email", Static)
        if not self.emails:
            pane.update("No emails yet: they are written when an order is cancelled.")
            return
        e = self.emails[min(max(index, 0), len(self.emails) - 1)]
        when = (f"sent {e.sent_at:%Y-%m-%d %H:%M}" if e.sent_at else
                "queued, not sent yet" if e.status == "pending" else e.shown_status)
        problem = f"\n{e.problem}" if e.problem else ""
        pane.update(f"To: {e.to}\nSubject: {e.subject}\nOrder: {e.order_id} · {when}{problem}\n\n{e.body}")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    @when_active
    def on_data_table_row_selected(self, _event) -> None:
        self.action_read()

    def on_data_changed(self, _message=None) -> None:
        self.reread()

    def action_read(self) -> None:
        self.query_one("#email-pane").focus()

    def action_back(self) -> None:
        if self.query_one("#email-pane").has_focus:
            self.query_one(DataTable).focus()
        else:
            leave(self)
