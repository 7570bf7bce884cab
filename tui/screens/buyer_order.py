"""Seed 000, step 4: one order as its buyer sees it: status, items, packages and
tracking, amounts, the timeline, and at the bottom the Cancel order section.

The Cancel order section shows the order's `buyer_cancel` verdict for this app's
version (decided in core.queries by core.rules): enabled, or disabled with the reason
and the way out (Contact seller, Refuse delivery, update the app, Buy again). The
screen decides nothing itself: its keys answer the step (`Next`) for the flow.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from core import words
from core.money import format_money
from tui import work
from tui.active import leave
from tui.lazy import lazy_import
from tui.screens.buyer_common import EVENT_TEXT, BuyerScreen, Next, when
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.orders import OrderView

queries = lazy_import("core.queries.buyer")

WAY_OUT = {  # each way out the buyer has now (rules.buyer_actions): the key that takes it
    "request_cancel": "Press s to contact the seller and ask them to cancel it.",
    "refuse_delivery": "Press r to refuse the delivery (read the warning first).",
    "buy_again": "Press b to buy the items again.",
}


class BuyerOrderScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerOrderScreen #order-body { height: 1fr; padding: 0 1; }
    BuyerOrderScreen #order-body > Static { margin-bottom: 1; }
    BuyerOrderScreen #cancel-section {
        height: auto; max-height: 8; padding: 0 1;
        border-top: solid $primary; background: $boost;
    }
    BuyerOrderScreen #cancel-section.disabled { border-top: solid $warning; }
    """
    BINDINGS = [
        Binding("c", "cancel", "Cancel order", id="buyer.order.cancel",
                tooltip="Cancel this order: pick a reason, then Send"),
        Binding("s", "contact_seller", "Contact seller", id="buyer.order.contact_seller",
                tooltip="Ask the seller to cancel a packed order"),
        Binding("r", "refuse", "Refuse delivery", id="buyer.order.refuse",
                tooltip="Refuse a package that is on its way (affects your standing)"),
        Binding("b", "buy_again", "Buy again", id="buyer.order.buy_again",
                tooltip="A new order with these items; quantities and address editable"),
        Binding("j", "scroll('down')", "Down", id="buyer.order.down", show=False),
        Binding("k", "scroll('up')", "Up", id="buyer.order.up", show=False),
    ]

    def __init__(self, identity: str, order_id: str, seen: OrderView | None):
        """`seen`: the order as the flow read it (None: there is no such order)."""
        super().__init__(identity)
        self.order_id = order_id
        self.view = seen
        self.title = "Order"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="order-body"):
            yield Static(id="order-status")
            yield Static(id="order-items")
            yield Static(id="order-packages")
            yield Static(id="order-amounts")
            yield Static(id="order-timeline")
        yield Static(id="cancel-section")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show(self.view)
        self.query_one("#order-body").focus()

    def on_data_changed(self, message) -> None:
        self.reload()

    # -- reading -----------------------------------------------------------------
    def reload(self) -> None:
        work.read(self, partial(queries.order, order_id=self.order_id, app_version=self.app.app_version),
                  self.show, key="buyer.order")

    def show(self, view: OrderView | None) -> None:
        if view is None:
            self.view = None
            self.query_one("#order-status", Static).update(f"There is no order {self.order_id}.")
        elif view != self.view or not self.is_mounted:
            self.view = view
            self.draw()
        self.refresh_bindings()

    @property
    def buyer_actions(self) -> tuple[str, ...]:
        return self.view.actions.buyer if self.view else ()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "cancel":
            return True if self.view and self.view.buyer_cancel.allowed else None  # shown, greyed out
        if action == "contact_seller":
            return "request_cancel" in self.buyer_actions
        if action == "refuse":
            return "refuse_delivery" in self.buyer_actions
        if action == "buy_again":
            return "buy_again" in self.buyer_actions
        return True

    # -- drawing -----------------------------------------------------------------
    def draw(self) -> None:
        o, cur = self.view, self.view.currency
        money = lambda minor: format_money(minor, cur)  # noqa: E731
        head = Text()
        head.append(o.status_text, style="bold")
        if o.pending_request:
            head.append(" · cancellation requested", style="bold yellow")
        head.append(f"\nOrder {o.id} · {o.shop} · placed {when(o.created_at)}", style="dim")
        head.append(f"\nShip to {o.recipient}, {o.address}", style="dim")
        self.query_one("#order-status", Static).update(head)

        items = Table.grid(padding=(0, 2), expand=True)
        items.add_column(ratio=1)
        items.add_column(justify="right")
        items.add_column(justify="right")
        items.add_row(Text("Items", style="bold"), "", "")
        for line in o.lines:
            title = Text(f"{line.quantity}× {line.title}")
            if line.cancelled_quantity:
                title.append(f"  ({line.cancelled_quantity} cancelled)", style="dim")
            items.add_row(title, Text(line.sku, style="dim"), money(line.paid))
        self.query_one("#order-items", Static).update(items)

        packages = Text()
        packages.append("Packages and tracking", style="bold")
        titles = o.titles()
        for n, package in enumerate(o.packages, start=1):
            tracking = package.tracking_number or (
                "" if package.status == "cancelled" else "no tracking number yet")
            packages.append(f"\n  Package {n}: {package.status_text}"
                            + (f" · tracking {tracking}" if package.tracking_number else
                               f" · {tracking}" if tracking else ""))
            names = ", ".join(titles[i] for i in package.line_ids)
            packages.append(f"\n    {names}", style="dim")
        self.query_one("#order-packages", Static).update(packages)

        t = o.totals
        amounts = Table.grid(padding=(0, 2))
        amounts.add_column()
        amounts.add_column(justify="right")
        amounts.add_row(Text("Amounts", style="bold"), "")
        amounts.add_row("Items", money(t.subtotal))
        amounts.add_row("Shipping", money(t.shipping))
        amounts.add_row("Tax", money(t.tax))
        amounts.add_row(Text("Total", style="bold"), Text(money(t.total), style="bold"))
        if t.refunded:
            amounts.add_row("Refunded", money(t.refunded))
        self.query_one("#order-amounts", Static).update(amounts)

        timeline = Text()
        timeline.append("Timeline", style="bold")
        for event in o.timeline:
            said = (words.cancelled_event_words(dict(event.detail)) if event.kind == "cancelled"
                    else EVENT_TEXT.get(event.kind, event.kind))  # what it did: "2 items cancelled, 3 still to ship"
            timeline.append(f"\n  {when(event.at):<13} {said}")
        for c in o.cancellations:
            if c.status == "closed" and c.reject_reason:
                timeline.append(f"\n  Your request was declined: {c.reject_reason_text}", style="yellow")
        self.query_one("#order-timeline", Static).update(timeline)

        self.draw_cancel_section()

    def draw_cancel_section(self) -> None:
        o, verdict = self.view, self.view.buyer_cancel
        section = self.query_one("#cancel-section", Static)
        out = Text()
        pending = o.pending_request
        if pending:
            out.append("Cancel order · requested\n", style="bold yellow")
            out.append(f"You asked the seller to cancel ({pending.reason_text}). They must answer by "
                       f"{when(pending.deadline_at)} UTC; if they don't, it is cancelled for you.")
            section.set_class(True, "disabled")
        elif verdict.allowed:
            out.append("Cancel order", style="bold")
            out.append("   press c: pick a reason, then Send\n", style="dim")
            if verdict.mode == "request":
                out.append("It is past the time this shop cancels orders on its own, so your cancel "
                           "goes to the seller as a request they answer.")
            else:
                out.append("This order isn't packed yet, so it is cancelled at once and refunded.")
            section.set_class(False, "disabled")
        else:
            out.append("Cancel order · not available\n", style="bold")
            if verdict.why_not:
                out.append(verdict.why_not)
            for action, way in WAY_OUT.items():  # every way out the order offers now (rules.buyer_actions)
                if action in self.buyer_actions:
                    out.append("\n" + way, style="bold")
            section.set_class(True, "disabled")
        section.update(out)

    # -- actions -------------------------------------------------------------------
    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#order-body", VerticalScroll)
        (body.scroll_down if direction == "down" else body.scroll_up)(animate=False)

    def answer(self, step: str) -> None:
        if self.view is not None:
            leave(self, Next(step, order_id=self.order_id, order=self.view))

    def action_cancel(self) -> None:
        if self.view and self.view.buyer_cancel.allowed:
            self.answer("cancel")

    def action_contact_seller(self) -> None:
        self.answer("contact")

    def action_refuse(self) -> None:
        self.answer("refuse")

    def action_buy_again(self) -> None:
        self.answer("buy_again")
