"""`orderdesk` opens: pick an identity, see its orders, open one, come back, all by keys."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from sqlmodel import select
from textual.widgets import DataTable, OptionList, Static

from core.queries import board
from core.queries import orders as queries
from core.queries.cards import BoardFilter
from core.clock import parse_instant
from core.models import Order
from tests.tui.conftest import DEMO_NOW
from tests.waiting import settle_until, settled
from tui.app import OrderDeskApp
from tui.cli.base import main
from tui.screens.buyer_profile import BuyerProfileScreen
from tui.screens.launcher import LauncherScreen
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_order import SellerOrderScreen
from tui.widgets.card_list import CardList

SIZE = (100, 30)


def test_launcher_lists_every_shop_and_buyer_and_opens_orders_by_keys(demo_db):
    with demo_db.read() as session:
        shops, buyers = queries.shops(session), queries.buyers(session)
        first_shop = shops[0]
        to_ship = [card.id for card in board.page(session, BoardFilter(first_shop.id), limit=100,
                                                  now=parse_instant(DEMO_NOW))]

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)  # the launcher's list is read in a worker
            options = app.screen.query_one(OptionList)
            assert options.option_count == len(shops) + len(buyers)
            await pilot.press("enter")
            # a shop opens its To Ship board (issue 4): the To Ship orders, most urgent first
            assert isinstance(app.screen, SellerBoardScreen)
            cards = app.screen.query_one(CardList).cards
            assert [c.id for c in cards] == to_ship
            await pilot.press("d")
            assert isinstance(app.screen, SellerOrderScreen)
            await settled(pilot)
            text = str(app.screen.query_one("#order-head", Static).render())
            assert to_ship[0] in text
            await pilot.press("escape", "escape")
            assert app.screen.query_one(OptionList) is not None

    asyncio.run(drive())


def test_buyer_start_opens_that_buyers_orders(demo_db):
    with demo_db.read() as session:
        buyer = queries.buyers(session)[0].username
        own = queries.buyer_orders(session, buyer, now=parse_instant(DEMO_NOW))

    async def drive():
        app = OrderDeskApp(demo_db, role="buyer", identity=buyer)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            # issue 3: a buyer starts on their Profile; `o` opens Your orders (all tabs)
            from tui.screens.buyer_orders import BuyerOrdersScreen
            from tui.screens.buyer_profile import BuyerProfileScreen

            assert isinstance(app.screen, BuyerProfileScreen)
            await pilot.press("o")
            assert isinstance(app.screen, BuyerOrdersScreen)
            assert app.screen.query_one(DataTable).row_count == len(own)

    asyncio.run(drive())


def test_launcher_snapshot(demo_db, snap_compare):
    assert snap_compare(OrderDeskApp(demo_db), terminal_size=SIZE, run_before=settled)


def test_question_mark_lists_the_keys_of_the_screen(demo_db):
    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)  # the launcher's list is read in a worker
            await pilot.press("enter")  # the first shop's orders
            await pilot.press("question_mark")
            from tui.screens.help import HelpScreen
            assert isinstance(app.screen, HelpScreen)
            described = {row.description for row in app.screen.rows}
            assert {"Back", "Refresh", "Quit"} <= described
            await pilot.press("escape")
            assert isinstance(app.screen, SellerBoardScreen)

    asyncio.run(drive())


def test_the_command_palette_offers_the_screens_actions(demo_db):
    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)  # the launcher's list is read in a worker
            await pilot.press("enter")
            titles = {command.title for command in app.get_system_commands(app.screen)}
            assert {"Back", "Refresh"} <= titles

    asyncio.run(drive())


def test_a_change_made_elsewhere_shows_on_its_own(demo_db):
    """Another station packs an order: the open list shows it without a key press (the
    app looks for changes twice a second)."""
    from core import services
    from core.db import Database

    with demo_db.read() as session:
        shop = queries.shops(session)[0]
        order_id = session.exec(select(Order.id).where(Order.shop_id == shop.id, Order.status == "awaiting_shipment")
                                .order_by(Order.created_at.desc(), Order.id.desc())).first()
        view = queries.order_view(session, order_id, parse_instant(DEMO_NOW))
    other_station = Database(demo_db.url)

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)  # the launcher's list is read in a worker
            await pilot.press("enter")

            def status_shown():
                return {c.id: c.status for c in app.screen.query_one(CardList).cards}[order_id]

            assert status_shown() == "awaiting_shipment"
            for package in view["packages"]:
                if package["status"] == "awaiting_shipment":
                    assert services.pack(other_station, package["id"], now=parse_instant(DEMO_NOW)).ok
            await settle_until(pilot, lambda: status_shown() == "awaiting_collection", "the pack is shown")

    asyncio.run(drive())
    other_station.dispose()


@pytest.mark.parametrize("command, start", [
    (["seller", "--shop", "Lakehouse Home"], SellerBoardScreen),
    (["buyer", "--user", "aisha.johnson"], BuyerProfileScreen),
    (["seller"], SellerBoardScreen),
])
def test_the_command_lines_identity_is_kept_escape_never_reaches_the_launcher(demo_db, monkeypatch, command, start):
    """`orderdesk seller --shop X` / `buyer --user Y` open one identity's screens; the
    launcher (any shop or buyer) belongs to plain `orderdesk` and `orderdesk demo`."""
    apps = []
    monkeypatch.setattr(OrderDeskApp, "run", lambda self, *a, **kw: apps.append(self))
    assert main(["--database-url", demo_db.url, *command]) == 0
    [app] = apps

    async def drive():
        async with app.run_test(size=SIZE) as pilot:
            await settle_until(pilot, lambda: isinstance(app.screen, start), "the start screen")
            await settled(pilot)
            first = app.screen
            await pilot.press("o")  # a screen further (the buyer's orders; the seller's outbox)
            await settle_until(pilot, lambda: app.screen is not first, "a second screen")
            for _ in range(5):
                await pilot.press("escape")
                await pilot.pause()
            assert app.screen is first
            assert not any(isinstance(s, LauncherScreen) for s in app.screen_stack)

    asyncio.run(drive())


def test_plain_orderdesk_opens_the_launcher(demo_db, monkeypatch):
    apps = []
    monkeypatch.setattr(OrderDeskApp, "run", lambda self, *a, **kw: apps.append(self))
    assert main(["--database-url", demo_db.url]) == 0
    [app] = apps

    async def drive():
        async with app.run_test(size=SIZE) as pilot:
            await settle_until(pilot, lambda: isinstance(app.screen, LauncherScreen), "the launcher")

    asyncio.run(drive())


def test_boards_left_for_the_launcher_are_freed(demo_db):
    """A station opens a shop's board and goes back to the launcher all day: the boards it
    left go (tui.lazy.keep_loaded freezes the loaded code once, never a board left before)."""
    left = []

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            for _ in range(5):
                await pilot.press("enter")
                await settle_until(pilot, lambda: isinstance(app.screen, SellerBoardScreen), "the board")
                await settle_until(pilot, lambda: app.screen.flows_loaded, "the board's cards")
                await settled(pilot)
                left.append(weakref.ref(app.screen))
                await pilot.press("escape")
                await settle_until(pilot, lambda: isinstance(app.screen, LauncherScreen), "the launcher")
                await settled(pilot)
            gc.collect()
            alive = [ref() is not None for ref in left]
            # the first is kept frozen with the code, the last may still be Textual's: none between
            assert alive[1:-1] == [False] * (len(left) - 2), alive

    asyncio.run(drive())
