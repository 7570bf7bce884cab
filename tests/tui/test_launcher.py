"""`orderdesk` opens: pick an identity, see its orders, open one, come back, all by keys."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, OptionList, Static

from core import queries
from core.clock import parse_instant
from tests.tui.conftest import DEMO_NOW
from tui.app import OrderDeskApp
from tui.screens.order import OrderScreen
from tui.screens.orders import OrdersScreen

SIZE = (100, 30)


def test_launcher_lists_every_shop_and_buyer_and_opens_orders_by_keys(demo_db):
    with demo_db.read() as session:
        shops, buyers = queries.shops(session), queries.buyers(session)
        first_shop = shops[0]
        shop_orders = queries.board_page(session, first_shop.id, limit=100).rows

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            options = app.screen.query_one(OptionList)
            assert options.option_count == len(shops) + len(buyers)
            await pilot.press("enter")
            assert isinstance(app.screen, OrdersScreen)
            table = app.screen.query_one(DataTable)
            assert table.row_count == len(shop_orders)
            await pilot.press("enter")
            assert isinstance(app.screen, OrderScreen)
            text = str(app.screen.query_one("#order-text", Static).render())
            assert shop_orders[0]["id"] in text
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
            await pilot.pause()
            assert isinstance(app.screen, OrdersScreen)
            assert app.screen.query_one(DataTable).row_count == len(own)

    asyncio.run(drive())


def test_launcher_snapshot(demo_db, snap_compare):
    assert snap_compare(OrderDeskApp(demo_db), terminal_size=SIZE)
