"""The buyer's journey (seed 000) as one flow: Profile → ≡ menu → Settings and Privacy →
Your orders → an order → Cancel → reason → Send → what became of it; and from an order,
Contact seller, Refuse delivery and Buy again; from the Profile, the Inbox.

Each screen only answers (`tui.active.leave(self, answer)`); this module decides which
screen comes next, and builds the commands the screens run (they import no
`core.services`). The Profile starts the flow with the place a key chose (`start`); the
flow ends when the buyer is back on the Profile.

Decisions the spec leaves open:
- One screen at a time above the Profile: a screen is gone once it has answered, and
  going back shows the screen before it anew, drawn at once from what it last read (the
  flow hands it back) and then read again; so Your orders keeps its tab and its row.
- "Your orders" (o) and "Inbox" (i) on a Send's result go back to the nearest Your
  orders or Inbox on the way here (the `Jump` below), or open one over the Profile.
- Your orders, an order and the Inbox are read by the flow before their screen is
  asked (`tui.work.fetch`), so each comes up whole and the keys typed ahead of it (held
  meanwhile, `tui.work.hold`) act on what it shows; the screens read again on their
  own when the data changes. The other screens need nothing more than the order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from tui import work
from tui.lazy import lazy_import
from tui.screens.buyer_buy_again import BuyerBuyAgainScreen
from tui.screens.buyer_common import Next
from tui.screens.buyer_inbox import BuyerInboxScreen
from tui.screens.buyer_order import BuyerOrderScreen
from tui.screens.buyer_orders import BuyerOrdersScreen
from tui.screens.buyer_reason import BuyerReasonScreen
from tui.screens.buyer_refuse import BuyerRefuseScreen
from tui.screens.buyer_result import BuyerResultScreen
from tui.screens.buyer_settings import BuyerSettingsScreen

if TYPE_CHECKING:
    from core.db import Database
    from core.queries.orders import OrderView

queries = lazy_import("core.queries.buyer")
services = lazy_import("core.services")

Command = Callable[["Database", Any], Any]  # command(db, now) -> Success | Refusal
PLACES = ("menu", "orders", "inbox", "order")  # where a journey starts (the Profile's keys; an order)


class Jump(Exception):
    """Back to the nearest Your orders (on `tab`, the cursor on `order_id`) or Inbox on
    the way here."""

    def __init__(self, place: str, tab: str = "all", order_id: str | None = None):
        super().__init__(place)
        self.place, self.tab, self.order_id = place, tab, order_id


def start(profile, identity: str, place: str, *, order_id: str | None = None):
    """The journey from the Profile to `place` (one of PLACES; "order": `order_id`), as a
    flow worker of the Profile (it ends with it)."""
    return work.flow(profile, BuyerJourney(profile.app, identity).run(place, order_id=order_id), name="buyer")


class BuyerJourney:
    def __init__(self, app, identity: str):
        self.app, self.identity = app, identity

    async def ask(self, screen):
        return await work.ask(self.app, screen)

    async def read(self, query, **arguments):
        """`query(session, now, **arguments)` off the UI thread."""
        return await work.fetch(self.app, partial(query, **arguments))

    async def run(self, place: str, tab: str = "all", order_id: str | None = None) -> None:
        while place is not None:
            try:
                if place == "menu":
                    await self.settings()
                elif place == "orders":
                    await self.your_orders(tab, order_id)
                elif place == "order":
                    await self.order(order_id)
                else:
                    await self.inbox()
                place = None
            except Jump as jump:  # no Your orders or Inbox on the way: open it over the Profile
                place, tab, order_id = jump.place, jump.tab, jump.order_id

    # -- places ---------------------------------------------------------------------------
    async def settings(self) -> None:
        while await self.ask(BuyerSettingsScreen(self.identity)) == "orders":
            await self.your_orders()

    async def your_orders(self, tab: str = "all", selected: str | None = None) -> None:
        while True:
            orders = await self.read(queries.your_orders, username=self.identity)
            answer: Next | None = await self.ask(BuyerOrdersScreen(self.identity, tab, selected=selected,
                                                                   orders=orders))
            if answer is None:
                return
            tab, selected = answer.tab, answer.order_id
            try:
                await self.order(selected)
            except Jump as jump:
                if jump.place != "orders":
                    raise
                tab, selected = jump.tab, jump.order_id

    async def inbox(self) -> None:
        while (order_id := await self.ask(BuyerInboxScreen(
                self.identity, await self.read(queries.inbox, username=self.identity), self.mark_read))) is not None:
            try:
                await self.order(order_id)
            except Jump as jump:
                if jump.place != "inbox":
                    raise

    async def order(self, order_id: str) -> None:
        while True:
            seen = await self.read(queries.order, order_id=order_id, app_version=self.app.app_version)
            screen = BuyerOrderScreen(self.identity, order_id, seen)
            answer: Next | None = await self.ask(screen)
            seen = screen.view  # as the buyer last saw it
            if answer is None or seen is None:
                return
            if answer.step in ("cancel", "contact"):
                await self.cancel(seen, answer.step)
            elif answer.step == "refuse":
                await self.refuse(seen)
            elif answer.step == "buy_again":
                await self.buy_again(seen)

    # -- the ways to cancel ---------------------------------------------------------------
    async def cancel(self, order: OrderView, purpose: str) -> None:
        """Reason → Send → what became of it, and the next step it offers."""
        while True:
            reason = await self.ask(BuyerReasonScreen(self.identity, order, purpose))
            if reason is None:
                return
            answer: Next | None = await self.ask(BuyerResultScreen(
                self.identity, order, reason, purpose, self.send(order, reason, purpose)))
            if answer is None:
                return
            if answer.step in ("orders", "inbox"):
                raise Jump(answer.step, answer.tab or "all", answer.order_id)
            if answer.step == "contact":
                order, purpose = answer.order, "contact"
                continue
            if answer.step == "refuse":
                await self.refuse(answer.order)
            elif answer.step == "buy_again":
                await self.buy_again(answer.order)
            return

    async def refuse(self, order: OrderView) -> None:
        await self.ask(BuyerRefuseScreen(self.identity, order, self.refuse_package))

    async def buy_again(self, order: OrderView) -> None:
        placed = await self.ask(BuyerBuyAgainScreen(self.identity, order, self.place_again(order)))
        if placed is not None:
            await self.order(placed)

    # -- the commands the screens run (core.services, off the UI thread) -------------------
    def send(self, order: OrderView, reason: str, purpose: str) -> Command:
        """This Send: one idempotency key for it and every retry, so it never happens twice;
        the order's version as the buyer saw it, so a change meanwhile is refused."""
        key, user = f"buyer-{uuid.uuid4().hex}", self.identity
        if purpose == "contact":
            act, extra = services.request_cancellation, {}
        else:
            act, extra = services.buyer_cancel, {"app_version": self.app.app_version}

        def command(db, now):
            return act(db, order.id, reason, now=now, user=user, idempotency_key=key,
                       expected_version=order.version, **extra)

        return command

    def refuse_package(self, package_id: str) -> Command:
        refuse, user = services.refuse_delivery, self.identity
        return lambda db, now: refuse(db, package_id, now=now, user=user)

    def mark_read(self, notice_id: int) -> Command:
        mark, user = services.mark_read, self.identity
        return lambda db, now: mark(db, notice_id, now=now, user=user)

    def place_again(self, order: OrderView) -> Callable[[dict[str, int], str | None], Command]:
        buy_again, user = services.buy_again, self.identity

        def place(quantities: dict[str, int], address: str | None) -> Command:
            return lambda db, now: buy_again(db, order.id, now=now, user=user,
                                             quantities=quantities, address=address)

        return place
