"""Snapshots of the buyer app (seed 000): every screen of the happy path and of each
way it can go otherwise, at 100x32; Profile and Order also at 80x24. Demo data, the
demo clock, no change watcher (nothing moves under the picture), no animations."""

from __future__ import annotations

import pytest

from core import ids, services
from core.db import Database
from tests.tui.test_buyer_journey import BUYER, NOW, buyer_app, delivering, held_late_answers, order_in
from tests.waiting import settle_until, settled
from tui.flows import buyer as buyer_flow
from tui.screens import buyer_result
from tui.screens.buyer_order import BuyerOrderScreen

BIG, SMALL = (100, 32), (80, 24)


@pytest.fixture(autouse=True)
def fast_network(monkeypatch):
    monkeypatch.setattr(buyer_result, "GIVE_UP_AFTER", 0.2)
    monkeypatch.setattr(buyer_result, "SYSTEM_ERROR_DELAY", 0.05)


def app_for(db, **kwargs):
    return buyer_app(db, watch=False, **kwargs)


def at_order(order_id: str, *keys: str, done=None):
    """Open the order's screen (the buyer's journey, started at it, as Profile → … → Your
    orders → Enter would), press keys,
    then wait until `done(app)` holds (a Send's answer, say)."""

    async def run_before(pilot):
        await settled(pilot)
        buyer_flow.start(pilot.app.screen, BUYER, "order", order_id=order_id)
        await settled(pilot)
        assert isinstance(pilot.app.screen, BuyerOrderScreen)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        if done is not None:
            await settle_until(pilot, lambda: done(pilot.app), "the screen gets there")
            await pilot.pause()

    return run_before


def answered(app) -> bool:
    return getattr(app.screen, "state", None) in ("done", "failed", "system_error")


# -- the happy path ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [BIG, SMALL], ids=["100x32", "80x24"])
def test_profile(demo_db, snap_compare, size):
    assert snap_compare(app_for(demo_db), terminal_size=size)


def test_settings_and_privacy(demo_db, snap_compare):
    assert snap_compare(app_for(demo_db), terminal_size=BIG, press=["m"])


@pytest.mark.parametrize("size", [BIG, SMALL], ids=["100x32", "80x24"])
def test_your_orders_all(demo_db, snap_compare, size):
    assert snap_compare(app_for(demo_db), terminal_size=size, press=["m", "enter"])


def test_your_orders_to_ship_tab(demo_db, snap_compare):
    assert snap_compare(app_for(demo_db), terminal_size=BIG, press=["o", "right", "right"])


@pytest.mark.parametrize("size", [BIG, SMALL], ids=["100x32", "80x24"])
def test_order_that_can_be_cancelled(demo_db, snap_compare, size):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db), terminal_size=size, run_before=at_order(order["id"]))


def test_cancellation_reason_picked(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db), terminal_size=BIG,
                        run_before=at_order(order["id"], "c", "down", "down", "enter"))


def test_result_order_cancelled(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db), terminal_size=BIG,
                        run_before=at_order(order["id"], "c", "down", "down", "enter", "s", done=answered))


def test_cancelled_tab_after_cancelling(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, press=["o"],
                        run_before=at_order(order["id"], "c", "down", "down", "enter", "s", done=answered))


def test_inbox_with_the_confirmation(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, press=["i"],
                        run_before=at_order(order["id"], "c", "down", "down", "enter", "s", done=answered))


# -- packed: Contact seller ---------------------------------------------------------------------
@pytest.mark.parametrize("size", [BIG, SMALL], ids=["100x32", "80x24"])
def test_order_packed_cancel_disabled(demo_db, snap_compare, size):
    order = order_in(demo_db, "awaiting_collection")
    assert snap_compare(app_for(demo_db), terminal_size=size, run_before=at_order(order["id"]))


def test_contact_seller_reason(demo_db, snap_compare):
    order = order_in(demo_db, "awaiting_collection")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, run_before=at_order(order["id"], "s", "enter"))


def test_contact_seller_request_sent(demo_db, snap_compare):
    order = order_in(demo_db, "awaiting_collection")
    assert snap_compare(app_for(demo_db), terminal_size=BIG,
                        run_before=at_order(order["id"], "s", "enter", "s", done=answered))


def test_order_with_cancellation_requested(demo_db, snap_compare):
    order = order_in(demo_db, "awaiting_collection")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, press=["escape"],
                        run_before=at_order(order["id"], "s", "enter", "s", done=answered))


# -- in transit: Refuse delivery ------------------------------------------------------------------
@pytest.mark.parametrize("size", [BIG, SMALL], ids=["100x32", "80x24"])
def test_order_in_transit(demo_db, snap_compare, size):
    order = order_in(demo_db, "in_transit")
    assert snap_compare(app_for(demo_db), terminal_size=size, run_before=at_order(order["id"]))


def test_refuse_delivery_warning(demo_db, snap_compare):
    order = order_in(demo_db, "in_transit")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, run_before=at_order(order["id"], "r"))


def test_refuse_delivery_done(demo_db, snap_compare):
    order = order_in(demo_db, "in_transit")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, run_before=at_order(order["id"], "r", "y"))


# -- cancelled: Buy again -----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [BIG, SMALL], ids=["100x32", "80x24"])
def test_order_cancelled(demo_db, snap_compare, size):
    order = order_in(demo_db, "cancelled")
    assert snap_compare(app_for(demo_db), terminal_size=size, run_before=at_order(order["id"]))


def test_buy_again(demo_db, snap_compare):
    order = order_in(demo_db, "cancelled")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, run_before=at_order(order["id"], "b", "plus"))


def test_buy_again_confirm(demo_db, snap_compare):
    """Issue 17: the prices and the total first; p asks to confirm that total."""
    order = order_in(demo_db, "cancelled")
    assert snap_compare(app_for(demo_db), terminal_size=BIG, run_before=at_order(order["id"], "b", "plus", "p"))


def test_buy_again_placed(demo_db, snap_compare):
    order = order_in(demo_db, "cancelled")
    with ids.deterministic(3):  # the new order's ID is on the screen
        assert snap_compare(app_for(demo_db), terminal_size=BIG,
                            run_before=at_order(order["id"], "b", "plus", "p", "p"))


# -- why a cancel can fail ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [BIG, SMALL], ids=["100x32", "80x24"])
def test_order_outdated_app(demo_db, snap_compare, size):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db, app_version="29.4.1"), terminal_size=size,
                        run_before=at_order(order["id"]))


def no_answer(app) -> bool:
    return getattr(app.screen, "state", None) == "no_answer"


def test_slow_network_no_answer_yet(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")
    app = app_for(demo_db, simulate="slow-network")
    held_late_answers(app)  # none arrives under the picture
    assert snap_compare(app, terminal_size=BIG,
                        run_before=at_order(order["id"], "c", "enter", "s", done=no_answer))


def test_slow_network_late_success_after_retry(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")

    app = app_for(demo_db, simulate="slow-network")
    late = held_late_answers(app)

    async def run_before(pilot):
        await at_order(order["id"], "c", "enter", "s", done=no_answer)(pilot)
        await pilot.press("r")
        late.set()
        await settle_until(pilot, lambda: pilot.app.screen.state == "done", "the late answer is shown")
        await settle_until(pilot, lambda: not delivering(pilot.app), "both late answers arrive")

    assert snap_compare(app, terminal_size=BIG, run_before=run_before)


def test_no_network(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db, simulate="no-network"), terminal_size=BIG,
                        run_before=at_order(order["id"], "c", "enter", "s", done=no_answer))


def test_system_error(demo_db, snap_compare):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(app_for(demo_db, simulate="system-error"), terminal_size=BIG,
                        run_before=at_order(order["id"], "c", "enter", "s", done=answered))


def test_cancellation_of_order_failed_packed_meanwhile(demo_db, snap_compare):
    order = order_in(demo_db, "awaiting_shipment", shop="Lakehouse Home")

    async def run_before(pilot):
        await at_order(order["id"], "c", "enter")(pilot)
        other_station = Database(demo_db.url)
        for package in order["packages"]:
            if package["status"] == "awaiting_shipment":
                assert services.pack(other_station, package["id"], now=NOW).ok
        other_station.dispose()
        await pilot.press("s")
        await settle_until(pilot, lambda: answered(pilot.app), "the answer is shown")

    assert snap_compare(app_for(demo_db), terminal_size=BIG, run_before=run_before)
