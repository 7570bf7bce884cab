"""The board warns before the SLA clock cancels (issue 15): "auto-cancels in 4h" on the
card, amber under 12 h, red under 2 h; the To Ship "due soon" filter; most urgent first,
newest first a key away. On the demo data at the demo clock (2026-11-20 12:00)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from textual.widgets import Static

from core.clock import parse_instant
from core.queries import board
from core.queries.cards import BoardFilter
from tests.tui.conftest import DEMO_NOW
from tests.waiting import settle_until, settled
from tui.app import OrderDeskApp
from tui.widgets.card_list import CardList, time_left

SHOP = "Lakehouse Home"
RED = "576468476180488348"  # to hand over by 13:30: "auto-cancels in 1h 30m"
AMBER = "576958692249217732"  # to pack by 16:00: "auto-cancels in 4h 00m"
CALM = "576628743734513895"  # packed, to hand over by Sunday 06:00: 1d 18h
SIZE = (120, 36)


def seller_app(db) -> OrderDeskApp:
    return OrderDeskApp(db, role="seller", identity=SHOP)


def shown(app) -> list[str]:
    return [c.id for c in app.screen.query_one(CardList).cards]


def warning_of(app, order_id: str):
    """The card's SLA warning as drawn: (its text, its style), from the list's own lines."""
    cards = app.screen.query_one(CardList)
    for y in range(cards.size.height):
        segments = list(cards.render_line(y))
        if any(order_id in s.text for s in segments):
            found = next(s for s in segments if "auto-cancels" in s.text)
            return found.text.strip(), found.style
    raise AssertionError(f"{order_id} is not on the screen")


def test_cards_warn_amber_under_12_hours_and_red_under_2(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cards = app.screen.query_one(CardList)
            await settle_until(pilot, lambda: len(cards.cards) > 3, "the To Ship cards")
            amber = cards.get_component_rich_style("cardlist--warn").color
            red = cards.get_component_rich_style("cardlist--urgent").bgcolor
            dim = cards.get_component_rich_style("cardlist--dim", partial=True).color  # as the list draws it
            assert len({amber, red, dim}) == 3
            text, style = warning_of(app, RED)  # red: a badge, readable on the cursor's colour too
            assert (text, style.bgcolor) == ("auto-cancels in 1h 30m", red)
            text, style = warning_of(app, AMBER)
            assert (text, style.color, style.bgcolor) == ("auto-cancels in 4h 00m", amber, cards.rich_style.bgcolor)
            text, style = warning_of(app, CALM)
            assert (text, style.color) == ("auto-cancels in 1d 18h", dim)

    asyncio.run(drive())


def test_most_urgent_first_and_newest_first_a_key_away(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cards = app.screen.query_one(CardList)
            await settle_until(pilot, lambda: len(cards.cards) > 3, "the To Ship cards")
            assert shown(app)[0] == RED  # the earliest deadline
            ship_bys = [c.ship_by for c in cards.cards]
            assert ship_bys == sorted(ship_bys)
            assert "most urgent first" in str(app.screen.query_one("#position", Static).render())
            await pilot.press("u")
            await settle_until(pilot, lambda: "newest first" in str(
                app.screen.query_one("#position", Static).render()), "newest first")
            created = [c.created_at for c in cards.cards]
            assert created == sorted(created, reverse=True) and set(shown(app)) >= {RED, AMBER, CALM}
            await pilot.press("u")
            await settle_until(pilot, lambda: shown(app)[0] == RED, "most urgent first again")

    asyncio.run(drive())


def test_the_due_soon_filter_shows_what_the_clock_cancels_within_12_hours(demo_db):
    with demo_db.read() as session:
        shop = board.shop_by_name(session, SHOP)
        counts = board.counts(session, shop.id, parse_instant(DEMO_NOW))
        expected = [c.id for c in board.page(session, BoardFilter(shop.id, status="due_soon"),
                                             now=parse_instant(DEMO_NOW))]
    assert counts.due_soon == len(expected) >= 3 and RED in expected and CALM not in expected

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            filters = app.screen.query_one("#filters", Static)
            assert f"Due soon {counts.due_soon}" in str(filters.render())
            await pilot.press("t", "t", "t", "t")  # All → Awaiting Shipment → ... → Due soon
            await settle_until(pilot, lambda: shown(app) == expected, "the due-soon cards")
            assert f"of {counts.due_soon}" in str(app.screen.query_one("#position", Static).render())
            for card in app.screen.query_one(CardList).cards:
                assert card.sla_level(parse_instant(DEMO_NOW)) in ("amber", "red")

    asyncio.run(drive())


SIZES = [pytest.param((120, 36), id="120x36"), pytest.param((80, 24), id="80x24")]


@pytest.mark.parametrize("size", SIZES)
def test_warnings_snapshot(demo_db, snap_compare, size):
    """The due-soon filter: red, then amber warnings, counts in the status bar."""
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=["t", "t", "t", "t"],
                        run_before=settled)


def test_the_time_left_reads_like_a_person_says_it():
    now = parse_instant(DEMO_NOW)
    assert time_left(None, now) == ""
    assert time_left(now - timedelta(minutes=5), now) == "auto-cancels now"  # before the clock has run
    assert time_left(now, now) == "auto-cancels now"
    assert time_left(now + timedelta(seconds=20), now) == "auto-cancels in 1m"
    assert time_left(now + timedelta(minutes=90), now) == "auto-cancels in 1h 30m"
    assert time_left(now + timedelta(days=2, hours=3, minutes=59), now) == "auto-cancels in 2d 3h"
