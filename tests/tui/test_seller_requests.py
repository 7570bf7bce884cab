"""Buyer requests (approve, reject with a reject reason) and the outbox, from the board."""

from __future__ import annotations

import asyncio

from sqlmodel import select
from textual.widgets import DataTable, OptionList, Static

from core.queries import board
from core.queries.outbox import emails as shop_emails
from core.queries.requests import Request, requests
from core.models import Cancellation, Order, OutboxEmail
from tests.tui.test_seller_board import SHOP, SIZE, seller_app
from tests.waiting import settle_until
from tui.screens.confirm import ConfirmScreen
from tui.screens.seller_outbox import SellerOutboxScreen
from tui.screens.seller_reject import RejectReasonScreen
from tui.screens.seller_requests import SellerRequestsScreen
from tests.waiting import settled

REQUEST_ORDERS = {"576444616593637721", "576322270380775143"}  # Lakehouse Home's pending requests


def pending(db) -> list[Request]:
    with db.read() as session:
        return requests(session, shop=SHOP)


def test_requests_list_with_deadlines_then_approve(demo_db):
    rows = pending(demo_db)
    assert {r.order_id for r in rows} == REQUEST_ORDERS
    first = rows[0]

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("r")
            await pilot.pause()
            assert isinstance(app.screen, SellerRequestsScreen)
            table = app.screen.query_one(DataTable)
            assert table.row_count == 2
            assert str(table.get_row_at(0)[0]) == first.order_id
            assert "left" in str(table.get_row_at(0)[1])
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)  # the refund first (tests/tui/test_confirm.py)
            await pilot.press("enter")
            await settle_until(pilot, lambda: table.row_count == 1, "the approved request leaves the list")

    asyncio.run(drive())
    with demo_db.read() as session:
        request = session.get(Cancellation, first.id)
        order = session.get(Order, first.order_id)
        email = session.exec(select(OutboxEmail).where(OutboxEmail.cancellation_id == first.id)).first()
    assert request.status == "success" and order.status == "cancelled"
    assert email is not None and email.status == "pending"


def test_reject_with_a_reason_that_fits_the_order(demo_db):
    rows = pending(demo_db)
    target = rows[0]
    with demo_db.read() as session:
        fitting = board.snapshot(session, target.order_id).reject_reasons

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("r")
            await pilot.pause()
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, RejectReasonScreen)
            options = app.screen.query_one(OptionList)
            offered = [options.get_option_at_index(i).id for i in range(options.option_count)]
            assert offered == list(fitting)
            options.highlighted = offered.index("already_packed")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, SellerRequestsScreen)
            assert app.screen.query_one(DataTable).row_count == 1

    asyncio.run(drive())
    with demo_db.read() as session:
        request = session.get(Cancellation, target.id)
        order = session.get(Order, target.order_id)
    assert request.status == "closed" and request.reject_reason == "already_packed"
    assert order.status == "awaiting_collection"


def test_outbox_lists_queued_and_sent_emails_and_shows_one_in_full(demo_db):
    with demo_db.read() as session:
        emails = shop_emails(session, shop_id=board.shop_by_name(session, SHOP).id)
    assert emails

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, SellerOutboxScreen)
            table = app.screen.query_one(DataTable)
            assert table.row_count == len(emails)
            body = str(app.screen.query_one("#email", Static).render())
            assert emails[0].subject in body and emails[0].body.splitlines()[0] in body
            await pilot.press("down")
            body = str(app.screen.query_one("#email", Static).render())
            assert emails[1].subject in body
            await pilot.press("enter")
            assert app.screen.query_one("#email-pane").has_focus
            await pilot.press("escape", "escape")

    asyncio.run(drive())


def test_outbox_shows_a_failed_email_with_its_reason_and_what_to_do(demo_db):
    from core.rules import NO_REAL_ADDRESS

    with demo_db.read() as session:
        newest = shop_emails(session, shop_id=board.shop_by_name(session, SHOP).id)[0]
    with demo_db.write() as session:
        email = session.get(OutboxEmail, newest.id)
        email.status, email.last_error = "failed", NO_REAL_ADDRESS

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("o")
            await pilot.pause()
            table = app.screen.query_one(DataTable)
            assert str(table.get_row_at(0)[0]) == "failed"
            body = str(app.screen.query_one("#email", Static).render())
            assert NO_REAL_ADDRESS in body and f"orderdesk outbox discard {newest.id}" in body

    asyncio.run(drive())
