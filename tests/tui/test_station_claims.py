"""Two packing stations on one database (issue 15, "stations that don't collide"): Station 2
opens a package to pack it (its claim); Station 1's board says "being packed at Station 2"
on that card within the watcher's second, Station 1's Pack is refused with a takeover
question, Escape leaves it to Station 2, Enter takes it over: its pack check opens, and it
packs it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from core import services
from core.clock import parse_instant
from core.db import Database
from core.models import OrderEvent, PackageClaim
from tests.tui.test_seller_board import SHOP, SIZE
from tests.tui.test_seller_packing import ONE_PACKAGE_ORDER, cursor_to, snap
from tests.waiting import settle_until, settled
from tui import work
from tui.app import OrderDeskApp
from tui.flows import claims
from tui.screens.confirm import ConfirmScreen
from tui.walkthroughs.player import screen_text
from tui.screens.seller_board import SellerBoardScreen
from tui.screens import seller_pack
from tui.screens.seller_pack import PackScreen
from tui.widgets.card_list import CardList


def station_app(db, station: str) -> OrderDeskApp:
    return OrderDeskApp(db, role="seller", identity=SHOP, station=station)


def card_text(app, order_id: str) -> str:
    """The card as the person reads it on the board (its rendered lines)."""
    cards = app.screen.query_one(CardList)
    index = [c.id for c in cards.cards].index(order_id)
    strips = cards._render_card(cards.cards[index], False, cards.size.width)
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def claim_of(db, package_id):
    with db.read() as session:
        return session.get(PackageClaim, package_id)


def test_another_station_sees_where_a_package_is_packed_and_takes_it_over_only_after_confirming(demo_db):
    package = snap(demo_db, ONE_PACKAGE_ORDER).packages[0].id
    second = Database(demo_db.url)  # Station 2: its own connections, as another machine has

    async def drive():
        one, two = station_app(demo_db, "Station 1"), station_app(second, "Station 2")
        async with one.run_test(size=SIZE) as pilot_one, two.run_test(size=SIZE) as pilot_two:
            await settled(pilot_one)
            await settled(pilot_two)
            assert "being packed" not in card_text(one, ONE_PACKAGE_ORDER)
            # Station 2 opens the package to pack it (what its pack screen does first)
            work.flow(two, claims.claim(two, SHOP, package))
            await settle_until(pilot_two, lambda: claim_of(demo_db, package) is not None,
                               "Station 2's claim is written")
            await settle_until(pilot_one, lambda: "being packed at Station 2" in card_text(one, ONE_PACKAGE_ORDER),
                               "Station 1's card says where the package is being packed")
            assert "being packed" not in card_text(two, ONE_PACKAGE_ORDER)  # its own claim goes unsaid

            # Station 1 tries to pack it: refused, asked whether to take it over; Escape leaves it
            cursor_to(one, ONE_PACKAGE_ORDER)
            await pilot_one.press("p")
            await settle_until(pilot_one, lambda: isinstance(one.screen, ConfirmScreen), "the takeover question")
            question = screen_text(one)
            assert "being packed at Station 2" in question and "take it over for Station 1" in question
            await pilot_one.press("escape")
            await settled(pilot_one)
            assert isinstance(one.screen, SellerBoardScreen)
            assert claim_of(demo_db, package).station == "Station 2"
            assert snap(demo_db, ONE_PACKAGE_ORDER).packages[0].status == "awaiting_shipment"

            # again, and Enter: taken over, then packed at Station 1
            await pilot_one.press("p")
            await settle_until(pilot_one, lambda: isinstance(one.screen, ConfirmScreen), "the takeover question")
            await pilot_one.press("enter")
            await settle_until(pilot_one, lambda: isinstance(one.screen, PackScreen), "the pack check, taken over")
            await pilot_one.press(*["a", "down"] * len(one.screen.check.lines), "p")
            await settled(pilot_one)
            assert snap(demo_db, ONE_PACKAGE_ORDER).packages[0].status == "awaiting_collection"
            assert claim_of(demo_db, package) is None  # packing ended the claim
            await settle_until(pilot_two, lambda: next(c for c in two.screen.query_one(CardList).cards
                                                        if c.id == ONE_PACKAGE_ORDER).status == "awaiting_collection",
                               "Station 2's board shows it packed")

    try:
        asyncio.run(drive())
    finally:
        second.dispose()
    with demo_db.read() as session:
        events = session.exec(select(OrderEvent).where(OrderEvent.order_id == ONE_PACKAGE_ORDER,
                                                       OrderEvent.kind.in_(("claim_taken_over", "packed")))
                              .order_by(OrderEvent.id)).all()
    assert [e.kind for e in events] == ["claim_taken_over", "packed"]


def test_confirming_units_keeps_the_claim_while_packing_takes_long(demo_db, monkeypatch):
    """A claim lapses after rules.CLAIM_IDLE (10 min) without activity; confirming units in
    the pack check is activity: 11 minutes into packing, another station is still refused."""
    monkeypatch.setattr(seller_pack, "CLAIM_RENEWAL", 0.0)  # renew at every confirmation
    monkeypatch.delenv("ORDERDESK_NOW")  # the demo database's own clock, which time can move
    package = snap(demo_db, ONE_PACKAGE_ORDER).packages[0].id

    async def drive():
        app = station_app(demo_db, "Station 1")
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cursor_to(app, ONE_PACKAGE_ORDER)
            await pilot.press("p")
            await settle_until(pilot, lambda: isinstance(app.screen, PackScreen), "the pack check")
            opened = claim_of(demo_db, package).active_at
            later = parse_instant(services.advance_clock(demo_db, by=timedelta(minutes=11)).record["now"])
            await pilot.press("space")  # one unit confirmed by its key
            await settle_until(pilot, lambda: claim_of(demo_db, package).active_at > opened,
                               "the claim renewed by the confirmation")
            assert claim_of(demo_db, package).station == "Station 1"
            refused = services.claim_package(demo_db, package, now=later, station="Station 2", shop=SHOP)
            assert not refused.ok and refused.code == "package_claimed"

    asyncio.run(drive())
