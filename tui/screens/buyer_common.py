"""What every buyer screen shares: the bottom navigation bar, lists that move with
j/k, the failure-simulation switch, plain words for times and events, and the answers
the screens give their flow (tui/flows/buyer.py), which decides what comes next.

No business rules here: what the buyer may do comes with the read models of
`core.queries.buyer` (the verdicts decided there); this module only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static

from core.clock import as_utc
from tui.active import leave
from tui.widgets.fit_table import FitDataTable

if TYPE_CHECKING:
    from core.queries.orders import OrderView

# The demo switch (command palette, `orderdesk buyer --simulate`): why a Send can fail.
SIMULATIONS = (None, "slow-network", "no-network", "system-error")
SIMULATION_TEXT = {
    None: "off",
    "slow-network": "slow network",
    "no-network": "no network",
    "system-error": "system error",
}

# Timeline events in the buyer's words.
EVENT_TEXT = {
    "placed": "Order placed",
    "paid": "Paid",
    "hold_ended": "Confirmed by the shop",
    "packed": "Packed by the seller",
    "handed_over": "Handed to the carrier",
    "delivered": "Delivered",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "cancellation_requested": "You asked the seller to cancel",
    "request_rejected": "The seller declined your cancellation request",
    "request_auto_approved": "Request approved: the seller did not answer in time",
    "delivery_refused": "You refused the delivery",
    "split": "Split into packages",
}


@dataclass(frozen=True)
class Next:
    """A screen's answer: the step the buyer chose, with the order (its ID, or the order
    as the screen last read it) and, from Your orders, the tab it was on."""

    step: str
    order_id: str | None = None
    order: OrderView | None = None
    tab: str | None = None


def when(text: str | None) -> str:
    """A stored ISO instant as the buyer reads it: 'Nov 20, 11:37' (UTC). Not parse_instant:
    that bounds what people type, and a deadline may lie a little past its last time."""
    if not text:
        return ""
    moment = as_utc(datetime.fromisoformat(text))
    return f"{moment:%b} {moment.day}, {moment:%H:%M}"


class BuyerScreen(Screen):
    """A screen of the buyer app. Escape goes back; ctrl+n switches the failure
    simulation (also in the command palette)."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="buyer.back", tooltip="Back one screen"),
        Binding("ctrl+n", "cycle_simulation", "Simulate failure", id="buyer.simulate", show=False,
                tooltip="Demo: make Send meet a slow network, no network or a system error, or not"),
    ]

    def __init__(self, identity: str):
        super().__init__()
        self.identity = identity

    def action_back(self) -> None:
        leave(self)

    def action_cycle_simulation(self) -> None:
        now = getattr(self.app, "simulate", None)
        following = SIMULATIONS[(SIMULATIONS.index(now) + 1) % len(SIMULATIONS)] if now in SIMULATIONS else None
        self.app.simulate = following
        self.app.notify(f"Failure simulation: {SIMULATION_TEXT[following]}.", title="Demo")
        self.simulation_changed()

    def simulation_changed(self) -> None:
        """Screens that show the simulation redraw here."""


class NavBar(Static):
    """The buyer app's bottom navigation bar: Home, Shop, Inbox, Profile."""

    DEFAULT_CSS = """
    NavBar { height: 1; background: $panel; }
    """

    def __init__(self, selected: str, unread: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.selected = selected
        self.unread = unread

    def render(self) -> Text:
        cells = []
        for name in ("Home", "Shop", "Inbox", "Profile"):
            label = f"{name} ({self.unread})" if name == "Inbox" and self.unread else name
            style = "bold reverse" if name == self.selected else "dim"
            cells.append((label, style))
        width = max(self.size.width, 40)
        each = width // len(cells)
        out = Text()
        for label, style in cells:
            out.append(label.center(each), style=style)
        return out

    def set_unread(self, unread: int) -> None:
        self.unread = unread
        self.refresh()


class MovingOptionList(OptionList):
    """An OptionList that also moves with j/k; Enter opens."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("enter", "select", "Open", id="list.open", tooltip="Open the highlighted entry"),
    ]


class MovingTable(FitDataTable):
    """A row-cursor table that also moves with j/k; Enter opens. Given columns, they fit
    its width (tui/widgets/fit_table.py)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("enter", "select_cursor", "Open", id="table.open", tooltip="Open the highlighted row"),
    ]
