"""The cancellation was refused at submit: "Cancellation of order failed" when the
order moved on (packed, shipped, cancelled elsewhere) or "the order changed" when
the refund would differ from the one reviewed. Shows the order as it is now (read by
the flow); nothing was cancelled and nothing refunded. Answers "again" (start over
from the order as it is now) or None (back)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from core.results import Refusal
from tui.active import leave
from tui.widgets.key_bar import KeyBar


class CancelFailedScreen(Screen[str | None]):
    TITLE = "Cancel order"
    BINDINGS = [
        Binding("r", "again", "Start again", id="failed.again",
                tooltip="Cancel again from the order as it is now"),
        Binding("escape", "close", "Back to the board", id="failed.close",
                tooltip="Leave the order as it is"),
    ]

    def __init__(self, shop: str, order_id: str, refusal: Refusal, order_now: str):
        super().__init__()
        self.refusal, self.order_now = refusal, order_now
        self.sub_title = f"{shop} · order {order_id}"

    def compose(self) -> ComposeResult:
        yield Header()
        title = ("Cancellation of order failed" if self.refusal.code != "conflict"
                 else "Cancellation of order failed: the order changed")
        yield Static(title, id="failed-title")
        yield Static(f"{self.refusal.message}\nNothing was cancelled and nothing refunded. "
                     "The order as it is now:", id="failed-why", markup=False)
        with VerticalScroll():
            yield Static(self.order_now, id="order-now", markup=False)
        yield KeyBar()

    def action_close(self) -> None:
        leave(self)

    def action_again(self) -> None:
        leave(self, "again")
