"""The buyer's side of issue 17: a partial cancellation is told as what it did, a refused
delivery and a partly shipped order are no dead ends, and reading the Inbox brings its
count down."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from core import services
from core.models import Buyer, Notification
from core.queries import orders as queries
from tests.tui.test_buyer_journey import BUYER, NOW, buyer_app, open_order, order_in, screen_text
from tests.waiting import settle_until, settled
from tui.screens.buyer_common import NavBar
from tui.screens.buyer_inbox import BuyerInboxScreen
from tui.screens.buyer_profile import BuyerProfileScreen
from tui.screens.buyer_reason import BuyerReasonScreen

SIZE = (100, 40)


def unread(db, user: str = BUYER) -> int:
    with db.read() as session:
        return sum(1 for n in session.exec(select(Notification)).all()
                   if n.read_at is None and n.buyer_id == buyer_id(session, user))


def buyer_id(session, user: str) -> int:
    return session.exec(select(Buyer.id).where(Buyer.username == user)).one()


def test_a_partial_cancellation_is_told_as_what_it_did_in_the_buyers_timeline(demo_db):
    order = order_in(demo_db, "awaiting_shipment")
    line = next(l for l in order["lines"] if l["quantity"] > 1 or len(order["lines"]) > 1)
    assert services.seller_cancel(demo_db, order["id"], "out_of_stock", now=NOW, items={line["id"]: 1}).ok
    left = sum(l["quantity"] - l["cancelled_quantity"] for l in order["lines"]) - 1

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await settled(pilot)
            text = screen_text(app)
            assert f"1 item cancelled, {left} still to ship" in text
            assert "Cancelled\n" not in text

    asyncio.run(drive())


def test_after_refusing_the_delivery_the_order_says_so_not_nothing_to_refuse_yet(demo_db):
    order = order_in(demo_db, "in_transit")
    [package] = [p for p in order["packages"] if p["status"] == "in_transit"][:1]
    assert services.refuse_delivery(demo_db, package["id"], now=NOW, user=BUYER).ok

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await settled(pilot)
            text = " ".join(screen_text(app).split())
            assert f"You refused the delivery of package {package['id']}" in text
            assert "nothing to refuse yet" not in text and "with the carrier" not in text

    asyncio.run(drive())


def test_a_partly_delivered_order_offers_contact_seller_for_the_package_not_collected(demo_db):
    """One package delivered, one not shipped (the demo has one): the buyer can ask the
    seller about that one, where there used to be nothing to do."""
    with demo_db.read() as session:
        order = next(o for o in queries.buyer_orders(session, BUYER, "all", now=NOW, limit=1000)
                     if o["status"] == "partially_shipping"
                     and not any(p["status"] == "in_transit" for p in o["packages"]))
    waiting = [p for p in order["packages"] if p["status"] in ("awaiting_shipment", "awaiting_collection")]

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await settled(pilot)
            text = " ".join(screen_text(app).split())
            assert f"Package {waiting[0]['id']} hasn't been collected yet" in text
            assert "Press s to contact the seller" in text
            assert app.screen.check_action("contact_seller", ()) is True
            await pilot.press("s")
            await settle_until(pilot, lambda: isinstance(app.screen, BuyerReasonScreen), "the reasons")

    asyncio.run(drive())


def test_reading_the_inbox_brings_its_count_down(demo_db):
    for status in ("on_hold", "awaiting_shipment"):  # two more messages: the shop cancels two orders
        assert services.seller_cancel(demo_db, order_in(demo_db, status)["id"], "pricing_error", now=NOW).ok
    before = unread(demo_db)
    assert before >= 3

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            assert isinstance(app.screen, BuyerProfileScreen)
            assert app.screen.query_one(NavBar).unread == before
            await pilot.press("i")
            await settle_until(pilot, lambda: isinstance(app.screen, BuyerInboxScreen), "the Inbox")
            await settle_until(pilot, lambda: unread(demo_db) == before - 1, "the first message marked read")
            await pilot.press("down")
            await settle_until(pilot, lambda: unread(demo_db) == before - 2, "the second message marked read")
            await settled(pilot)
            assert app.screen.query_one(NavBar).unread == before - 2
            assert f"Inbox ({before - 2})" in str(app.screen.query_one(NavBar).render())
            await pilot.press("escape")
            await settle_until(pilot, lambda: isinstance(app.screen, BuyerProfileScreen), "the Profile")
            await settle_until(pilot, lambda: app.screen.query_one(NavBar).unread == before - 2,
                               "the Profile's count down too")

    asyncio.run(drive())
