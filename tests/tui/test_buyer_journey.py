"""The buyer app, path by path (seed 000), driven by keys; each test checks what the
screen says and what the database holds afterwards."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console
from rich.text import Text
from sqlmodel import select
from textual.widgets import DataTable, OptionList, Static

from core import services
from core.queries import orders as queries
from core.clock import parse_instant
from core.db import Database
from core.money import format_money
from core.models import Buyer, Cancellation, Notification, Order
from tests.tui.conftest import DEMO_NOW
from tests.waiting import settle_until, settled
from tui.app import OrderDeskApp
from tui.screens import buyer_result
from tui.screens.buyer_buy_again import BuyerBuyAgainScreen
from tui.screens.buyer_inbox import BuyerInboxScreen
from tui.screens.buyer_order import BuyerOrderScreen
from tui.screens.buyer_orders import BuyerOrdersScreen
from tui.screens.buyer_profile import BuyerProfileScreen
from tui.screens.buyer_reason import BuyerReasonScreen
from tui.screens.buyer_refuse import BuyerRefuseScreen
from tui.screens.buyer_result import BuyerResultScreen
from tui.screens.buyer_settings import BuyerSettingsScreen

SIZE = (100, 32)
BUYER = "aisha.johnson"
NOW = parse_instant(DEMO_NOW)


@pytest.fixture(autouse=True)
def fast_network(monkeypatch):
    """Simulated delays, shortened so the suite stays fast."""
    monkeypatch.setattr(buyer_result, "GIVE_UP_AFTER", 0.3)
    monkeypatch.setattr(buyer_result, "SYSTEM_ERROR_DELAY", 0.05)


def held_late_answers(app) -> asyncio.Event:
    """A slow network's late answers arrive when the test sets the event it gets back
    (not after a time): the test looks at "No answer yet" before any can land."""
    late = asyncio.Event()

    async def slow_network(_seconds: float) -> None:
        await late.wait()

    app.slow_network = slow_network
    return late


def buyer_app(db, user=BUYER, **kwargs) -> OrderDeskApp:
    app = OrderDeskApp(db, role="buyer", identity=user, **kwargs)
    app.animation_level = "none"
    return app


def order_in(db, status: str, user: str = BUYER, shop: str | None = None) -> dict:
    with db.read() as session:
        return next(o for o in queries.buyer_orders(session, user, "all", now=NOW, limit=1000)
                    if o["status"] == status and (shop is None or o["shop"] == shop))


def row_keys(user: str, db) -> list[str]:
    with db.read() as session:
        return [o["id"] for o in queries.buyer_orders(session, user, "all", now=NOW, limit=1000)]


def screen_text(app) -> str:
    """Everything the active screen's Static widgets say, as plain text."""
    console = Console(width=app.size.width, record=True, file=io.StringIO(), color_system=None)
    for widget in app.screen.query(Static):
        if widget.display:
            content = widget.content
            console.print(content if not isinstance(content, str) else Text(content))
    return console.export_text()


def cancellations_of(db, order_id: str) -> list[Cancellation]:
    with db.read() as session:
        return list(session.exec(select(Cancellation).where(Cancellation.order_id == order_id)))


def status_of(db, order_id: str) -> str:
    with db.read() as session:
        return session.get(Order, order_id).status


async def open_order(pilot, db, order_id: str, user: str = BUYER) -> None:
    """Profile → ≡ → Settings and Privacy → Orders → the order, by keys (seed 000 steps 1-3)."""
    app = pilot.app
    await pilot.pause()
    assert isinstance(app.screen, BuyerProfileScreen)
    await pilot.press("m")
    assert isinstance(app.screen, BuyerSettingsScreen)
    await pilot.press("enter")
    assert isinstance(app.screen, BuyerOrdersScreen)
    await pilot.pause()
    index = row_keys(user, db).index(order_id)
    for _ in range(index):
        await pilot.press("j")
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, BuyerOrderScreen)
    assert app.screen.order_id == order_id


def answered(app) -> bool:
    """Whether the Send's answer is on screen (what a buyer waits for)."""
    return getattr(app.screen, "state", None) in ("done", "failed", "system_error")


async def until_answered(pilot) -> None:
    await settle_until(pilot, lambda: answered(pilot.app), "the Send is answered")


def delivering(app) -> bool:
    """Whether a Send's answer is still on its way (a held slow network's, say)."""
    return any(worker.group == "buyer-send" and not worker.is_finished for worker in app.workers)


async def send_reason(pilot, reason_index: int = 0) -> None:
    for _ in range(reason_index):
        await pilot.press("down")
    await pilot.press("enter", "s")
    await pilot.pause()


def test_buyer_command_opens_the_profile_with_the_nav_bar(demo_db):
    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            assert isinstance(app.screen, BuyerProfileScreen)
            text = screen_text(app)
            assert "Aisha Johnson" in text and "≡" in text
            nav = str(app.screen.query_one("#navbar").render())
            assert all(word in nav for word in ("Home", "Shop", "Inbox", "Profile"))

    asyncio.run(drive())


def test_happy_cancel_from_profile_to_the_cancelled_tab(demo_db):
    order = order_in(demo_db, "on_hold")

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            assert "Cancel order" in screen_text(app)
            assert app.screen.check_action("cancel", ()) is True
            await pilot.press("c")
            assert isinstance(app.screen, BuyerReasonScreen)
            options = app.screen.query_one(OptionList)
            assert options.option_count == len(queries.rules.buyer_reasons_for("on_hold"))
            assert app.screen.check_action("send", ()) is None  # Send waits for a reason
            await send_reason(pilot, 2)  # "No longer needed"
            await until_answered(pilot)
            assert isinstance(app.screen, BuyerResultScreen)
            text = screen_text(app)
            assert "Order cancelled" in text and "No longer needed" in text
            assert "$81.64" in text  # the whole order's refund
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, BuyerOrdersScreen) and app.screen.tab == "cancelled"
            assert order["id"] in [k.value for k in app.screen.query_one(DataTable).rows]

    asyncio.run(drive())
    assert status_of(demo_db, order["id"]) == "cancelled"
    [record] = cancellations_of(demo_db, order["id"])
    assert (record.role, record.reason, record.status, record.refund_total) == \
        ("buyer", "no_longer_needed", "success", order["totals"]["total"])


def test_inbox_shows_the_confirmation(demo_db):
    order = order_in(demo_db, "on_hold")

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            await send_reason(pilot)
            await until_answered(pilot)
            await pilot.press("i")
            await pilot.pause()
            assert isinstance(app.screen, BuyerInboxScreen)
            first = app.screen.query_one(OptionList).get_option_at_index(0)
            assert "Order cancelled" in str(first.prompt) and order["id"] in str(first.prompt)
            await pilot.press("enter")
            assert isinstance(app.screen, BuyerOrderScreen)
            assert "Cancelled" in screen_text(app)

    asyncio.run(drive())
    with demo_db.read() as session:
        notes = session.exec(select(Notification).where(Notification.order_id == order["id"])).all()
    assert [n.title for n in notes] == ["Order cancelled"]


def test_packed_order_contact_seller_shows_the_request_and_deadline(demo_db):
    order = order_in(demo_db, "awaiting_collection")

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            text = screen_text(app)
            assert "not available" in text and "contact the seller" in text
            assert app.screen.check_action("cancel", ()) is None  # shown, disabled
            await pilot.press("c")
            assert isinstance(app.screen, BuyerOrderScreen)  # nothing happens
            await pilot.press("s")
            assert isinstance(app.screen, BuyerReasonScreen)
            await send_reason(pilot)
            await until_answered(pilot)
            assert "Cancellation requested" in screen_text(app)
            assert "Nov 21, 12:00" in screen_text(app)  # 24 hours from now
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BuyerOrderScreen)
            text = screen_text(app)
            assert "cancellation requested" in text and "Nov 21, 12:00" in text
            assert app.screen.check_action("contact_seller", ()) is False

    asyncio.run(drive())
    [record] = cancellations_of(demo_db, order["id"])
    assert record.status == "request_pending" and record.deadline_at is not None
    assert status_of(demo_db, order["id"]) == "awaiting_collection"


def test_in_transit_refuse_delivery_behind_the_warning(demo_db):
    order = order_in(demo_db, "in_transit")

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            assert "refuse the delivery" in screen_text(app)
            await pilot.press("r")
            assert isinstance(app.screen, BuyerRefuseScreen)
            assert "counts against you" in screen_text(app)
            await pilot.press("y")
            await pilot.pause()
            assert "Delivery refused" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BuyerOrderScreen)

    asyncio.run(drive())
    with demo_db.read() as session:
        buyer = session.exec(select(Buyer).where(Buyer.username == BUYER)).one()
        view = queries.order_view(session, order["id"], NOW)
    assert buyer.refusal_count == 1
    assert [p["status"] for p in view["packages"]] == ["returned"]


def test_cancelled_order_buy_again_with_changed_quantity_and_address(demo_db):
    order = order_in(demo_db, "cancelled")
    before = set(row_keys(BUYER, demo_db))
    totals = []

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            assert "buy the items again" in screen_text(app)
            await pilot.press("b")
            assert isinstance(app.screen, BuyerBuyAgainScreen)
            await pilot.press("plus")  # one more of the first item
            await pilot.press("a", "ctrl+a", "ctrl+k", *"9 Elm St, Macon, GA", "enter")
            await settle_until(pilot, lambda: app.screen.quote is not None
                               and app.screen.quoted_for == app.screen.quantities, "today's prices")
            quoted = app.screen.quote
            text = screen_text(app)
            assert f"Total {format_money(quoted.total, quoted.currency)}" in text  # before anything is placed
            table = app.screen.query_one(DataTable)
            for line in quoted.lines:  # each item's price today and its subtotal, in the list
                row = [str(cell) for cell in table.get_row(line.sku)]
                assert row[3:] == [format_money(line.unit_price, quoted.currency),
                                   format_money(line.subtotal, quoted.currency)]
            await pilot.press("p")
            assert f"Place this order for {format_money(quoted.total, quoted.currency)}?" in screen_text(app)
            assert set(row_keys(BUYER, demo_db)) == before  # not yet
            await pilot.press("p")
            await pilot.pause()
            assert "placed" in screen_text(app)
            totals.append(quoted.total)
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, BuyerOrderScreen)
            assert "9 Elm St, Macon, GA" in screen_text(app)

    asyncio.run(drive())
    [new_id] = set(row_keys(BUYER, demo_db)) - before
    with demo_db.read() as session:
        new = queries.order_view(session, new_id, NOW)
    first = order["lines"][0]
    qty = {l["sku"]: l["quantity"] for l in new["lines"]}
    assert qty[first["sku"]] == sum(l["quantity"] for l in order["lines"] if l["sku"] == first["sku"]) + 1
    assert new["address"] == "9 Elm St, Macon, GA" and new["status"] == "on_hold"
    assert new["totals"]["total"] == totals[0]  # what was shown is what was charged


def test_outdated_app_disables_cancel_with_update_guidance(demo_db):
    order = order_in(demo_db, "on_hold")  # Lakehouse Home needs 30.0.0

    async def drive():
        app = buyer_app(demo_db, app_version="29.4.1")
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            text = screen_text(app)
            assert "needs app version 30.0.0" in text and "Update the app" in text
            assert app.screen.check_action("cancel", ()) is None
            await pilot.press("c")
            assert isinstance(app.screen, BuyerOrderScreen)

    asyncio.run(drive())
    assert status_of(demo_db, order["id"]) == "on_hold"
    assert cancellations_of(demo_db, order["id"]) == []


def test_slow_network_retry_never_cancels_twice_and_the_late_success_shows(demo_db):
    order = order_in(demo_db, "on_hold")

    async def drive():
        app = buyer_app(demo_db, simulate="slow-network")
        late = held_late_answers(app)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            await send_reason(pilot)
            assert app.screen.state in ("sending", "no_answer")  # nothing answered yet
            await settle_until(pilot, lambda: app.screen.state == "no_answer", "the screen gives up")
            assert "No answer yet" in screen_text(app) and "slow" in screen_text(app)
            assert status_of(demo_db, order["id"]) == "on_hold"  # still on its way
            await pilot.press("r")  # retry: same idempotency key
            assert app.screen.attempts == 2
            late.set()
            await settle_until(pilot, lambda: not delivering(app), "both late answers arrive")
            text = screen_text(app)
            assert "Order cancelled" in text and "arrived late" in text

    asyncio.run(drive())
    assert len(cancellations_of(demo_db, order["id"])) == 1
    assert status_of(demo_db, order["id"]) == "cancelled"


def test_a_late_success_after_the_timeout_is_shown_not_lost(demo_db):
    order = order_in(demo_db, "on_hold")

    async def drive():
        app = buyer_app(demo_db, simulate="slow-network")
        late = held_late_answers(app)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            await send_reason(pilot)
            await settle_until(pilot, lambda: app.screen.state == "no_answer", "the screen gives up")
            assert "No answer yet" in screen_text(app)
            assert status_of(demo_db, order["id"]) == "on_hold"
            late.set()
            await settle_until(pilot, lambda: not delivering(app), "the late answer arrives")
            text = screen_text(app)
            assert "Order cancelled" in text and "arrived late" in text

    asyncio.run(drive())
    assert len(cancellations_of(demo_db, order["id"])) == 1


def test_no_network_times_out_then_retry_after_reconnecting(demo_db):
    order = order_in(demo_db, "on_hold")

    async def drive():
        app = buyer_app(demo_db, simulate="no-network")
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            await send_reason(pilot)
            await settle_until(pilot, lambda: app.screen.state == "no_answer", "the screen gives up")
            assert "No answer yet" in screen_text(app) and "offline" in screen_text(app)
            assert status_of(demo_db, order["id"]) == "on_hold"  # nothing reached the shop
            await pilot.press("r")
            assert app.screen.attempts == 2  # sent again (it may have given up again already)
            await settle_until(pilot, lambda: app.screen.state == "no_answer", "the screen gives up again")
            await pilot.press("ctrl+n")  # the switch: no network → system error
            await pilot.press("ctrl+n")  # → off: back online
            assert app.simulate is None
            await pilot.press("r")
            await until_answered(pilot)
            assert "Order cancelled" in screen_text(app)

    asyncio.run(drive())
    assert len(cancellations_of(demo_db, order["id"])) == 1


def test_system_error_explains_and_retry_works_once_it_passes(demo_db):
    order = order_in(demo_db, "on_hold")

    async def drive():
        app = buyer_app(demo_db, simulate="system-error")
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            await send_reason(pilot)
            await until_answered(pilot)
            text = screen_text(app)
            assert "Cancellation of order failed" in text and "Wait a few minutes" in text
            assert status_of(demo_db, order["id"]) == "on_hold"
            app.simulate = None  # the system is back
            await pilot.press("r")
            await until_answered(pilot)
            assert "Order cancelled" in screen_text(app)

    asyncio.run(drive())
    assert len(cancellations_of(demo_db, order["id"])) == 1


def test_cancellation_of_order_failed_when_packed_meanwhile_by_another_station(demo_db):
    order = order_in(demo_db, "awaiting_shipment", shop="Lakehouse Home")
    other_station = Database(demo_db.url)

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            assert isinstance(app.screen, BuyerReasonScreen)
            await pilot.press("enter")
            for package in order["packages"]:
                if package["status"] == "awaiting_shipment":
                    assert services.pack(other_station, package["id"], now=NOW).ok
            await settle_until(pilot, lambda: "just changed" in screen_text(app), "the change is shown")
            await pilot.press("s")
            await until_answered(pilot)
            text = screen_text(app)
            assert "Cancellation of order failed" in text and "Awaiting Collection" in text
            assert "contact the seller" in text
            await pilot.press("s")  # the next step: Contact seller
            assert isinstance(app.screen, BuyerReasonScreen) and app.screen.purpose == "contact"

    asyncio.run(drive())
    other_station.dispose()
    assert cancellations_of(demo_db, order["id"]) == []
    assert status_of(demo_db, order["id"]) == "awaiting_collection"


def test_the_order_screen_shows_a_change_made_elsewhere_on_its_own(demo_db):
    """Without a key press (the app looks for changes twice a second)."""
    order = order_in(demo_db, "on_hold")
    other_station = Database(demo_db.url)

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            assert app.screen.check_action("cancel", ()) is True
            assert services.seller_cancel(other_station, order["id"], "pricing_error", now=NOW).ok
            await settle_until(pilot, lambda: "Cancelled" in screen_text(app), "the cancellation is shown")
            assert app.screen.check_action("cancel", ()) is None
            assert app.screen.check_action("buy_again", ()) is True

    asyncio.run(drive())
    other_station.dispose()


def test_every_buyer_key_is_in_help_and_palette(demo_db):
    order = order_in(demo_db, "cancelled")

    async def drive():
        app = buyer_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            titles = {command.title for command in app.get_system_commands(app.screen)}
            assert {"Back", "Buy again", "Simulate failure"} <= titles

    asyncio.run(drive())


def test_past_the_shops_auto_approve_window_cancel_becomes_a_request(demo_db):
    """Rosewater Beauty cancels on its own only within 1 hour of payment (DOMAIN.md)."""
    order = order_in(demo_db, "awaiting_shipment", user="emily.nguyen", shop="Rosewater Beauty")

    async def drive():
        app = buyer_app(demo_db, user="emily.nguyen")
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"], user="emily.nguyen")
            assert "cancels orders on its own" in screen_text(app)
            await pilot.press("c")
            await send_reason(pilot)
            await until_answered(pilot)
            assert "Cancellation requested" in screen_text(app)

    asyncio.run(drive())
    [record] = cancellations_of(demo_db, order["id"])
    assert record.status == "request_pending"
    assert status_of(demo_db, order["id"]) == "awaiting_shipment"


def test_the_buyer_command_passes_simulate_and_app_version_and_refuses_bad_ones(demo_db, monkeypatch, capsys):
    from tui.cli import main
    from tui.cli import open as cli_open

    opened = {}
    monkeypatch.setattr(cli_open, "open_tui", lambda ctx, **start: opened.update(start))
    url = demo_db.url
    assert main(["--database-url", url, "buyer", "--user", BUYER, "--simulate", "slow-network",
                     "--app-version", "35.2.0"]) == 0
    assert opened == {"role": "buyer", "identity": BUYER, "app_version": "35.2.0",
                      "simulate": "slow-network", "locked": True}  # this buyer only: no launcher
    assert main(["--database-url", url, "buyer", "--simulate", "flaky"]) == 2
    assert main(["--database-url", url, "buyer", "--app-version", "new"]) == 2
    assert "is not an app version" in capsys.readouterr().err


def test_a_late_success_after_leaving_the_screen_is_told_and_shown(demo_db):
    order = order_in(demo_db, "on_hold")

    async def drive():
        app = buyer_app(demo_db, simulate="slow-network")
        late = held_late_answers(app)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            await send_reason(pilot)
            await settle_until(pilot, lambda: app.screen.state == "no_answer", "the screen gives up")
            await pilot.press("escape")  # the buyer gives up and goes back to the order
            assert isinstance(app.screen, BuyerOrderScreen)
            late.set()
            await settle_until(pilot, lambda: "Cancelled" in screen_text(app), "the late cancellation is shown")
            assert any("went through after all" in n.message for n in app._notifications)

    asyncio.run(drive())
    assert len(cancellations_of(demo_db, order["id"])) == 1
