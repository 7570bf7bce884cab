"""The SLA clock (issue 15): the system cancels an unpaid order after the shop's payment
window, a package not packed within the dispatch window and a packed package not
collected by the order's ship-by, as a full cancellation (role `system`), once.
Runs on SQLite, and on PostgreSQL with $ORDERDESK_TEST_DATABASE_URL (tests.databases)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import rules, services, synthetic
from core.db import Database
from core.models import Order, Shop
from tests.core.builders import NOW, STOCK, oid, pid, simple_order, split_order

O1, P1 = oid(1), pid(1)
SECOND = timedelta(seconds=1)
PAID_AT = NOW - timedelta(hours=4)  # builders.PAID, 08:00
CREATED_AT = PAID_AT - timedelta(minutes=1)
PAY_BY = CREATED_AT + timedelta(hours=24)
PACK_BY = PAID_AT + timedelta(hours=48)
COLLECT_BY = PAID_AT + timedelta(hours=72)  # the order's ship_by

KINDS = {  # reason: (the order, its deadline)
    "payment_overdue": (lambda: simple_order(1, paid=None), PAY_BY),
    "dispatch_timeout": (lambda: simple_order(1), PACK_BY),
    "collection_timeout": (lambda: simple_order(1, status="awaiting_collection"), COLLECT_BY),
}


def settle(world, now) -> int:
    result = services.process_due(world.db, now=now)
    assert result.ok, result
    return result.record["auto_cancelled"]


@pytest.mark.parametrize("reason", list(KINDS))
def test_each_deadline_cancels_at_its_instant_and_not_a_second_before(make_world, reason):
    spec, deadline = KINDS[reason]
    w = make_world(spec())
    assert w.order(O1).ship_by == (None if reason == "payment_overdue" else COLLECT_BY)
    before = w.dump()
    assert settle(w, deadline - SECOND) == 0
    assert not services.has_due(w.db, deadline - SECOND)
    assert w.dump() == before  # nothing at all changed

    assert services.has_due(w.db, deadline)
    assert settle(w, deadline) == 1
    [record] = w.cancellations(O1)
    assert (record.role, record.type, record.scope, record.reason, record.status) == (
        "system", "cancel", "order", reason, "success")
    assert w.order(O1).status == "cancelled" and w.package(P1).status == "cancelled"
    assert (record.refund_total > 0) == (reason != "payment_overdue")  # unpaid: nothing to refund
    # a full cancellation: stock back, the buyer told in the app and by email, an audit event
    assert w.stock("MUG") == STOCK + 3 and w.stock("LAMP") == STOCK + 1
    assert [n["title"] for n in w.notifications()] == ["Order cancelled"]
    [email] = w.outbox()
    assert rules.REASON_TEXT[reason] in email["body"]
    [event] = w.events(O1, "cancelled")
    assert event["actor"] == "system"

    # run twice = once
    after = w.dump()
    assert settle(w, deadline) == 0
    assert settle(w, deadline + timedelta(days=3)) == 0
    assert w.dump() == after


def test_a_paid_order_is_not_cancelled_for_payment(make_world):
    w = make_world(simple_order(1))  # paid at 08:00: its payment window no longer matters
    assert settle(w, PAY_BY + timedelta(hours=1)) == 0
    assert w.order(O1).status == "awaiting_shipment"


def test_packing_in_time_stops_the_dispatch_clock_and_starts_collection(make_world):
    w = make_world(simple_order(1))
    assert services.pack(w.db, P1, now=PACK_BY - SECOND).ok
    assert settle(w, PACK_BY + timedelta(hours=1)) == 0
    assert w.order(O1).status == "awaiting_collection"
    assert settle(w, COLLECT_BY) == 1
    assert w.cancellations(O1)[0].reason == "collection_timeout"


@pytest.mark.parametrize("status", ["in_transit", "delivered"])
def test_a_shipped_order_is_left_alone(make_world, status):
    w = make_world(simple_order(1, status=status))
    before = w.dump()
    assert settle(w, COLLECT_BY + timedelta(days=5)) == 0
    # (a delivered order may complete later; nothing is cancelled)
    assert w.cancellations(O1) == []
    assert w.dump()["packages"] == before["packages"]


def test_a_cancelled_order_is_left_alone(make_world):
    w = make_world(simple_order(1, then=[{"do": "cancel_order", "at": "2026-11-20T09:00:00Z",
                                          "reason": "pricing_error"}]))
    assert w.order(O1).status == "cancelled"
    before = w.dump()
    assert settle(w, COLLECT_BY + timedelta(days=1)) == 0
    assert w.dump() == before


def test_only_the_waiting_package_of_a_partially_shipping_order_is_cancelled(make_world):
    w = make_world(split_order(1, first="in_transit", second="awaiting_shipment"))
    assert w.order(O1).status == "partially_shipping"
    assert settle(w, PACK_BY - SECOND) == 0
    assert settle(w, PACK_BY) == 1
    [record] = w.cancellations(O1)
    assert (record.role, record.scope, record.package_id, record.reason) == (
        "system", "package", pid(12), "dispatch_timeout")
    assert w.package(pid(11)).status == "in_transit" and w.package(pid(12)).status == "cancelled"
    assert w.order(O1).status == "in_transit"
    assert record.refund_shipping == 0  # the order still ships: its shipping is not refunded


def test_each_package_runs_its_own_clock(make_world):
    w = make_world(split_order(1, first="awaiting_shipment", second="awaiting_collection"))
    assert settle(w, PACK_BY) == 1  # the unpacked one
    assert [(c.scope, c.package_id, c.reason) for c in w.cancellations(O1)] == [
        ("package", pid(11), "dispatch_timeout")]
    assert settle(w, COLLECT_BY) == 1  # then the packed one: the last live units, the whole order
    assert [(c.scope, c.reason) for c in w.cancellations(O1)][1] == ("order", "collection_timeout")
    assert w.order(O1).status == "cancelled"


def test_both_deadlines_passed_at_once_is_one_cancellation(make_world):
    w = make_world(split_order(1, first="awaiting_shipment", second="awaiting_collection"))
    assert settle(w, COLLECT_BY + timedelta(hours=1)) == 1
    [record] = w.cancellations(O1)
    assert (record.scope, record.reason) == ("order", "dispatch_timeout")  # the first to pass


def test_the_shop_settings_hold_the_windows(make_world):
    w = make_world(simple_order(1, paid=None), simple_order(2),
                   shop_settings={"pay_within_hours": 2, "pack_within_hours": 5})
    with w.db.read() as s:
        shop = s.get(Shop, 1)
        assert (shop.pay_within_hours, shop.pack_within_hours, shop.ship_within_hours) == (2, 5, 72)
    assert settle(w, CREATED_AT + timedelta(hours=2) - SECOND) == 0
    assert settle(w, CREATED_AT + timedelta(hours=2)) == 1
    assert settle(w, PAID_AT + timedelta(hours=5)) == 1
    assert [c.reason for c in w.cancellations(oid(2))] == ["dispatch_timeout"]


def test_a_command_sees_the_clock_first_and_a_refusal_rolls_it_back(make_world):
    """Time-driven work runs before a command's checks: packing at the deadline is too late;
    the refused command changes nothing, the clock's work included (the next one does it)."""
    w = make_world(simple_order(1))
    before = w.dump()
    result = services.pack(w.db, P1, now=PACK_BY)
    assert not result.ok and result.code == "wrong_package_status"
    assert w.dump() == before
    assert settle(w, PACK_BY) == 1


def test_two_stations_settling_at_once_cancel_once(make_world):
    orders = [simple_order(n) for n in range(1, 7)]
    w = make_world(*orders)
    url = w.db.engine.url.render_as_string(hide_password=False)
    barrier = threading.Barrier(4)
    totals, errors = [], []

    def station():
        db = Database(url, upgrade=False)
        try:
            barrier.wait(timeout=60)
            result = services.process_due(db, now=PACK_BY)
            assert result.ok, result
            totals.append(result.record["auto_cancelled"])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=station) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(totals) == 6
    for n in range(1, 7):
        assert [c.reason for c in w.cancellations(oid(n))] == ["dispatch_timeout"]
    assert w.count("outbox_emails") == 6


def test_deadlines_as_the_board_reads_them():
    class Row:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    shop = Row(pay_within_hours=24, pack_within_hours=48)
    packages = [Row(id="a", status="in_transit"), Row(id="b", status="awaiting_shipment"),
                Row(id="c", status="awaiting_collection"), Row(id="d", status="cancelled")]
    paid = Row(status="partially_shipping", created_at=CREATED_AT, paid_at=PAID_AT, ship_by=COLLECT_BY,
               sla_clock=True)
    assert rules.sla_deadlines(paid, shop, packages) == [
        rules.Deadline("dispatch_timeout", PACK_BY, ("b",)),
        rules.Deadline("collection_timeout", COLLECT_BY, ("c",))]
    unpaid = Row(status="unpaid", created_at=CREATED_AT, paid_at=None, ship_by=None, sla_clock=True)
    assert rules.sla_deadlines(unpaid, shop, packages) == [
        rules.Deadline("payment_overdue", PAY_BY, ("a", "b", "c"))]
    assert rules.sla_level(NOW + timedelta(hours=12), NOW) is None
    assert rules.sla_level(NOW + timedelta(hours=12) - SECOND, NOW) == "amber"
    assert rules.sla_level(NOW + timedelta(hours=2), NOW) == "amber"
    assert rules.sla_level(NOW + timedelta(hours=2) - SECOND, NOW) == "red"
    assert rules.sla_level(NOW - timedelta(hours=1), NOW) == "red"
    assert rules.sla_level(None, NOW) is None


def test_what_the_clock_leaves_delivered_long_ago_completes_in_the_same_run(make_world):
    w = make_world(split_order(1, first="delivered", second="awaiting_shipment"))
    late = PAID_AT + timedelta(days=40)  # both the pack-by and the return window passed
    done = services.process_due(w.db, now=late).record
    assert (done["auto_cancelled"], done["completed"]) == (1, 1)
    assert w.order(O1).status == "completed"
    again = services.process_due(w.db, now=late).record
    assert again["auto_cancelled"] == again["completed"] == 0


def test_synthetic_shops_meet_their_sla(tmp_path):
    """Generated history has no order still waiting past a deadline (such orders would have
    been cancelled by the system): loading it cancels nothing."""
    from tests.databases import fresh_url

    db = Database(fresh_url(tmp_path))
    try:
        synthetic.generate(db, 3000, seed=7, now=NOW, workers=0)
        assert services.process_due(db, now=NOW).record["auto_cancelled"] == 0
        with db.read() as session:
            late = session.exec(select(func.count()).select_from(Order).where(
                Order.status.in_(("awaiting_shipment", "awaiting_collection", "partially_shipping")),
                Order.paid_at <= NOW - timedelta(hours=40))).one()
        assert late > 0  # orders near their deadlines are there, only none past them
    finally:
        db.dispose()
