"""The seller's To Ship board: tabs and counts, the filters, search, the scanner,
live changes (issue 4), on the demo data at the demo clock."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, Static

from core import services
from core.queries import board
from core.queries.cards import PAGE, BoardFilter
from core.clock import parse_instant
from core.db import Database
from tests.tui.conftest import DEMO_NOW
from tests.waiting import settle_until, settled
from tui.app import OrderDeskApp
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_order import SellerOrderScreen
from tui.widgets.card_list import CardList

SHOP = "Lakehouse Home"
SPLIT_ORDER = "576557467139907374"  # awaiting_shipment, one package awaiting_collection
SIZE = (120, 36)


def seller_app(db) -> OrderDeskApp:
    return OrderDeskApp(db, role="seller", identity=SHOP)


def core_page(db, **kw):
    with db.read() as session:
        shop = board.shop_by_name(session, SHOP)
        return [c.id for c in board.page(session, BoardFilter(shop.id, **kw), now=parse_instant(DEMO_NOW))]


def shown(app) -> list[str]:
    return [c.id for c in app.screen.query_one(CardList).cards]


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def test_the_board_opens_on_to_ship_with_counts_per_tab_and_status(demo_db):
    with demo_db.read() as session:
        shop = board.shop_by_name(session, SHOP)
        counts = board.counts(session, shop.id)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            assert isinstance(app.screen, SellerBoardScreen)
            tabs = text_of(app, "#tabs")
            assert tabs.index("To Ship") < tabs.index("Unpaid") < tabs.index("Shipped") \
                < tabs.index("Completed") < tabs.index("Cancelled") < tabs.index("All")
            assert f"To Ship {counts.by_tab['to_ship']}" in tabs
            assert f"All {counts.by_tab['all']}" in tabs
            filters = text_of(app, "#filters")
            assert f"Awaiting Shipment {counts.by_status['awaiting_shipment']}" in filters
            assert f"Awaiting Collection {counts.by_status['awaiting_collection']}" in filters
            assert shown(app) == core_page(demo_db)
            assert len(shown(app)) == counts.by_tab["to_ship"]

    asyncio.run(drive())


def test_status_filter_and_tabs_by_keys(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("t")
            assert shown(app) == core_page(demo_db, status="awaiting_shipment")
            await pilot.press("t")
            assert shown(app) == core_page(demo_db, status="awaiting_collection")
            await pilot.press("t")
            assert shown(app) == core_page(demo_db, status="partially_shipping")
            await pilot.press("t")
            assert shown(app) == core_page(demo_db, status="due_soon")
            await pilot.press("t")
            assert shown(app) == core_page(demo_db)
            await pilot.press("right")
            assert shown(app) == core_page(demo_db, tab="unpaid")
            await pilot.press("left", "left")
            assert shown(app) == core_page(demo_db, tab="all")
            assert "Order 1 of 23" in text_of(app, "#position")
            await pilot.press("]")  # the bracket keys too, as help lists them
            assert shown(app) == core_page(demo_db)
            await pilot.press("[")
            assert shown(app) == core_page(demo_db, tab="all")

    asyncio.run(drive())


def test_product_filter_keeps_orders_with_a_picked_sku(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("f")
            await pilot.press(*"jar")
            await pilot.press("down", "space", "enter")
            await pilot.pause()
            assert isinstance(app.screen, SellerBoardScreen)
            expected = core_page(demo_db, skus=frozenset({"LH-JAR-SET"}))
            assert expected and shown(app) == expected
            assert SPLIT_ORDER in expected
            for card in app.screen.query_one(CardList).cards:
                assert any(l.sku == "LH-JAR-SET" for p in card.packages for l in p.lines)
            assert "LH-JAR-SET" in text_of(app, "#products")

    asyncio.run(drive())


def test_typing_a_product_and_enter_filters_and_every_count_follows_the_filter(demo_db):
    """Nothing ticked: Enter applies what the typed text matches. Then the tabs, the
    statuses and "Order 1 of N" count only the orders the filter lets through."""
    jars = frozenset({"LH-JAR-SET"})
    to_ship, everything = core_page(demo_db, skus=jars), core_page(demo_db, tab="all", skus=jars)
    shipping = core_page(demo_db, status="awaiting_shipment", skus=jars)
    with demo_db.read() as session:
        all_orders = board.counts(session, board.shop_by_name(session, SHOP).id).by_tab["all"]
    assert 0 < len(to_ship) < len(everything) < min(all_orders, PAGE)  # each a whole page

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("f")
            await pilot.press(*"jar", "enter")
            await settle_until(pilot, lambda: isinstance(app.screen, SellerBoardScreen), "back on the board")
            await settle_until(pilot, lambda: f"All {len(everything)}" in text_of(app, "#tabs"),
                               "the tab counts of the filtered orders")
            assert shown(app) == to_ship
            assert "Products LH-JAR-SET" in text_of(app, "#products")
            assert f"To Ship {len(to_ship)}" in text_of(app, "#tabs")
            assert f"Awaiting Shipment {len(shipping)}" in text_of(app, "#filters")
            assert f"Order 1 of {len(to_ship)} · most urgent first" in text_of(app, "#position")
            await pilot.press("f", "ctrl+r", "ctrl+s")  # all products again: all the counts again
            await settle_until(pilot, lambda: f"All {all_orders}" in text_of(app, "#tabs"),
                               "the shop's counts")
            assert "Products all" in text_of(app, "#products")

    asyncio.run(drive())


def test_typed_text_that_matches_no_product_applies_nothing_and_says_so(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("f")
            await pilot.press(*"zzz", "enter")
            await pilot.pause()
            assert not isinstance(app.screen, SellerBoardScreen)
            assert any("No product matches 'zzz'" in n.message for n in app._notifications)

    asyncio.run(drive())


def test_search_by_id_suffix_buyer_and_tracking_number(demo_db):
    with demo_db.read() as session:
        view = board.load_cards(session, [SPLIT_ORDER])[0]
    tracking = next(p.tracking_number for p in view.packages if p.tracking_number)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("slash", *SPLIT_ORDER[-6:])
            await pilot.pause()
            assert shown(app) == [SPLIT_ORDER]
            await pilot.press("escape")
            await pilot.press("slash", *"derek")
            await pilot.pause()
            assert shown(app) and all(c.buyer == "derek.w" for c in app.screen.query_one(CardList).cards)
            await pilot.press("escape")
            await pilot.press("slash", *tracking)
            await pilot.pause()
            assert shown(app) == [SPLIT_ORDER]
            await pilot.press("escape")
            assert shown(app) == core_page(demo_db)

    asyncio.run(drive())


def test_the_scanner_opens_the_order_whatever_has_focus(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            # focus on the cards
            await pilot.press(*SPLIT_ORDER, "enter")
            await pilot.pause()
            assert isinstance(app.screen, SellerOrderScreen)
            assert app.screen.order_id == SPLIT_ORDER
            await pilot.press("escape")
            # focus in the search box, with something typed already
            await pilot.press("slash", *"der", *SPLIT_ORDER, "enter")
            await pilot.pause()
            assert isinstance(app.screen, SellerOrderScreen)
            assert app.screen.order_id == SPLIT_ORDER
            await pilot.press("escape")
            assert app.screen.query_one("#search", Input).value == ""  # ready for the next scan
            # an order of another shop is not opened
            await pilot.press("escape")
            await pilot.press(*"576851466703227585", "enter")
            await pilot.pause()
            assert isinstance(app.screen, SellerBoardScreen)

    asyncio.run(drive())


def test_a_change_made_at_another_station_shows_on_its_own(demo_db):
    """Without a key press (the app looks for changes twice a second)."""
    other_station = Database(demo_db.url)
    now = parse_instant(DEMO_NOW)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cards = app.screen.query_one(CardList)
            n, first = next((n, c) for n, c in enumerate(cards.cards) if c.status == "awaiting_shipment")
            assert services.pack(other_station, first.packages[0].id, now=now).ok
            await settle_until(pilot, lambda: cards.cards[n].status == "awaiting_collection", "the pack is shown")
            assert cards.cards[n].id == first.id  # the same place: packing moves no deadline of its
            assert cards.cards[n].status == "awaiting_collection"
            assert "Awaiting Collection 5" in text_of(app, "#filters")

    asyncio.run(drive())
    other_station.dispose()


def test_the_card_list_pages_by_keyset_and_never_holds_every_order(tmp_path, monkeypatch):
    """Beyond one page the list loads the next page from SQL as the cursor nears
    the end, and drops pages behind it past the window."""
    from datetime import UTC, datetime

    from core import synthetic
    from tui.widgets import card_list

    monkeypatch.setenv("ORDERDESK_NOW", DEMO_NOW)
    db = Database(f"sqlite:///{tmp_path / 'many.db'}")
    synthetic.generate(db, 3000, seed=1, now=datetime(2026, 11, 20, 12, tzinfo=UTC), workers=0)
    with db.read() as session:
        from core.queries import orders as queries
        shop = queries.shops(session)[0]
        total = board.counts(session, shop.id).by_tab["all"]
        everything = [k[1] for k in board.page_keys(session, BoardFilter(shop.id, "all"), limit=total)]

    async def drive():
        app = OrderDeskApp(db, role="seller", identity=shop.name, watch=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settled(pilot)
            await pilot.press("left")  # All
            cards = app.screen.query_one(CardList)
            seen = [cards.current.id]
            for _ in range(card_list.MAX_CARDS + 40):
                await pilot.press("down")
                seen.append(cards.current.id)
                assert len(cards.cards) <= card_list.MAX_CARDS
            assert seen == everything[:len(seen)]
            assert cards.first_index > 0
            for _ in range(card_list.MAX_CARDS + 40):
                await pilot.press("up")
            assert cards.current.id == everything[0]

    asyncio.run(drive())
    db.dispose()
