"""Seed 000, step 5: why cancel? The buyer reasons that fit this order (from
`core.rules.reasons_for`); pick one, then Send. Also the reason for Contact seller
(a request the seller answers)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from core import rules, services
from core.results import Refused
from tui.active import when_active
from tui.screens.buyer_common import SIMULATION_TEXT, BuyerScreen, MovingOptionList


class ReasonList(MovingOptionList):
    BINDINGS = [Binding("enter", "select", "Pick", id="buyer.reason.pick",
                        tooltip="Pick the highlighted reason")]


class BuyerReasonScreen(BuyerScreen):
    """`purpose` "cancel": Cancel order → reason → Send (core.services.buyer_cancel).
    "contact": Contact seller → reason → Send request (core.services.request_cancellation).
    The order's version is the one the buyer saw on the Order screen: if the order
    moves on meanwhile, the core answers "Cancellation of order failed"."""

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

    def __init__(self, identity: str, order_id: str, version: int, purpose: str = "cancel"):
        super().__init__(identity)
        self.order_id, self.version, self.purpose = order_id, version, purpose
        self.picked: str | None = None
        self.reasons: dict[str, str] = {}
        self.mode = "cancel"
        self.title = "Cancellation reason" if purpose == "cancel" else "Contact seller"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="reason-intro")
        yield ReasonList(id="reason-list")
        yield Static(id="reason-picked")
        yield Static(id="reason-notice")
        yield Footer()

    def on_mount(self) -> None:
        now = self.app.now()
        with self.app.db.read() as session:
            try:
                state = services.load_order(session, self.order_id, lock=False)
            except Refused:
                state = None
            if state is not None:
                self.reasons = rules.reasons_for("buyer", state.order, state.packages)
                if self.purpose == "cancel":
                    try:
                        verdict = rules.buyer_cancel(state.order, state.shop, now,
                                                     app_version=self.app.app_version,
                                                     request_pending=state.pending is not None)
                        self.mode = verdict.mode or "cancel"
                    except ValueError:
                        pass
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
        with self.app.db.read() as session:
            state = services.load_order(session, self.order_id, lock=False)
            status, version = state.order.status, state.order.version
        if version != self.version:
            self.query_one("#reason-notice").display = True
            self.query_one("#reason-notice", Static).update(
                f"This order just changed: it is now {rules.STATUS_LABELS[status]}.")

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "send":
            return True if self.picked else None
        return True

    def action_send(self) -> None:
        if not self.picked:
            return
        from tui.screens.buyer_result import BuyerResultScreen

        self.app.switch_screen(BuyerResultScreen(self.identity, self.order_id, self.picked, self.version,
                                                 purpose=self.purpose))
