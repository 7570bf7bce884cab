"""Seed 000, step 5: why cancel? The buyer reasons that fit this order (read with it,
`OrderView.buyer_reasons`); pick one, then Send: the screen answers the reason's key.
Also the reason for Contact seller (a request the seller answers)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from tui import work
from tui.active import leave, when_active
from tui.lazy import lazy_import
from tui.screens.buyer_common import SIMULATION_TEXT, BuyerScreen, MovingOptionList
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.orders import OrderView

queries = lazy_import("core.queries.buyer")


class ReasonList(MovingOptionList):
    BINDINGS = [Binding("enter", "select", "Pick", id="buyer.reason.pick",
                        tooltip="Pick the highlighted reason")]


class BuyerReasonScreen(BuyerScreen):
    """`purpose` "cancel": Cancel order → reason → Send (the flow sends core.services.buyer_cancel).
    "contact": Contact seller → reason → Send request (core.services.request_cancellation).
    `order` is the order as the buyer saw it: if it moves on meanwhile, the screen says
    so, and the core answers "Cancellation of order failed" to a Send."""

    DEFAULT_CSS = """
    BuyerReasonScreen #reason-intro { padding: 0 1; }
    BuyerReasonScreen #reason-list { height: auto; max-height: 1fr; border: round $primary; }
    BuyerReasonScreen #reason-picked { padding: 0 1; height: auto; }
    BuyerReasonScreen #reason-notice { padding: 0 1; color: $warning; height: auto; }
    """
    BINDINGS = [
        Binding("s,ctrl+s", "send", "Send", id="buyer.reason.send",
                tooltip="Send the cancellation with the picked reason"),
        Binding("ctrl+n", "cycle_simulation", "Simulate failure", id="buyer.simulate",
                tooltip="Demo: make Send meet a slow network, no network or a system error, or not"),
    ]

    def __init__(self, identity: str, order: OrderView, purpose: str = "cancel"):
        super().__init__(identity)
        self.order_id, self.version, self.purpose = order.id, order.version, purpose
        self.picked: str | None = None
        self.reasons: dict[str, str] = dict(order.buyer_reasons)
        self.mode = order.buyer_cancel.mode or "cancel"
        self.title = "Cancellation reason" if purpose == "cancel" else "Contact seller"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="reason-intro")
        yield ReasonList(id="reason-list")
        yield Static(id="reason-picked")
        yield Static(id="reason-notice")
        yield KeyBar()

    def on_mount(self) -> None:
        intro = Text()
        if self.purpose == "contact":
            intro.append("Contact seller\n", style="bold")
            intro.append("The order is packed, so only the seller can cancel it now. Tell them why; "
                         "they have 24 hours to answer.", style="dim")
        else:
            intro.append("Why do you want to cancel?\n", style="bold")
            intro.append("It is past the time this shop cancels orders on its own: the seller sees "
                         "your reason and answers your request." if self.mode == "request"
                         else "The order is cancelled at once and the refund goes back to your "
                              "original payment method.", style="dim")
        self.query_one("#reason-intro", Static).update(intro)
        options = self.query_one(OptionList)
        options.add_options([Option(self.label(key), id=key) for key in self.reasons])
        if self.reasons:
            options.highlighted = 0
        options.focus()
        self.query_one("#reason-notice").display = False
        self.draw_picked()

    def label(self, key: str) -> Text:
        mark = "(•) " if key == self.picked else "( ) "
        return Text(mark + self.reasons[key], style="bold" if key == self.picked else "")

    def draw_picked(self) -> None:
        out = Text()
        if not self.reasons:
            out.append("No reason fits this order any more; go back to see what changed.", style="yellow")
        elif self.picked:
            send = "Send request" if self.purpose == "contact" or self.mode == "request" else "Send"
            out.append(f"Reason: {self.reasons[self.picked]}. ", style="bold")
            out.append(f"Press s to {send}.")
        else:
            out.append("↑/↓ or j/k to move, Enter to pick a reason, then s to Send.", style="dim")
        if getattr(self.app, "simulate", None):
            out.append(f"\nDemo: failure simulation is on ({SIMULATION_TEXT[self.app.simulate]}); "
                       "ctrl+n changes it.", style="dim italic")
        self.query_one("#reason-picked", Static).update(out)
        self.refresh_bindings()

    def simulation_changed(self) -> None:
        self.draw_picked()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.picked = event.option.id
        options = self.query_one(OptionList)
        for key in self.reasons:
            options.replace_option_prompt(key, self.label(key))
        self.draw_picked()

    def on_data_changed(self, message) -> None:
        """Say so when the order moves on; Send still goes to the core, which decides."""
        work.read(self, partial(queries.order, order_id=self.order_id), self.changed, key="buyer.reason")

    def changed(self, now: OrderView | None) -> None:
        if now is not None and now.version != self.version:
            self.query_one("#reason-notice").display = True
            self.query_one("#reason-notice", Static).update(
                f"This order just changed: it is now {now.status_text}.")

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "send":
            return True if self.picked else None
        return True

    def why_not(self, action: str) -> str | None:
        """`s` before a reason is picked (tui/app.py's say_why_not)."""
        if action == "send" and self.reasons:
            return "Pick a reason first: ↑/↓ to it, Enter to pick it; then s sends."
        return None

    def action_send(self) -> None:
        if self.picked:
            leave(self, self.picked)
