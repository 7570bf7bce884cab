"""The seller's order Details (issue 17): a screen of its own, in the seller's words:
packages and lines, cancellations with their refunds, the timeline, the buyer's
standing, a pending request, and what can be done now with why not; never the
internal keys of the command line's printout."""

from __future__ import annotations

import asyncio
import io
import re

from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from core.queries.details import order_details
from tests.tui.test_seller_board import seller_app
from tests.waiting import settle_until, settled
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_order import SellerOrderScreen
from tui.screens.seller_pack import PackScreen

CANCELLED_TWICE = "576356574267024879"  # a package cancelled by the shop, then the rest by the buyer
CAUTION = "576119369769030276"  # derek.w, who refused 2 deliveries
REQUESTED = "576444616593637721"  # the buyer asked to cancel; the seller has not answered
INTERNAL = re.compile(r"\b[a-z]+_[a-z_]+\b|seller may|buyer may")  # cancel_order, awaiting_shipment, ...


def details_text(app) -> str:
    console = Console(width=app.size.width, record=True, file=io.StringIO(), color_system=None)
    for widget in app.screen.query(Static):
        if widget.display:
            content = widget.content
            console.print(content if not isinstance(content, str) else Text(content))
    return console.export_text()


async def open_details(pilot, order_id: str) -> str:
    await settled(pilot)
    await pilot.press(*order_id, "enter")  # the scanner opens the order's Details
    await settle_until(pilot, lambda: isinstance(pilot.app.screen, SellerOrderScreen), "the Details screen")
    await settled(pilot)
    await settle_until(pilot, lambda: pilot.app.screen.details is not None, "the order's details")
    return details_text(pilot.app)


def test_details_show_packages_cancellations_refunds_and_timeline_in_words(demo_db):
    with demo_db.read() as session:
        details = order_details(session, CANCELLED_TWICE)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=(120, 36)) as pilot:
            text = await open_details(pilot, CANCELLED_TWICE)
            assert f"Order {CANCELLED_TWICE} · Cancelled" in text
            for n, package in enumerate(details.packages, 1):
                assert f"Package {n} of 2: {package.id} · Cancelled · 0 units" in text
                for line in package.lines:
                    assert line.sku in text and line.title in text
            assert "1 item cancelled, 3 still to ship · Pricing error" in text  # the shop's package
            assert "Order cancelled · No longer needed" in text  # then the buyer, the rest
            assert "refund $34.40" in text and "refund $61.14" in text
            assert "Refunded $95.54" in text
            assert "Timeline" in text and "Order placed" in text
            assert "What you can do now" in text
            assert not INTERNAL.findall(text), INTERNAL.findall(text)
            await pilot.press("escape")
            await settle_until(pilot, lambda: isinstance(app.screen, SellerBoardScreen), "back on the board")

    asyncio.run(drive())


def test_details_show_the_buyers_caution_and_a_pending_request(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=(80, 24)) as pilot:
            text = await open_details(pilot, CAUTION)
            assert "Caution: refused 2 deliveries" in " ".join(text.split())
            await pilot.press("escape")
            await settle_until(pilot, lambda: isinstance(app.screen, SellerBoardScreen), "back on the board")
            text = " ".join((await open_details(pilot, REQUESTED)).split())
            assert "The buyer asks to cancel: Need to change shipping address · answer by" in text
            assert "The buyer asked to cancel (Need to change shipping address)" in text  # the timeline
            assert "Pack: Package" in text and "can be packed only when Awaiting Shipment" in text  # why not
            assert not INTERNAL.findall(text), INTERNAL.findall(text)

    asyncio.run(drive())


def test_details_follow_a_change_made_from_them(demo_db):
    """Pack from the Details screen (p): its pack check, every unit confirmed, Pack; back on
    Details, the screen shows it packed."""
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=(120, 36)) as pilot:
            await open_details(pilot, CAUTION)
            await pilot.press("p")
            await settle_until(pilot, lambda: isinstance(app.screen, PackScreen), "the pack check")
            await pilot.press(*["a", "down"] * len(app.screen.check.lines), "p")
            await settle_until(pilot, lambda: "Awaiting Collection" in details_text(app)
                               and isinstance(app.screen, SellerOrderScreen), "the package packed")
            assert "packed" in details_text(app)  # the timeline has it

    asyncio.run(drive())
