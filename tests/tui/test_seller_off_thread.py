"""The seller's side never touches the database on the UI thread (issue 14): every
read and command runs in a worker (tui/work.py), so the screen shows that it is busy
at once and keeps taking keys while the database is slow.

Slowness is made, not hoped for: a query or a command is held on a threading.Event
until the test has looked at the screen, then let go."""

from __future__ import annotations

import asyncio
import threading
import traceback

from sqlalchemy import event
from sqlmodel import select

from core import services
from core.models import Cancellation
from core.queries import board
from tests.tui.test_key_storm import press_at_once
from tests.tui.test_seller_board import SHOP, SIZE, core_page, shown
from tests.tui.test_seller_cancel import ONE_PACKAGE_ORDER, choose, snap
from tests.waiting import PATIENCE, await_until, settle_until, settled
from tui.app import OrderDeskApp
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_cancel_reason import CancelReasonScreen
from tui.screens.seller_cancel_review import CancelReviewScreen
from tui.widgets.card_list import CardList


def quiet_app(db) -> OrderDeskApp:
    """The seller's app without the change watcher (the app's own, not the seller
    screens': its ticks are not what these tests look at)."""
    return OrderDeskApp(db, role="seller", identity=SHOP, watch=False)


def held(function, release: threading.Event, started: threading.Event | None = None):
    """`function`, waiting for `release` before it runs (on whatever thread calls it)."""
    def wait_then_run(*args, **kwargs):
        if started is not None:
            started.set()
        assert release.wait(PATIENCE), "the test never let the held call go"
        return function(*args, **kwargs)
    return wait_then_run


async def to_review(pilot, order_id: str) -> None:
    """From the board: the order's card, Cancel, Pricing Error, the whole order."""
    cards = pilot.app.screen.query_one(CardList)
    cards.cursor = [c.id for c in cards.cards].index(order_id)
    await pilot.press("c")
    assert isinstance(pilot.app.screen, CancelReasonScreen)
    await choose(pilot, "pricing_error")
    await choose(pilot, "order")
    assert isinstance(pilot.app.screen, CancelReviewScreen)


def test_board_filter_wizard_and_submit_run_no_sql_on_the_ui_thread(demo_db):
    statements: list[tuple[threading.Thread, str]] = []
    to_ship, awaiting_shipment = core_page(demo_db), core_page(demo_db, status="awaiting_shipment")

    def record(conn, cursor, statement, parameters, context, executemany):
        here = threading.current_thread()
        where = "".join(traceback.format_stack(limit=30)) if here is threading.main_thread() else ""
        statements.append((here, f"{statement}\n{where}"))

    async def drive():
        app = quiet_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            # counted from here: the launcher under the board (the app's, not the seller's
            # screens) reads its lists when it mounts
            event.listen(demo_db.engine, "before_cursor_execute", record)
            await pilot.press("ctrl+r")  # the board reads itself again
            assert shown(app) == to_ship
            await pilot.press("t")  # To Ship: Awaiting Shipment
            assert shown(app) == awaiting_shipment
            assert ONE_PACKAGE_ORDER in shown(app)
            await to_review(pilot, ONE_PACKAGE_ORDER)
            await pilot.press("enter")  # Submit
            assert isinstance(app.screen, SellerBoardScreen)
            assert any("email is queued" in n.message for n in app._notifications)

    try:
        asyncio.run(drive())
    finally:
        event.remove(demo_db.engine, "before_cursor_execute", record)
    on_ui_thread = [s for thread, s in statements if thread is threading.main_thread()]
    assert len(statements) > 20  # the board, the filter, the wizard and the cancellation all read and wrote
    assert on_ui_thread == [], on_ui_thread[0]
    assert snap(demo_db, ONE_PACKAGE_ORDER).order.status == "cancelled"


def test_submit_shows_busy_at_once_and_the_result_when_it_comes(demo_db, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(services, "seller_cancel", held(services.seller_cancel, release))

    async def drive():
        app = quiet_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await to_review(pilot, ONE_PACKAGE_ORDER)
            review = app.screen
            press_at_once(app, ["enter", "enter"])  # Submit, and an impatient second Enter
            await settle_until(pilot, lambda: review.query_one("#review").loading, "the review shows busy")
            assert app.screen is review  # the result is not in: still reviewing, busy
            assert snap(demo_db, ONE_PACKAGE_ORDER).order.status == "awaiting_shipment"
            release.set()
            await settled(pilot)
            assert isinstance(app.screen, SellerBoardScreen)
            assert any("email is queued" in n.message for n in app._notifications)

    asyncio.run(drive())
    with demo_db.read() as session:
        cancellations = session.exec(select(Cancellation).where(Cancellation.order_id == ONE_PACKAGE_ORDER)).all()
    assert len(cancellations) == 1 and cancellations[0].scope == "order"  # submitted once


def test_the_cursor_keeps_moving_while_the_board_reads_a_page(demo_db, monkeypatch):
    release, started = threading.Event(), threading.Event()

    async def drive():
        app = quiet_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cards = app.screen.query_one(CardList)
            before = shown(app)
            monkeypatch.setattr(board, "page", held(board.page, release, started))
            press_at_once(app, ["t"])  # a filter change: its page is read, and held
            await await_until(started.is_set, "the filtered page is being read")
            press_at_once(app, ["down", "down", "down"])
            await settle_until(pilot, lambda: cards.cursor == 3, "the cursor moves over the cards shown")
            assert shown(app) == before  # the new page is not in yet
            release.set()
            await settled(pilot)
            assert shown(app) == core_page(demo_db, status="awaiting_shipment")
            assert cards.cursor == 0

    asyncio.run(drive())


def test_a_newer_filter_supersedes_a_slower_older_one(demo_db, monkeypatch):
    """The filter changed twice while the first page was read: the board ends on the
    second filter, whatever order the reads finish in."""
    release, started = threading.Event(), threading.Event()
    page = board.page

    async def drive():
        app = quiet_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            monkeypatch.setattr(board, "page", held(page, release, started))
            press_at_once(app, ["t"])  # Awaiting Shipment: held
            await await_until(started.is_set, "the first filter's page is being read")
            monkeypatch.setattr(board, "page", page)
            press_at_once(app, ["t"])  # Awaiting Collection: read at once
            await settle_until(pilot, lambda: shown(app) == core_page(demo_db, status="awaiting_collection"),
                               "the second filter's orders")
            release.set()  # the first read finishes last
            await settled(pilot)
            assert shown(app) == core_page(demo_db, status="awaiting_collection")

    asyncio.run(drive())
