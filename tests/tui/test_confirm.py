"""Confirm what can't be undone (issue 15): approving a buyer's request shows the refund and
asks first; receiving a refused package back and marking a package delivered are keys in the
app (the order screen, the action menu), asked first too. Escape changes nothing (every row
of every table compared); Enter does what the command line's command does, with the figure shown."""

from __future__ import annotations

import asyncio

from sqlmodel import select
from textual.widgets import OptionList

from core import services
from core.clock import parse_instant
from core.models import Cancellation, Order, Package
from core.money import format_money
from core.queries.requests import requests
from tests.databases import dump
from tests.tui.conftest import DEMO_NOW
from tests.tui.test_seller_board import SHOP, SIZE, seller_app
from tests.tui.test_seller_board import shown as shown_ids
from tests.tui.test_seller_packing import cursor_to
from tests.waiting import settle_until, settled
from tui.screens.confirm import ConfirmScreen
from tui.walkthroughs.player import screen_text
from tui.screens.seller_actions import ActionMenuScreen
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_order import SellerOrderScreen
from tui.screens.seller_requests import SellerRequestsScreen

IN_TRANSIT = ("576555260376832791", "115458273572272205")  # Lakehouse Home: order, its package
DELIVERING = ("576948194787627186", "115124844278797296")


def refund_of(db, order_id: str) -> int:
    with db.read() as session:
        return sum(c.refund_total for c in session.exec(
            select(Cancellation).where(Cancellation.order_id == order_id,
                                       Cancellation.status.in_(("success", "complete")))))


async def menu_choice(pilot, action: str) -> tuple[str, ...]:
    """Open the card's action menu and highlight `action`; the key that chooses it."""
    await pilot.press("enter")
    await settle_until(pilot, lambda: isinstance(pilot.app.screen, ActionMenuScreen), "the action menu")
    menu = pilot.app.screen.query_one(OptionList)
    menu.highlighted = [menu.get_option_at_index(i).id for i in range(menu.option_count)].index(action)
    return ("enter",)


async def ask(pilot, *keys: str) -> str:
    """Press `keys`; the confirmation they lead to, as read."""
    await pilot.press(*keys)
    await settle_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the confirmation")
    await settle_until(pilot, lambda: "Escape back, nothing changes" in screen_text(pilot.app), "it drawn")
    return screen_text(pilot.app)


def test_approving_a_request_shows_the_refund_and_escape_changes_nothing(demo_db):
    with demo_db.read() as session:
        request = requests(session, shop=SHOP)[0]
    before = dump(demo_db.url)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            shown = await ask(pilot, "r", "a")
            assert f"Approve the cancellation of order {request.order_id}?" in shown
            assert request.reason_text in shown and "Refund total" in shown
            await pilot.press("escape")
            await settled(pilot)
            assert isinstance(app.screen, SellerRequestsScreen)
            assert dump(demo_db.url) == before  # nothing changed
            shown = await ask(pilot, "a")
            await pilot.press("enter")
            await settled(pilot)
            return shown

    shown = asyncio.run(drive())
    with demo_db.read() as session:
        assert session.get(Order, request.order_id).status == "cancelled"
        assert session.get(Cancellation, request.id).status == "success"
    refunded = format_money(refund_of(demo_db, request.order_id))
    assert f"Refund total  {refunded}" in shown and f"approve and refund {refunded}" in shown


def test_receiving_a_refused_package_back_from_the_order_screen(demo_db):
    order_id, package_id = IN_TRANSIT
    assert services.refuse_delivery(demo_db, package_id, now=parse_instant(DEMO_NOW)).ok  # at the buyer's door
    before = dump(demo_db.url)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press(*order_id, "enter")  # scanned: the order screen
            await settle_until(pilot, lambda: isinstance(app.screen, SellerOrderScreen), "the order")
            shown = await ask(pilot, "r")
            assert f"Receive package {package_id} back?" in shown and "restocked" in shown
            await pilot.press("escape")
            await settled(pilot)
            assert isinstance(app.screen, SellerOrderScreen)
            assert dump(demo_db.url) == before
            shown = await ask(pilot, "r")
            await pilot.press("enter")
            await settled(pilot)
            assert isinstance(app.screen, SellerOrderScreen)  # back on the order, which says so
            return shown

    shown = asyncio.run(drive())
    with demo_db.read() as session:
        assert session.get(Package, package_id).status == "cancelled"
        reason = session.exec(select(Cancellation.reason).where(Cancellation.package_id == package_id)).one()
    assert reason == "package_rejected"
    refunded = format_money(refund_of(demo_db, order_id))
    assert f"Refund total  {refunded}" in shown and f"receive and refund {refunded}" in shown


def test_marking_a_package_delivered_from_the_action_menu(demo_db):
    order_id, package_id = DELIVERING
    before = dump(demo_db.url)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("right", "right")  # the Shipped tab
            await settle_until(pilot, lambda: order_id in shown_ids(app), "the order on the Shipped tab")
            cursor_to(app, order_id)
            shown = await ask(pilot, *await menu_choice(pilot, "deliver"))
            assert f"Mark package {package_id} delivered?" in shown and "can't be undone" in shown
            await pilot.press("escape")
            await settled(pilot)
            assert isinstance(app.screen, SellerBoardScreen)
            assert dump(demo_db.url) == before
            await ask(pilot, *await menu_choice(pilot, "deliver"))
            await pilot.press("enter")
            await settled(pilot)

    asyncio.run(drive())
    with demo_db.read() as session:
        assert session.get(Package, package_id).status == "delivered"
        assert session.get(Order, order_id).status == "delivered"
