"""The cancel wizard (seed 003): reason first, then whole order, one package or
(Out of Stock only) items; greyed items with why; the refund reviewed is the
refund submitted; the conflict when another station changes the order."""

from __future__ import annotations

import asyncio

from sqlmodel import select
from textual.widgets import OptionList, Static

from core import refunds, services
from core.queries import board
from core.clock import parse_instant
from core.db import Database
from core.models import Cancellation, Order, OrderLine, OutboxEmail
from tests.tui.conftest import DEMO_NOW
from tests.tui.test_seller_board import SIZE, SPLIT_ORDER, seller_app
from tests.waiting import settle_until
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_cancel_failed import CancelFailedScreen
from tui.screens.seller_cancel_items import CancelItemsScreen
from tui.screens.seller_cancel_reason import CancelReasonScreen
from tui.screens.seller_cancel_review import CancelReviewScreen
from tui.screens.seller_cancel_scope import CancelScopeScreen
from tui.widgets.quantity_picker import QuantityPicker

ONE_PACKAGE_ORDER = "576119369769030276"  # awaiting_shipment, one package, derek.w (refusals)
NOW = parse_instant(DEMO_NOW)


def plain(static: Static) -> str:
    """What a Static shows, as plain text (its content may be a Rich renderable)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))
    console.print(static.content)
    return console.export_text()


def snap(db, order_id):
    with db.read() as session:
        return board.snapshot(session, order_id)


def emails(db, order_id):
    with db.read() as session:
        return session.exec(select(OutboxEmail).where(OutboxEmail.order_id == order_id)).all()


def option_ids(app) -> list[tuple[str, bool]]:
    options = app.screen.query_one(OptionList)
    return [(options.get_option_at_index(i).id, options.get_option_at_index(i).disabled)
            for i in range(options.option_count)]


async def choose(pilot, option_id: str) -> None:
    """Highlight the option with this id and press Enter."""
    options = pilot.app.screen.query_one(OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = ids.index(option_id)
    await pilot.press("enter")
    await pilot.pause()


async def open_wizard(pilot, order_id: str) -> None:
    await pilot.pause()
    await pilot.press(*order_id, "enter")  # the scanner opens the order
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CancelReasonScreen)


def test_whole_order_cancel_refunds_what_was_reviewed_and_queues_the_email(demo_db):
    before = snap(demo_db, ONE_PACKAGE_ORDER)
    expected = board.cancel_preview(before, "order").refund.total

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, ONE_PACKAGE_ORDER)
            assert [i for i, _ in option_ids(app)] == list(board.rules.SELLER_REASONS)
            await choose(pilot, "pricing_error")
            assert isinstance(app.screen, CancelScopeScreen)
            await choose(pilot, "order")
            assert isinstance(app.screen, CancelReviewScreen)
            review = plain(app.screen.query_one("#review", Static))
            total = plain(app.screen.query_one("#total", Static))
            assert "Refund total" in total and f"${expected / 100:,.2f}" in total
            assert refunds.SHIPPING_NOTE not in review  # the whole order: shipping is in the refund
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not isinstance(app.screen, (CancelReviewScreen, CancelScopeScreen, CancelReasonScreen))
            toasts = [n.message for n in app._notifications]
            assert any("email is queued" in m for m in toasts)

    asyncio.run(drive())
    after = snap(demo_db, ONE_PACKAGE_ORDER)
    assert after.order.status == "cancelled"
    with demo_db.read() as session:
        record = session.exec(select(Cancellation).where(Cancellation.order_id == ONE_PACKAGE_ORDER,
                                                         Cancellation.role == "seller")).one()
    assert record.reason == "pricing_error" and record.scope == "order"
    assert record.refund_total == expected
    assert any(e.status == "pending" and e.cancellation_id == record.id for e in emails(demo_db, ONE_PACKAGE_ORDER))


def test_package_cancel_of_a_split_order(demo_db):
    before = snap(demo_db, SPLIT_ORDER)
    collected = next(p for p in before.packages if p.status == "awaiting_collection")
    expected = board.cancel_preview(before, "package", package_id=collected.id).refund.total

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, SPLIT_ORDER)
            await choose(pilot, "unable_to_deliver")
            scopes = dict(option_ids(app))
            assert scopes["items"] is True  # not Out of Stock: no item cancellation
            await choose(pilot, f"package:{collected.id}")
            assert isinstance(app.screen, CancelReviewScreen)
            assert app.screen.preview.refund.total == expected
            await pilot.press("enter")
            await pilot.pause()

    asyncio.run(drive())
    after = snap(demo_db, SPLIT_ORDER)
    assert {p.id: p.status for p in after.packages}[collected.id] == "cancelled"
    assert after.order.status == "awaiting_shipment"
    with demo_db.read() as session:
        record = session.exec(select(Cancellation).where(Cancellation.order_id == SPLIT_ORDER,
                                                         Cancellation.scope == "package")).one()
    assert record.package_id == collected.id and record.refund_total == expected


def test_item_cancel_greys_out_the_items_of_the_collected_package(demo_db):
    before = snap(demo_db, SPLIT_ORDER)
    collected = next(p for p in before.packages if p.status == "awaiting_collection")
    open_lines = [l for l in before.lines if l.package_id != collected.id]
    mug = next(l for l in open_lines if l.sku == "LH-MUG-350")
    expected = refunds.refund_for(before.order, before.lines, {mug.id: 1})

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, SPLIT_ORDER)
            await choose(pilot, "out_of_stock")
            assert dict(option_ids(app))["items"] is False
            await choose(pilot, "items")
            assert isinstance(app.screen, CancelItemsScreen)
            picker = app.screen.query_one(QuantityPicker)
            greyed = {c.id: c for c in picker.choices if not c.allowed}
            assert set(greyed) == {l.id for l in before.lines if l.package_id == collected.id}
            assert all("Awaiting Collection" in c.why_not for c in greyed.values())
            rendered = str(app.screen.query_one(QuantityPicker).render().columns[2]._cells)
            assert "Cancel the whole package instead" in rendered
            # a greyed-out item can't be given a quantity
            picker.cursor = [c.id for c in picker.choices].index(next(iter(greyed)))
            await pilot.press("plus")
            assert picker.chosen == {}
            # the mug in the open package: at most its live units
            picker.cursor = [c.id for c in picker.choices].index(mug.id)
            await pilot.press("plus", "plus", "plus", "plus")
            assert picker.chosen == {mug.id: mug.quantity}
            await pilot.press("minus")
            assert picker.chosen == {mug.id: mug.quantity - 1} == {mug.id: 1}
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CancelReviewScreen)
            assert app.screen.preview.refund == expected
            review = plain(app.screen.query_one("#review", Static))
            assert refunds.SHIPPING_NOTE in review
            await pilot.press("enter")
            await pilot.pause()

    asyncio.run(drive())
    after = snap(demo_db, SPLIT_ORDER)
    assert {l.id: l.cancelled_quantity for l in after.lines}[mug.id] == 1
    with demo_db.read() as session:
        record = session.exec(select(Cancellation).where(Cancellation.order_id == SPLIT_ORDER)).one()
    assert record.scope == "items" and record.reason == "out_of_stock"
    assert record.refund_total == expected.total


def test_items_only_with_out_of_stock(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, ONE_PACKAGE_ORDER)
            for reason in ("pricing_error", "unable_to_deliver", "buyer_requested"):
                await choose(pilot, reason)
                assert dict(option_ids(app))["items"] is True
                options = app.screen.query_one(OptionList)
                prompt = str(options.get_option("items").prompt)
                assert "Out of Stock" in prompt
                await pilot.press("escape")
            await choose(pilot, "out_of_stock")
            assert dict(option_ids(app))["items"] is False

    asyncio.run(drive())


def test_conflict_when_the_order_is_packed_between_review_and_submit(demo_db):
    other_station = Database(demo_db.url)
    before = snap(demo_db, ONE_PACKAGE_ORDER)

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, ONE_PACKAGE_ORDER)
            await choose(pilot, "out_of_stock")
            await choose(pilot, "items")
            await pilot.press("plus", "enter")
            await pilot.pause()
            assert isinstance(app.screen, CancelReviewScreen)
            assert services.pack(other_station, before.packages[0].id, now=NOW).ok
            await settle_until(pilot, lambda: app.screen.query_one("#changed", Static).has_class("-shown"),
                               "the review says the order changed")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CancelFailedScreen)
            assert "Cancellation of order failed" in str(app.screen.query_one("#failed-title", Static).render())
            now_text = str(app.screen.query_one("#order-now", Static).render())
            assert "Awaiting Collection" in now_text
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, SellerBoardScreen) or app.screen.__class__.__name__ == "SellerOrderScreen"

    asyncio.run(drive())
    other_station.dispose()
    with demo_db.read() as session:
        assert not session.exec(select(Cancellation).where(Cancellation.order_id == ONE_PACKAGE_ORDER)).all()
        assert all(l.cancelled_quantity == 0 for l in session.exec(
            select(OrderLine).where(OrderLine.order_id == ONE_PACKAGE_ORDER)).all())


def test_conflict_when_the_refund_changed_never_refunds_another_figure(demo_db):
    """Another station cancels one unit: the reviewed whole-order refund is no
    longer the figure, so the submit is refused and nothing else is refunded."""
    other_station = Database(demo_db.url)
    before = snap(demo_db, ONE_PACKAGE_ORDER)
    line = before.lines[0]

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, ONE_PACKAGE_ORDER)
            await choose(pilot, "pricing_error")
            await choose(pilot, "order")
            reviewed = app.screen.preview.refund.total
            assert services.seller_cancel(other_station, ONE_PACKAGE_ORDER, "out_of_stock", now=NOW,
                                          items={line.id: 1}).ok
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CancelFailedScreen)
            assert app.screen.refusal.code in ("conflict", "cancellation_failed")
            assert "changed" in str(app.screen.query_one("#failed-why", Static).render())
            return reviewed

    asyncio.run(drive())
    other_station.dispose()
    with demo_db.read() as session:
        records = session.exec(select(Cancellation).where(Cancellation.order_id == ONE_PACKAGE_ORDER)).all()
        order = session.get(Order, ONE_PACKAGE_ORDER)
    assert len(records) == 1 and records[0].scope == "items"  # only the other station's
    assert order.status == "awaiting_shipment"


def title(app) -> str:
    return plain(app.screen.query_one(".screen-title", Static)).strip()


def test_the_step_count_is_right_on_every_step_and_the_last_step_says_so(demo_db):
    """Out of Stock by item: 1, 2, 3, 4 of 4; a whole order, whose path has no items step:
    its review is 3 of 3; and the done message says what happened, not "cancelled"."""
    before = snap(demo_db, ONE_PACKAGE_ORDER)
    mug = next(l for l in before.lines if l.live > 1)
    left = before.live_units() - 1

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, ONE_PACKAGE_ORDER)
            assert "step 1 of 4: why?" in title(app)  # items are still possible
            await choose(pilot, "pricing_error")
            assert "step 2 of 3: what?" in title(app)  # not Out of Stock: no items step
            await choose(pilot, "order")
            assert "step 3 of 3: check the refund" in title(app)
            await pilot.press("escape", "escape")
            await pilot.pause()
            await choose(pilot, "out_of_stock")
            assert "step 2 of 4: what?" in title(app)
            await choose(pilot, "items")
            assert "step 3 of 4: how many of each item?" in title(app)
            picker = app.screen.query_one(QuantityPicker)
            picker.cursor = [c.id for c in picker.choices].index(mug.id)
            await pilot.press("plus")
            assert "1 unit of 1 item chosen" in plain(app.screen.query_one("#chosen", Static))
            await pilot.press("enter")
            await pilot.pause()
            assert "step 4 of 4: check the refund" in title(app)
            assert f"Result  1 item cancelled, {left} still to ship" in plain(app.screen.query_one("#review", Static))
            await pilot.press("ctrl+s")
            await settle_until(pilot, lambda: any(n.title for n in app._notifications), "the done message")
            [done] = [n for n in app._notifications]
            assert done.title == f"Order {ONE_PACKAGE_ORDER}: 1 item cancelled, {left} still to ship"

    asyncio.run(drive())


ONE_UNIT = "576628743734513895"  # awaiting_collection, one package of one unit


def test_package_sizes_on_the_scope_step_are_plural_right(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, ONE_UNIT)
            await choose(pilot, "pricing_error")
            options = app.screen.query_one(OptionList)
            prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            assert prompts[0] == "The whole order (1 unit)"
            assert prompts[1].endswith("Awaiting Collection (1 unit)")

    asyncio.run(drive())


def test_the_review_says_what_the_cancellation_will_leave(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_wizard(pilot, ONE_UNIT)
            await choose(pilot, "pricing_error")
            await choose(pilot, "order")
            assert "Result  Order cancelled" in plain(app.screen.query_one("#review", Static))

    asyncio.run(drive())
