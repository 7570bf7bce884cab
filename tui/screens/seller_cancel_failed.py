"""The cancellation was refused at submit: "Cancellation of order failed" when the
order moved on (packed, shipped, cancelled elsewhere) or "the order changed" when
the refund would differ from the one reviewed. Shows the order as it is now;
nothing was cancelled and nothing refunded."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from core.queries import orders as queries
from core.results import Refusal
from tui.format import order_text
from tui.seller_flow import CancelDraft, read_snapshot


class CancelFailedScreen(Screen):
    TITLE = "Cancel order"
    CSS = """
    CancelFailedScreen #failed-title { color: $error; text-style: bold; padding: 0 1; }
    CancelFailedScreen #failed-why { padding: 0 1 1 1; }
    CancelFailedScreen #order-now { padding: 0 1; }
    """
    BINDINGS = [
        Binding("r", "again", "Start again", id="failed.again",
                tooltip="Cancel again from the order as it is now"),
        Binding("escape", "close", "Back to the board", id="failed.close",
                tooltip="Leave the order as it is"),
    ]

    def __init__(self, draft: CancelDraft, refusal: Refusal):
        super().__init__()
        self.draft, self.refusal = draft, refusal
        self.sub_title = f"{draft.shop} · order {draft.order_id}"

    def compose(self) -> ComposeResult:
        yield Header()
        title = ("Cancellation of order failed" if self.refusal.code != "conflict"
                 else "Cancellation of order failed: the order changed")
        yield Static(title, id="failed-title")
        yield Static(f"{self.refusal.message}\nNothing was cancelled and nothing refunded. "
                     "The order as it is now:", id="failed-why", markup=False)
        with VerticalScroll():
            yield Static(id="order-now", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        with self.app.db.read() as session:
            view = queries.read_order(session, self.draft.order_id, self.app.now())
        self.query_one("#order-now", Static).update(order_text(view) if view else "")

    def action_close(self) -> None:
        origin = self.draft.origin
        while self.app.screen is not origin and len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_again(self) -> None:
        from tui.screens.seller_cancel_reason import CancelReasonScreen

        snap = read_snapshot(self, self.draft.order_id)
        self.action_close()
        if snap is not None and snap.seller_reasons():
            fresh = CancelDraft(self.draft.shop, snap, self.draft.origin, reason=self.draft.reason)
            self.app.push_screen(CancelReasonScreen(fresh))
