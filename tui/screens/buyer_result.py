"""Seed 000, step 6: what became of Send. Success (the order cancelled, the refund
and its breakdown, a confirmation in Inbox; or, for a request, the seller's
deadline), or "Cancellation of order failed" with what happened and the next step.

Why a Send can fail (seed 000), simulated on demand (`--simulate`, ctrl+n):
- slow network: the screen stops waiting (GIVE_UP_AFTER), and only then does the
  command reach the core (SLOW_NETWORK_DELAY after Send, by `app.slow_network`, which
  a walkthrough holds until its next step); the late answer is still shown. One
  worker does both in turn, so the screen gives up first however busy the machine;
- no network: the command never arrives; the screen stops waiting;
- system error: the core answers with a transient error.
Every retry runs the same command, built by the flow with this Send's idempotency
key, so the order is never cancelled twice. Until an answer comes, the text shows
Textual's loading indicator (from the Send on). The screen answers the next step the
buyer picks (`Next`); after a refusal it reads the order again, so that step (Contact
seller, Refuse delivery) starts from the order as it is now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from core.money import format_money
from core.results import Refusal, Success
from tui import work
from tui.active import leave
from tui.lazy import lazy_import
from tui.screens.buyer_common import SIMULATION_TEXT, BuyerScreen, Next, when
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.orders import OrderView

queries = lazy_import("core.queries.buyer")

GIVE_UP_AFTER = 2.0  # seconds the screen waits for an answer
SLOW_NETWORK_DELAY = 3.0  # a slow network's answer arrives this late
SYSTEM_ERROR_DELAY = 0.3  # how long a simulated system error takes to come back


class BuyerResultScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerResultScreen #result-body { height: 1fr; padding: 1 2; }
    BuyerResultScreen #result-title { text-style: bold; margin-bottom: 1; }
    BuyerResultScreen #result-title.ok { color: $success; }
    BuyerResultScreen #result-title.bad { color: $error; }
    BuyerResultScreen #result-title.wait { color: $warning; }
    """
    BINDINGS = [
        Binding("r", "retry", "Retry", id="buyer.result.retry",
                tooltip="Send again; the same cancellation, so it can never happen twice"),
        Binding("o", "orders", "Your orders", id="buyer.result.orders",
                tooltip="Your orders, on the tab where this order now is"),
        Binding("i", "inbox", "Inbox", id="buyer.result.inbox", tooltip="Your notifications"),
        Binding("b", "buy_again", "Buy again", id="buyer.result.buy_again",
                tooltip="A new order with these items; quantities and address editable"),
        Binding("s", "contact_seller", "Contact seller", id="buyer.result.contact_seller",
                tooltip="Ask the seller to cancel the packed order"),
        Binding("r", "refuse", "Refuse delivery", id="buyer.result.refuse",
                tooltip="Refuse the package when it arrives (affects your standing)"),
        Binding("ctrl+n", "cycle_simulation", "Simulate failure", id="buyer.simulate", show=False,
                tooltip="Demo: make Send meet a slow network, no network or a system error, or not"),
    ]

    def __init__(self, identity: str, order: OrderView, reason: str, purpose: str,
                 command: Callable[..., Success | Refusal]):
        """`command(db, now)`: this Send, the same for every retry."""
        super().__init__(identity)
        self.order, self.order_id, self.reason, self.purpose = order, order.id, reason, purpose
        self.command = command
        self.fresh = False  # the order read again after a refusal (the next step starts from it)
        self.state = "sending"  # sending | no_answer | system_error | done | failed
        self.attempts = 0
        self.mode_of: dict[int, str | None] = {}
        self.result: Success | None = None
        self.refusal: Refusal | None = None
        self.late = False
        self.title = "Cancellation" if purpose == "cancel" else "Contact seller"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="result-body"):
            yield Static(id="result-title")
            yield Static(id="result-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.send()

    # -- sending ---------------------------------------------------------------------
    def send(self) -> None:
        self.attempts += 1
        attempt, mode = self.attempts, getattr(self.app, "simulate", None)
        self.mode_of[attempt] = mode
        self.state = "sending"
        self.draw()
        # An app worker, so a late answer still lands after the buyer left this screen.
        self.app.run_worker(self.deliver(attempt, mode), group="buyer-send", exit_on_error=False)

    async def deliver(self, attempt: int, mode: str | None) -> None:
        if mode in ("slow-network", "no-network"):
            await asyncio.sleep(GIVE_UP_AFTER)
            self.give_up(attempt)  # the phone stops waiting for the network
            if mode == "no-network":
                return  # the request never left the phone
            await self.app.slow_network(SLOW_NETWORK_DELAY - GIVE_UP_AFTER)
        elif mode == "system-error":
            await asyncio.sleep(SYSTEM_ERROR_DELAY)
            self.answer(attempt, Refusal("system_error", "The shop's system had a temporary error."))
            return
        result = await work.perform(self.app, self.command)
        self.answer(attempt, result)

    def give_up(self, attempt: int) -> None:
        if self.state == "sending" and attempt == self.attempts:
            self.state = "no_answer"
            if self.is_attached:
                self.draw()

    def answer(self, attempt: int, result) -> None:
        if self.state == "done":
            return  # already shown; a retry's replay changes nothing
        if isinstance(result, Success):
            self.late = self.state != "sending" or attempt != self.attempts
            self.result, self.state = result, "done"
        elif result.code == "system_error":
            if attempt != self.attempts or self.state != "sending":
                return
            self.refusal, self.state = result, "system_error"
        else:
            self.refusal, self.state = result, "failed"
            if self.is_attached:  # the next step starts from the order as it is now
                work.read(self, partial(queries.order, order_id=self.order_id, app_version=self.app.app_version),
                          self.reread, key="buyer.result")
        if self.is_attached:
            self.draw()
        if self.app.screen is not self and isinstance(result, Success):
            what = "request to cancel" if self.purpose == "contact" else "cancellation of"
            self.app.notify(f"Your {what} order {self.order_id} went through after all.",
                            title="Late answer")

    def action_retry(self) -> None:
        if self.state in ("no_answer", "system_error"):
            self.send()

    def reread(self, order: OrderView | None) -> None:
        if order is not None:
            self.order, self.fresh = order, True
            self.refresh_bindings()

    # -- drawing ---------------------------------------------------------------------
    def draw(self) -> None:
        title, text = self.query_one("#result-title", Static), self.query_one("#result-text", Static)
        text.loading = self.state == "sending"
        title.set_classes("")
        out = Text()
        extra: list = []
        mode = self.mode_of.get(self.attempts)
        retry_note = ("Retrying is safe: it sends the same cancellation again, so your order can "
                      "never be cancelled twice.")
        if self.state == "sending":
            title.update("Sending…")
            title.add_class("wait")
            out.append("Your cancellation is on its way." if self.purpose == "cancel"
                       else "Your request is on its way to the seller.")
            if self.attempts > 1:
                out.append(f" (attempt {self.attempts})", style="dim")
        elif self.state == "no_answer":
            title.update("No answer yet")
            title.add_class("wait")
            if mode == "no-network":
                out.append("Your phone seems to be offline: the cancellation could not be sent.\n\n")
            else:
                out.append("The network is slow: no answer came in time. "
                           "It may still get through; if it does, you'll see it here.\n\n")
            out.append("Check your internet connection: turn Wi-Fi or mobile data off and on, or move "
                       "to a place with a steadier signal. Then press r to Retry.\n\n")
            out.append(retry_note, style="dim")
        elif self.state == "system_error":
            title.update("Cancellation of order failed")
            title.add_class("bad")
            out.append("Something went wrong on the shop's side. This is rare and passes on its own: "
                       "you don't need to change anything.\n\n")
            out.append("Wait a few minutes, then press r to Retry.\n\n")
            out.append(retry_note, style="dim")
        elif self.state == "failed":
            self.draw_failed(title, out)
        else:
            extra = self.draw_done(title, out)
        if mode and self.state != "done":
            out.append(f"\n\nDemo: failure simulation is on ({SIMULATION_TEXT[mode]}); ctrl+n changes it.",
                       style="dim italic")
        text.update(Group(out, *extra))
        self.refresh_bindings()

    def draw_failed(self, title: Static, out: Text) -> None:
        title.update("Cancellation of order failed")
        title.add_class("bad")
        message = self.refusal.message.removeprefix("Cancellation of order failed: ")
        out.append(message[:1].upper() + message[1:] + "\n\n")
        step = self.refusal.details.get("next_step")
        if step == "contact_seller":
            out.append("Next step: press s to contact the seller and ask them to cancel it.", style="bold")
        elif step == "refuse_delivery":
            out.append("Next step: the order is on its way; press r to refuse the delivery "
                       "(read the warning first).", style="bold")
        elif step == "update_app":
            out.append("Next step: update the app from your app store, then cancel again.", style="bold")
        else:
            out.append("Press Esc to see the order as it is now.", style="bold")

    def draw_done(self, title: Static, out: Text) -> list:
        """Success: what was cancelled and the refund, or the request and its deadline."""
        record, view = self.result.record, self.order
        cur = view.currency
        title.add_class("ok")
        extra: list = []
        if record["status"] == "request_pending":
            title.update("Cancellation requested")
            out.append(f"We asked {view.shop} to cancel order {self.order_id} "
                       f"({record['reason_text']}).\n\n")
            out.append(f"The seller must answer by {when(record['deadline_at'])} UTC. If they don't "
                       "answer by then, the order is cancelled and refunded for you; if they ship it "
                       "first, the request is declined. The answer comes to your Inbox.")
        else:
            title.update("Order cancelled")
            out.append(f"Order {self.order_id} from {view.shop} is cancelled "
                       f"({record['reason_text']}).\n")
            titles = view.titles()
            refund = Table.grid(padding=(0, 3))
            refund.add_column()
            refund.add_column(justify="right")
            refund.add_row(Text("Refund", style="bold"), "")
            for line in record["lines"]:
                refund.add_row(f"  {line['quantity']}× {titles.get(line['line_id'], line['line_id'])}",
                               format_money(line["refund_subtotal"], cur))
            r = record["refund"]
            refund.add_row("Items", format_money(r["subtotal"], cur))
            refund.add_row("Shipping", format_money(r["shipping"], cur))
            refund.add_row("Tax", format_money(r["tax"], cur))
            refund.add_row(Text("Total refund", style="bold"),
                           Text(format_money(r["total"], cur), style="bold"))
            extra.append(refund)
        note = Text()
        if self.late:
            note.append("\nThe answer arrived late, but it went through"
                        + (", once: your retry did not do it again.\n" if self.attempts > 1 else ".\n"),
                        style="yellow")
        elif self.result.replayed:
            note.append("\nYour earlier Send had already gone through; nothing was done twice.\n",
                        style="yellow")
        if record["status"] != "request_pending":
            note.append("\nThe refund goes back to your original payment method. A confirmation is "
                        "in your Inbox (i); the order is now in the Cancelled tab of Your orders (o).")
        extra.append(note)
        return extra

    def check_action(self, action: str, parameters) -> bool | None:
        step = self.refusal.details.get("next_step") if self.refusal else None
        cancelled = (self.state == "done" and self.result.record["status"] != "request_pending")
        return {
            "retry": self.state in ("no_answer", "system_error"),
            "orders": self.state == "done",
            "inbox": self.state == "done",
            "buy_again": cancelled,
            "contact_seller": self.state == "failed" and step == "contact_seller" and self.fresh,
            "refuse": self.state == "failed" and step == "refuse_delivery" and self.fresh,
        }.get(action, True)

    # -- next steps: answered to the flow ----------------------------------------------
    def action_orders(self) -> None:
        tab = "cancelled" if self.result.record["status"] != "request_pending" else "to_ship"
        leave(self, Next("orders", order_id=self.order_id, tab=tab))

    def action_inbox(self) -> None:
        leave(self, Next("inbox", order_id=self.order_id))

    def action_buy_again(self) -> None:
        leave(self, Next("buy_again", order_id=self.order_id, order=self.order))

    def action_contact_seller(self) -> None:
        leave(self, Next("contact", order_id=self.order_id, order=self.order))

    def action_refuse(self) -> None:
        leave(self, Next("refuse", order_id=self.order_id, order=self.order))
