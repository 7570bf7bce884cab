"""The commands, against a real SQLite database: what changes on success, and that a
refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text

from core import services
from core.clock import as_utc
from core.models import Notification
from core.queries.buy_again import quote
from tests.core.builders import (
    BUYER, LAMP_PAID, LAMP_TAX, MUG_PAID, MUG_TAX, NOW, OTHER_BUYER, OTHER_SHOP, PAID_ON_HOLD, SHOP,
    SIMPLE_TOTAL, STOCK, lid, oid, pid, simple_order, split_order,
)

O1, P1 = oid(1), pid(1)
MUG, LAMP = lid(11), lid(12)  # simple_order(1)'s lines: MUG x3, LAMP x1
LATER = NOW + timedelta(minutes=5)


def ok(result):
    assert result.ok, result
    return result


def refused(result, code):
    assert not result.ok, result
    assert result.code == code, result
    assert result.message
    return result


# -- buyer cancel ---------------------------------------------------------------------------
def test_buyer_cancel_cancels_the_whole_order_with_every_effect(make_world):
    w = make_world(simple_order(1))
    result = ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW, user=BUYER))

    record = result.record
    assert (record["type"], record["role"], record["scope"], record["status"]) == (
        "buyer_cancel", "buyer", "order", "success")
    assert record["refund"] == {"subtotal": MUG_PAID + LAMP_PAID, "shipping": 599,
                                "tax": MUG_TAX + LAMP_TAX + 50, "total": SIMPLE_TOTAL}
    assert {(ln["line_id"], ln["quantity"]) for ln in record["lines"]} == {(MUG, 3), (LAMP, 1)}

    view = w.view(O1)
    assert view["status"] == "cancelled"
    assert [p["status"] for p in view["packages"]] == ["cancelled"]
    assert [ln["cancelled_quantity"] for ln in view["lines"]] == [3, 1]
    assert view["totals"]["refunded"] == view["totals"]["total"] == SIMPLE_TOTAL
    assert (w.stock("MUG"), w.stock("LAMP")) == (STOCK + 3, STOCK + 1)

    [note] = w.notifications()
    assert note["title"] == "Order cancelled"
    assert "$74.72" in note["body"]
    [email] = w.outbox()
    assert email["to"] == "mia@example.com"
    assert O1 in email["subject"]
    assert email["cancellation_id"] == record["id"]
    assert "No longer needed" in email["body"]
    assert len(w.events(O1, "cancelled")) == 1
    assert view["actions"]["buyer"] == ["buy_again"]


@pytest.mark.parametrize("spec", [
    simple_order(1, paid=None),  # unpaid
    simple_order(1, paid=PAID_ON_HOLD),  # on hold
])
def test_buyer_cancels_unpaid_and_on_hold_orders_at_once(make_world, spec):
    w = make_world(spec)
    status = w.order(O1).status
    assert status in ("unpaid", "on_hold")
    record = ok(services.buyer_cancel(w.db, O1, "bought_by_mistake", now=NOW)).record
    assert w.order(O1).status == "cancelled"
    # an order never paid refunds nothing; a paid one on hold refunds everything
    assert record["refund"]["total"] == (0 if status == "unpaid" else SIMPLE_TOTAL)
    assert (w.stock("MUG"), w.stock("LAMP")) == (STOCK + 3, STOCK + 1)


def test_buyer_cancel_after_the_auto_approve_window_is_a_request(make_world):
    w = make_world(simple_order(1), shop_settings={"auto_approve_hours": 1})  # paid 4 hours ago
    result = ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW))
    assert result.record["status"] == "request_pending"
    assert result.record["deadline_at"] == (NOW + timedelta(hours=24)).isoformat()
    view = w.view(O1)
    assert view["status"] == "awaiting_shipment"
    assert view["pending_request"]["id"] == result.record["id"]
    assert [ln["cancelled_quantity"] for ln in view["lines"]] == [0, 0]
    assert w.count("outbox_emails") == 0
    assert len(w.events(O1, "cancellation_requested")) == 1
    # and the buyer can't cancel again while it waits
    refused(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW), "request_pending")


@pytest.mark.parametrize("status, code, next_step", [
    ("awaiting_collection", "order_packed", "contact_seller"),
    ("in_transit", "order_shipped", "refuse_delivery"),
    ("delivered", "order_delivered", None),
])
def test_buyer_cannot_cancel_a_packed_or_shipped_order(make_world, status, code, next_step):
    w = make_world(simple_order(1, status=status))
    before = w.dump()
    result = refused(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW), code)
    assert result.details["next_step"] == next_step
    assert w.dump() == before


def test_buyer_cannot_cancel_a_partially_shipping_order(make_world):
    w = make_world(split_order(1, second="in_transit"))
    assert w.order(O1).status == "partially_shipping"
    result = refused(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW), "order_shipped")
    assert result.details["next_step"] == "refuse_delivery"


def test_buyer_cannot_cancel_twice(make_world):
    w = make_world(simple_order(1))
    ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW))
    result = refused(services.buyer_cancel(w.db, O1, "no_longer_needed", now=LATER), "order_cancelled")
    assert result.details["next_step"] == "buy_again"
    assert w.count("cancellations") == 1


@pytest.mark.parametrize("kwargs, code", [
    ({"reason": "because"}, "unknown_reason"),
    ({"reason": "out_of_stock"}, "reason_not_match"),  # a seller's reason
    ({"reason": "change_payment"}, "reason_not_match"),  # only fits an unpaid order
    ({"user": OTHER_BUYER}, "forbidden"),
    ({"app_version": "29.0.0"}, "app_outdated"),
    ({"app_version": "new"}, "bad_input"),
    ({"order_id": oid(99)}, "unknown_order"),
])
def test_buyer_cancel_refusals(make_world, kwargs, code):
    w = make_world(simple_order(1))
    args = {"order_id": O1, "reason": "no_longer_needed", **kwargs}
    before = w.dump()
    result = refused(services.buyer_cancel(w.db, args.pop("order_id"), args.pop("reason"), now=NOW, **args),
                     code)
    if code == "app_outdated":
        assert result.details["next_step"] == "update_app"
    assert w.dump() == before


# -- requests -----------------------------------------------------------------------------
def packed_order_with_request(make_world, **kw):
    w = make_world(simple_order(1, status="awaiting_collection"), **kw)
    request = ok(services.request_cancellation(w.db, O1, "change_address", now=NOW, user=BUYER)).record
    return w, request


def test_request_cancellation_on_a_packed_order(make_world):
    w, request = packed_order_with_request(make_world)
    assert (request["type"], request["role"], request["status"], request["reason"]) == (
        "buyer_cancel", "buyer", "request_pending", "change_address")
    assert request["deadline_at"] == (NOW + timedelta(hours=24)).isoformat()
    view = w.view(O1)
    assert view["status"] == "awaiting_collection"
    assert view["pending_request"]["id"] == request["id"]
    assert view["actions"]["buyer"] == []  # nothing to do but wait
    refused(services.request_cancellation(w.db, O1, "change_address", now=LATER), "request_pending")


@pytest.mark.parametrize("status, code", [
    ("awaiting_shipment", "not_packed"), ("in_transit", "order_shipped"),
])
def test_request_only_for_packed_orders(make_world, status, code):
    w = make_world(simple_order(1, status=status))
    before = w.dump()
    refused(services.request_cancellation(w.db, O1, "change_address", now=NOW), code)
    assert w.dump() == before


@pytest.mark.parametrize("kwargs, code", [
    ({"user": OTHER_BUYER}, "forbidden"),
    ({"reason": "nope"}, "unknown_reason"),
    ({"reason": "pricing_error"}, "reason_not_match"),
    ({"reason": "change_payment"}, "reason_not_match"),  # it's paid
    ({"order_id": oid(99)}, "unknown_order"),
])
def test_request_cancellation_refusals(make_world, kwargs, code):
    w = make_world(simple_order(1, status="awaiting_collection"))
    args = {"order_id": O1, "reason": "change_address", **kwargs}
    before = w.dump()
    refused(services.request_cancellation(w.db, args.pop("order_id"), args.pop("reason"), now=NOW, **args),
            code)
    assert w.dump() == before


def test_approve_request_cancels_the_order_with_the_buyer_s_reason(make_world):
    w, request = packed_order_with_request(make_world)
    result = ok(services.approve_request(w.db, request["id"], now=LATER, shop=SHOP))
    assert result.record["id"] == request["id"]
    assert (result.record["status"], result.record["reason"]) == ("success", "change_address")
    assert result.record["refund"]["total"] == SIMPLE_TOTAL
    view = w.view(O1)
    assert view["status"] == "cancelled"
    assert view["pending_request"] is None
    assert w.count("cancellations") == 1
    [note] = w.notifications()
    assert note["title"] == "Order cancelled"
    assert w.count("outbox_emails") == 1
    assert (w.stock("MUG"), w.stock("LAMP")) == (STOCK + 3, STOCK + 1)
    # can't answer twice
    refused(services.approve_request(w.db, request["id"], now=LATER), "request_answered")
    refused(services.reject_request(w.db, request["id"], "already_packed", now=LATER), "request_answered")


@pytest.mark.parametrize("answer", ["seller", "time"])
def test_a_request_on_a_partly_shipped_order_cancels_what_has_not_been_collected(make_world, answer):
    """Issue 17: one package with the carrier, one not yet collected: Contact seller asks
    for the one not collected; approving it (the seller, or time) cancels that one only."""
    w = make_world(split_order(1, second="in_transit"))  # MUG x3 + LAMP x1 To Ship, VASE x2 with the carrier
    assert w.view(O1)["status"] == "partially_shipping"
    assert "request_cancel" in w.view(O1)["actions"]["buyer"]
    request = ok(services.request_cancellation(w.db, O1, "change_address", now=NOW, user=BUYER)).record
    if answer == "seller":
        ok(services.approve_request(w.db, request["id"], now=LATER, shop=SHOP))
    else:
        with w.db.write() as session:
            assert services.settle(session, NOW + timedelta(hours=25))["auto_approved"] == 1
    view = w.view(O1)
    assert {p["id"]: p["status"] for p in view["packages"]} == {pid(11): "cancelled", pid(12): "in_transit"}
    assert view["status"] == "in_transit" and view["pending_request"] is None
    [note] = w.notifications()
    assert note["title"] == "4 items cancelled, 2 already shipped"


def test_reject_request_keeps_the_order_and_tells_the_buyer(make_world):
    w, request = packed_order_with_request(make_world)
    result = ok(services.reject_request(w.db, request["id"], "already_packed", now=LATER, shop=SHOP))
    assert (result.record["status"], result.record["reject_reason"]) == ("closed", "already_packed")
    view = w.view(O1)
    assert view["status"] == "awaiting_collection"
    assert view["pending_request"] is None
    assert [ln["cancelled_quantity"] for ln in view["lines"]] == [0, 0]
    [note] = w.notifications()
    assert "declined" in note["title"].lower()
    assert "declined" in note["body"]
    assert "Product has been packed" in note["body"]
    assert w.count("outbox_emails") == 0
    assert len(w.events(O1, "request_rejected")) == 1
    before = w.dump()
    refused(services.reject_request(w.db, request["id"], "already_packed", now=LATER), "request_answered")
    refused(services.approve_request(w.db, request["id"], now=LATER), "request_answered")
    assert w.dump() == before
    # the buyer may ask again
    ok(services.request_cancellation(w.db, O1, "no_longer_needed", now=LATER))


@pytest.mark.parametrize("call, code", [
    (lambda db, rid: services.reject_request(db, rid, "multiple_packages", now=LATER), "reason_not_match"),
    (lambda db, rid: services.reject_request(db, rid, "pricing_error", now=LATER), "reason_not_match"),
    (lambda db, rid: services.reject_request(db, rid, "nope", now=LATER), "unknown_reason"),
    (lambda db, rid: services.reject_request(db, rid, "already_packed", now=LATER, shop=OTHER_SHOP),
     "forbidden"),
    (lambda db, rid: services.approve_request(db, rid, now=LATER, shop=OTHER_SHOP), "forbidden"),
    (lambda db, rid: services.approve_request(db, "458000000000000404", now=LATER), "unknown_request"),
    (lambda db, rid: services.reject_request(db, "458000000000000404", "already_packed", now=LATER),
     "unknown_request"),
])
def test_answering_a_request_refusals(make_world, call, code):
    w, request = packed_order_with_request(make_world)
    before = w.dump()
    refused(call(w.db, request["id"]), code)
    assert w.dump() == before


# -- seller cancel -------------------------------------------------------------------------
@pytest.mark.parametrize("reason, restocked", [
    ("pricing_error", True), ("unable_to_deliver", True), ("buyer_requested", True),
    ("out_of_stock", False),
])
def test_seller_cancels_the_whole_order(make_world, reason, restocked):
    w = make_world(simple_order(1, status="awaiting_collection"))
    record = ok(services.seller_cancel(w.db, O1, reason, now=NOW, shop=SHOP)).record
    assert (record["type"], record["role"], record["scope"], record["reason"]) == (
        "cancel", "seller", "order", reason)
    assert record["refund"]["total"] == SIMPLE_TOTAL
    assert w.order(O1).status == "cancelled"
    assert (w.stock("MUG"), w.stock("LAMP")) == ((STOCK + 3, STOCK + 1) if restocked else (STOCK, STOCK))
    [email] = w.outbox()
    assert email["subject"] == f"Your order was cancelled: order {O1}"
    assert SHOP in email["body"]
    assert len(w.notifications()) == 1


@pytest.mark.parametrize("reason, restocked", [("pricing_error", True), ("out_of_stock", False)])
def test_seller_cancels_one_package(make_world, reason, restocked):
    w = make_world(split_order(1))  # package 11 To Ship (MUG, LAMP), package 12 packed (VASE x2)
    record = ok(services.seller_cancel(w.db, O1, reason, now=NOW, package_id=pid(12))).record
    assert (record["scope"], record["package_id"]) == ("package", pid(12))
    vase_paid = 2 * 2500 - 50
    assert record["refund"] == {"subtotal": vase_paid, "shipping": 0, "tax": 200, "total": vase_paid + 200}
    assert w.package(pid(12)).status == "cancelled"
    assert w.package(pid(11)).status == "awaiting_shipment"
    assert w.order(O1).status == "awaiting_shipment"
    assert w.line(lid(13)).cancelled_quantity == 2
    assert w.line(lid(11)).cancelled_quantity == 0
    assert w.stock("VASE") == (STOCK + 2 if restocked else STOCK)
    [note] = w.notifications()
    assert note["title"] == "2 items cancelled, 4 still to ship"  # MUG x3 and LAMP x1 in package 11
    [email] = w.outbox()
    assert "Shipping is refunded when the whole order is cancelled" in email["body"]


def test_cancelling_the_last_package_refunds_shipping_and_cancels_the_order(make_world):
    w = make_world(split_order(1))
    ok(services.seller_cancel(w.db, O1, "pricing_error", now=NOW, package_id=pid(12)))
    record = ok(services.seller_cancel(w.db, O1, "pricing_error", now=LATER, package_id=pid(11))).record
    assert record["refund"]["shipping"] == 599
    view = w.view(O1)
    assert view["status"] == "cancelled"
    assert view["totals"]["refunded"] == view["totals"]["total"]


def test_seller_cancels_some_items_out_of_stock(make_world):
    w = make_world(simple_order(1))
    record = ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, shop=SHOP,
                                       items={MUG: 1})).record
    assert (record["scope"], record["reason"]) == ("items", "out_of_stock")
    assert record["lines"] == [{"line_id": MUG, "quantity": 1, "refund": 966 + 96,
                                "refund_subtotal": 966, "refund_tax": 96}]
    assert record["refund"] == {"subtotal": 966, "shipping": 0, "tax": 96, "total": 1062}
    view = w.view(O1)
    assert view["status"] == "awaiting_shipment"
    assert view["lines"][0]["cancelled_quantity"] == 1
    assert view["lines"][0]["item_cancel"] == {"allowed": True, "max_quantity": 2, "why_not": None}
    assert w.stock("MUG") == STOCK  # out of stock: nothing goes back
    [note] = w.notifications()
    assert note["title"] == "1 item cancelled, 3 still to ship"
    [email] = w.outbox()
    assert email["subject"] == f"Some items in your order were cancelled: order {O1}"
    assert "1 x Stoneware Mug (MUG): $10.62" in email["body"]


def test_cancelling_every_item_cancels_the_order_and_refunds_it_all(make_world):
    w = make_world(simple_order(1))
    ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={MUG: 2}))
    last = ok(services.seller_cancel(w.db, O1, "out_of_stock", now=LATER, items={MUG: 1, LAMP: 1})).record
    assert last["refund"]["shipping"] == 599
    view = w.view(O1)
    assert view["status"] == "cancelled"
    assert view["totals"]["refunded"] == SIMPLE_TOTAL


def test_items_in_a_packed_package_are_greyed_out(make_world):
    w = make_world(split_order(1))
    [mug, lamp, vase] = w.view(O1)["lines"]
    assert mug["item_cancel"]["allowed"] and lamp["item_cancel"]["allowed"]
    assert vase["item_cancel"]["allowed"] is False
    assert vase["item_cancel"]["max_quantity"] == 0
    assert "Awaiting Collection" in vase["item_cancel"]["why_not"]
    before = w.dump()
    refused(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={lid(13): 1}),
            "package_not_eligible")
    assert w.dump() == before


def test_an_empty_item_selection_cancels_nothing(make_world):
    w = make_world(simple_order(1))
    before = w.dump()
    refused(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={}), "bad_quantity")
    assert w.dump() == before


@pytest.mark.parametrize("quantity", [0, -1, 4, "2", 1.5, True])
def test_bad_item_quantity(make_world, quantity):
    w = make_world(simple_order(1))
    before = w.dump()
    result = refused(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={MUG: quantity}),
                     "bad_quantity")
    if quantity == 4:
        assert result.details["max_quantity"] == 3
    assert result.is_bad_input
    assert w.dump() == before


@pytest.mark.parametrize("spec, kwargs, code", [
    (simple_order(1), {"items": {lid(99): 1}}, "unknown_line"),
    (simple_order(1), {"package_id": pid(99)}, "unknown_package"),
    (simple_order(1), {"order_id": oid(99)}, "unknown_order"),
    (simple_order(1), {"reason": "nope"}, "unknown_reason"),
    (simple_order(1), {"reason": "no_longer_needed"}, "reason_not_match"),  # a buyer's reason
    (simple_order(1), {"items": {MUG: 1}, "reason": "pricing_error"}, "reason_not_match"),
    (simple_order(1), {"shop": OTHER_SHOP}, "forbidden"),
    (simple_order(1), {"items": {MUG: 1}, "package_id": P1}, "bad_input"),
    (simple_order(1, status="in_transit"), {}, "not_cancellable"),
    (simple_order(1, status="delivered"), {"package_id": P1}, "not_cancellable"),
    (simple_order(1, paid=None), {}, "not_cancellable"),  # unpaid: the system's job
    (simple_order(1, status="awaiting_collection"), {"items": {MUG: 1}}, "not_awaiting_shipment"),
    (split_order(1, second="in_transit"), {"package_id": pid(12)}, "not_cancellable"),
])
def test_seller_cancel_refusals(make_world, spec, kwargs, code):
    w = make_world(spec)
    args = {"order_id": O1, "reason": "out_of_stock", **kwargs}
    before = w.dump()
    refused(services.seller_cancel(w.db, args.pop("order_id"), args.pop("reason"), now=NOW, **args), code)
    assert w.dump() == before


def test_partially_shipping_order_cancels_the_uncollected_package(make_world):
    w = make_world(split_order(1, first="in_transit", second="awaiting_collection"))
    assert w.order(O1).status == "partially_shipping"
    refused(services.seller_cancel(w.db, O1, "pricing_error", now=NOW), "not_cancellable")
    ok(services.seller_cancel(w.db, O1, "pricing_error", now=NOW, package_id=pid(12)))
    assert w.order(O1).status == "in_transit"


# -- logistics ------------------------------------------------------------------------------
def test_pack_then_handover_then_deliver(make_world):
    w = make_world(simple_order(1))
    result = ok(services.pack(w.db, P1, now=NOW, shop=SHOP))
    assert result.record["status"] == "awaiting_collection"
    assert result.record["tracking_number"]
    assert w.order(O1).status == "awaiting_collection"
    refused(services.pack(w.db, P1, now=NOW), "wrong_package_status")

    ok(services.handover(w.db, P1, now=LATER))
    assert (w.package(P1).status, w.order(O1).status) == ("in_transit", "in_transit")
    refused(services.handover(w.db, P1, now=LATER), "wrong_package_status")

    delivered_at = LATER + timedelta(days=2)
    ok(services.deliver(w.db, P1, now=delivered_at))
    assert (w.package(P1).status, w.order(O1).status) == ("delivered", "delivered")
    assert w.order(O1).completes_at == delivered_at + timedelta(days=30)
    refused(services.deliver(w.db, P1, now=delivered_at), "wrong_package_status")
    kinds = [e["kind"] for e in w.events(O1)]
    assert kinds[-3:] == ["packed", "handed_over", "delivered"]


def test_split_order_statuses_follow_their_packages(make_world):
    w = make_world(split_order(1, first="awaiting_shipment", second="awaiting_shipment"))
    ok(services.pack(w.db, pid(11), now=NOW))
    assert w.order(O1).status == "awaiting_shipment"  # the least advanced package wins
    ok(services.handover(w.db, pid(11), now=NOW))
    assert w.order(O1).status == "partially_shipping"
    ok(services.pack(w.db, pid(12), now=NOW))
    assert w.order(O1).status == "partially_shipping"
    ok(services.handover(w.db, pid(12), now=NOW))
    assert w.order(O1).status == "in_transit"


@pytest.mark.parametrize("action, status", [
    ("pack", "awaiting_collection"), ("pack", "in_transit"), ("handover", "awaiting_shipment"),
    ("handover", "delivered"), ("deliver", "awaiting_collection"), ("deliver", "returned"),
    ("receive_return", "in_transit"), ("receive_return", "delivered"),
])
def test_logistics_in_the_wrong_package_status(make_world, action, status):
    w = make_world(simple_order(1, status=status))
    before = w.dump()
    refused(getattr(services, action)(w.db, P1, now=NOW), "wrong_package_status")
    assert w.dump() == before


@pytest.mark.parametrize("call, code", [
    (lambda db: services.pack(db, pid(99), now=NOW), "unknown_package"),
    (lambda db: services.pack(db, P1, now=NOW, shop=OTHER_SHOP), "forbidden"),
])
def test_logistics_refusals(make_world, call, code):
    w = make_world(simple_order(1))
    before = w.dump()
    refused(call(w.db), code)
    assert w.dump() == before


def test_cannot_pack_an_order_on_hold(make_world):
    w = make_world(simple_order(1, paid=PAID_ON_HOLD))
    before = w.dump()
    refused(services.pack(w.db, P1, now=NOW), "not_ready_to_ship")
    assert w.dump() == before


def test_handover_rejects_a_pending_request(make_world):
    w, request = packed_order_with_request(make_world)
    ok(services.handover(w.db, P1, now=LATER))
    [record] = w.cancellations(O1)
    assert (record.status, record.reject_reason) == ("closed", "already_shipped")
    view = w.view(O1)
    assert view["status"] == "in_transit"
    assert view["pending_request"] is None
    [rejected] = w.events(O1, "request_rejected")
    assert rejected["actor"] == "system"
    [note] = w.notifications()
    assert "declined" in note["body"]


def test_refuse_delivery_returns_the_package_and_marks_the_buyer(make_world):
    w = make_world(simple_order(1, status="in_transit"))
    assert w.buyer().refusal_count == 0
    result = ok(services.refuse_delivery(w.db, P1, now=NOW, user=BUYER))
    assert result.record["status"] == "returned"
    assert w.buyer().refusal_count == 1
    assert w.view(O1)["buyer_refusals"] == 1
    assert w.order(O1).status == "in_transit"  # on its way back
    [note] = w.notifications()
    assert note["title"] == "Delivery refused"
    assert w.count("cancellations") == 0  # nothing is refunded until it is back
    refused(services.refuse_delivery(w.db, P1, now=NOW), "not_in_transit")
    assert w.buyer().refusal_count == 1


@pytest.mark.parametrize("status, kwargs, code", [
    ("delivered", {}, "not_in_transit"),
    ("awaiting_collection", {}, "not_in_transit"),
    ("in_transit", {"user": OTHER_BUYER}, "forbidden"),
])
def test_refuse_delivery_refusals(make_world, status, kwargs, code):
    w = make_world(simple_order(1, status=status))
    before = w.dump()
    refused(services.refuse_delivery(w.db, P1, now=NOW, **kwargs), code)
    assert w.dump() == before


def test_receive_return_cancels_and_refunds_the_refused_units(make_world):
    w = make_world(simple_order(1, status="in_transit"))
    ok(services.refuse_delivery(w.db, P1, now=NOW))
    record = ok(services.receive_return(w.db, P1, now=LATER)).record
    assert (record["role"], record["type"], record["reason"], record["scope"]) == (
        "system", "cancel", "package_rejected", "package")
    assert record["refund"]["total"] == SIMPLE_TOTAL
    assert w.package(P1).status == "cancelled"
    assert w.order(O1).status == "cancelled"
    assert (w.stock("MUG"), w.stock("LAMP")) == (STOCK + 3, STOCK + 1)
    assert w.count("outbox_emails") == 1
    refused(services.receive_return(w.db, P1, now=LATER), "wrong_package_status")


def test_split_order_with_one_refused_package_completes_after_the_return_window(make_world):
    w = make_world(split_order(1, first="in_transit", second="in_transit"))
    delivered_at = NOW
    ok(services.deliver(w.db, pid(11), now=delivered_at))
    ok(services.refuse_delivery(w.db, pid(12), now=delivered_at))
    ok(services.receive_return(w.db, pid(12), now=delivered_at + timedelta(days=3)))
    assert w.order(O1).status == "delivered"
    window_end = delivered_at + timedelta(days=30)
    assert ok(services.process_due(w.db, now=window_end - timedelta(seconds=1))).record["completed"] == 0
    assert ok(services.process_due(w.db, now=window_end)).record["completed"] == 1
    assert w.order(O1).status == "completed"


# -- buy again ---------------------------------------------------------------------------
def test_buy_again_places_a_new_order_on_hold(make_world):
    w = make_world(simple_order(1))
    ok(services.buyer_cancel(w.db, O1, "add_items", now=NOW))
    result = ok(services.buy_again(w.db, O1, now=LATER, user=BUYER))
    new_id = result.record["id"]
    assert new_id != O1
    view = w.view(new_id, now=LATER)
    assert view["status"] == "on_hold"
    assert view["buyer"] == BUYER
    assert view["address"] == "1 Elm St, Springfield"
    assert {(ln["sku"], ln["quantity"]) for ln in view["lines"]} == {("MUG", 3), ("LAMP", 1)}
    assert w.order(new_id).hold_until == LATER + timedelta(minutes=60)
    assert (w.stock("MUG"), w.stock("LAMP")) == (STOCK, STOCK)  # +3/+1 on cancel, -3/-1 now
    assert w.order(O1).status == "cancelled"


def test_buy_again_with_other_quantities_and_address(make_world):
    w = make_world(simple_order(1))
    ok(services.buyer_cancel(w.db, O1, "change_address", now=NOW))
    new_id = ok(services.buy_again(w.db, O1, now=LATER, quantities={"MUG": 5, "LAMP": 0},
                                   address="2 New Rd")).record["id"]
    view = w.view(new_id, now=LATER)
    assert [(ln["sku"], ln["quantity"]) for ln in view["lines"]] == [("MUG", 5)]
    assert view["address"] == "2 New Rd"
    assert w.stock("MUG") == STOCK + 3 - 5


@pytest.mark.parametrize("kwargs, code", [
    ({"quantities": {"MUG": STOCK + 4}}, "out_of_stock"),  # 13 in stock after the cancel
    ({"quantities": {"TEA": 1}}, "unknown_line"),
    ({"quantities": {"MUG": -1}}, "bad_quantity"),
    ({"quantities": {"MUG": 0, "LAMP": 0}}, "bad_quantity"),
    ({"user": OTHER_BUYER}, "forbidden"),
])
def test_buy_again_refusals(make_world, kwargs, code):
    w = make_world(simple_order(1))
    ok(services.buyer_cancel(w.db, O1, "add_items", now=NOW))
    before = w.dump()
    refused(services.buy_again(w.db, O1, now=LATER, **kwargs), code)
    assert w.dump() == before


def test_buy_again_refused_when_stock_is_short(make_world):
    w = make_world(simple_order(1), stock=0)
    ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW))  # nothing goes back to stock
    before = w.dump()
    result = refused(services.buy_again(w.db, O1, now=LATER), "out_of_stock")
    assert "Only 0" in result.message
    assert w.dump() == before


def test_buy_again_only_for_cancelled_orders(make_world):
    w = make_world(simple_order(1))
    before = w.dump()
    refused(services.buy_again(w.db, O1, now=NOW), "not_cancelled")
    assert w.dump() == before


# -- time --------------------------------------------------------------------------------
def test_hold_window_end_releases_the_order(make_world):
    w = make_world(simple_order(1, paid=PAID_ON_HOLD))  # hold until 12:30
    hold_end = NOW + timedelta(minutes=30)
    assert w.order(O1).status == "on_hold"
    assert ok(services.process_due(w.db, now=hold_end - timedelta(seconds=1))).record["released"] == 0
    assert services.has_due(w.db, hold_end)
    assert ok(services.process_due(w.db, now=hold_end)).record == {
        "released": 1, "auto_approved": 0, "auto_cancelled": 0, "completed": 0}
    assert w.order(O1).status == "awaiting_shipment"
    assert len(w.events(O1, "hold_ended")) == 1
    assert not services.has_due(w.db, hold_end)
    ok(services.pack(w.db, P1, now=hold_end))


def test_unanswered_request_is_approved_by_the_system_after_24_hours(make_world):
    w, request = packed_order_with_request(make_world)
    deadline = NOW + timedelta(hours=24)
    assert ok(services.process_due(w.db, now=deadline - timedelta(seconds=1))).record["auto_approved"] == 0
    assert w.order(O1).status == "awaiting_collection"
    assert ok(services.process_due(w.db, now=deadline)).record["auto_approved"] == 1
    [record] = w.cancellations(O1)
    assert (record.status, record.role, record.reason) == ("success", "buyer", "change_address")
    assert record.refund_total == SIMPLE_TOTAL
    assert w.order(O1).status == "cancelled"
    assert len(w.events(O1, "request_auto_approved")) == 1
    assert w.count("outbox_emails") == 1
    # nothing more to do
    assert ok(services.process_due(w.db, now=deadline + timedelta(hours=1))).record["auto_approved"] == 0


def test_delivered_order_completes_after_the_return_window(make_world):
    w = make_world(simple_order(1, status="in_transit"))
    ok(services.deliver(w.db, P1, now=NOW))
    window_end = NOW + timedelta(days=30)
    assert ok(services.process_due(w.db, now=window_end - timedelta(seconds=1))).record["completed"] == 0
    assert ok(services.process_due(w.db, now=window_end)).record["completed"] == 1
    order_ = w.order(O1)
    assert (order_.status, order_.completed_at) == ("completed", window_end)
    refused(services.buyer_cancel(w.db, O1, "no_longer_needed", now=window_end), "order_delivered")


# -- retries ------------------------------------------------------------------------------
TABLES_A_RETRY_COULD_TOUCH = ("cancellations", "cancellation_lines", "notifications", "outbox_emails",
                              "order_events")


def test_buyer_cancel_retry_with_the_same_key_changes_nothing(make_world):
    w = make_world(simple_order(1))
    first = ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW, idempotency_key="k-1"))
    assert first.replayed is False
    before = w.dump()
    again = ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=LATER, idempotency_key="k-1"))
    assert again.replayed is True
    assert again.record == first.record
    assert w.dump() == before
    assert w.count("cancellations") == 1


def test_seller_item_cancel_retry_never_cancels_twice(make_world):
    w = make_world(simple_order(1))
    first = ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={MUG: 1},
                                      idempotency_key="k-2"))
    counts = {t: w.count(t) for t in TABLES_A_RETRY_COULD_TOUCH}
    again = ok(services.seller_cancel(w.db, O1, "out_of_stock", now=LATER, items={MUG: 1},
                                      idempotency_key="k-2"))
    assert again.replayed and again.record["id"] == first.record["id"]
    assert {t: w.count(t) for t in TABLES_A_RETRY_COULD_TOUCH} == counts
    assert w.line(MUG).cancelled_quantity == 1


def test_request_retry_returns_the_same_request(make_world):
    w = make_world(simple_order(1, status="awaiting_collection"))
    first = ok(services.request_cancellation(w.db, O1, "change_address", now=NOW, idempotency_key="k-3"))
    before = w.dump()
    again = ok(services.request_cancellation(w.db, O1, "change_address", now=LATER, idempotency_key="k-3"))
    assert again.replayed and again.record["id"] == first.record["id"]
    assert w.dump() == before


def test_the_same_key_on_another_order_is_refused(make_world):
    w = make_world(simple_order(1), simple_order(2))
    ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW, idempotency_key="k-4"))
    before = w.dump()
    result = refused(services.buyer_cancel(w.db, oid(2), "no_longer_needed", now=NOW,
                                           idempotency_key="k-4"), "idempotency_key_reused")
    assert not result.is_bad_input  # a rule (exit 1): the key is taken
    refused(services.seller_cancel(w.db, oid(2), "pricing_error", now=NOW, idempotency_key="k-4"),
            "idempotency_key_reused")
    assert w.dump() == before
    assert w.order(oid(2)).status == "awaiting_shipment"


def test_two_stations_racing_with_one_key_the_second_is_refused(make_world, monkeypatch):
    """Two commands with one key at once both find it unused (`_replay` runs before either
    commits); the second's insert then meets the unique key, on PostgreSQL only when its
    pipelined writes are answered (core.db.pipeline): still refused, nothing written."""
    w = make_world(simple_order(1), simple_order(2))
    ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW, idempotency_key="k-9"))
    before = w.dump()
    monkeypatch.setattr(services, "_replay", lambda *args, **kwargs: None)  # not committed yet
    refused(services.seller_cancel(w.db, oid(2), "pricing_error", now=NOW, idempotency_key="k-9"),
            "idempotency_key_reused")
    assert w.dump() == before
    assert w.order(oid(2)).status == "awaiting_shipment"


@pytest.mark.parametrize("second", [
    {"reason": "pricing_error"},                          # another reason
    {"items": {MUG: 2}},                                  # other quantities
    {"items": {LAMP: 1}},                                 # another item
    {"items": None},                                      # another scope: the whole order
    {"items": None, "package_id": P1},                    # another scope: the package
], ids=["reason", "quantity", "item", "whole-order", "package"])
def test_a_key_reused_for_a_different_cancellation_is_refused(make_world, second):
    w = make_world(simple_order(1))
    first = ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={MUG: 1},
                                      idempotency_key="k-5"))
    before = w.dump()
    asked = {"reason": "out_of_stock", "items": {MUG: 1}, **second}
    result = refused(services.seller_cancel(w.db, O1, asked.pop("reason"), now=LATER,
                                            idempotency_key="k-5", **asked), "idempotency_key_reused")
    assert first.record["id"] in result.message and "new key" in result.message
    assert w.dump() == before
    assert w.line(MUG).cancelled_quantity == 1


def test_a_buyers_key_reused_by_the_seller_or_with_another_reason_is_refused(make_world):
    w = make_world(simple_order(1))
    ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW, idempotency_key="k-6"))
    before = w.dump()
    refused(services.buyer_cancel(w.db, O1, "better_price", now=LATER, idempotency_key="k-6"),
            "idempotency_key_reused")
    refused(services.seller_cancel(w.db, O1, "pricing_error", now=LATER, idempotency_key="k-6"),
            "idempotency_key_reused")
    assert w.dump() == before
    same = ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=LATER, idempotency_key="k-6"))
    assert same.replayed


# -- stale screens --------------------------------------------------------------------------
@pytest.mark.parametrize("moves, next_step", [
    (["pack"], "contact_seller"),
    (["pack", "handover"], "refuse_delivery"),
])
def test_buyer_cancel_after_the_order_moved_on_fails_with_the_next_step(make_world, moves, next_step):
    w = make_world(simple_order(1))
    seen = w.view(O1)
    assert seen["actions"]["buyer"] == ["cancel"]
    for move in moves:
        ok(getattr(services, move)(w.db, P1, now=NOW))
    before = w.dump()
    result = refused(services.buyer_cancel(w.db, O1, "no_longer_needed", now=LATER,
                                           expected_version=seen["version"]), "cancellation_failed")
    assert result.message.startswith("Cancellation of order failed")
    assert result.details["next_step"] == next_step
    assert result.details["version"] == w.order(O1).version != seen["version"]
    assert w.dump() == before


def test_stale_version_still_cancels_when_the_rules_still_allow_it(make_world):
    w = make_world(simple_order(1))
    seen = w.view(O1)["version"]
    ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={MUG: 1}))
    ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=LATER, expected_version=seen))
    assert w.order(O1).status == "cancelled"


def test_seller_refund_that_no_longer_matches_is_a_conflict(make_world):
    w = make_world(simple_order(1))
    reviewed = 1062  # one mug, as reviewed
    ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={MUG: 2}))  # someone else
    before = w.dump()
    result = refused(services.seller_cancel(w.db, O1, "out_of_stock", now=LATER, items={MUG: 1},
                                            expected_refund=reviewed), "conflict")
    assert result.details["refund"]["total"] == 967 + 97  # the last mug carries the rounding
    assert "$10.64" in result.message and "$10.62" in result.message
    assert w.dump() == before


def test_seller_refund_that_matches_goes_through(make_world):
    w = make_world(simple_order(1))
    record = ok(services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, items={MUG: 1},
                                       expected_refund=1062)).record
    assert record["refund"]["total"] == 1062


# -- the buyer's Inbox --------------------------------------------------------------------
def test_reading_a_message_marks_it_read_once_and_only_the_buyers_own(make_world):
    w = make_world(simple_order(1))
    ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW, user=BUYER))
    [note] = w.notifications()
    assert note["read"] is False
    before = w.dump()
    refused(services.mark_read(w.db, note["id"], now=LATER, user=OTHER_BUYER), "unknown_notification")
    refused(services.mark_read(w.db, 10_000, now=LATER, user=BUYER), "unknown_notification")
    assert w.dump() == before
    ok(services.mark_read(w.db, note["id"], now=LATER, user=BUYER))
    ok(services.mark_read(w.db, note["id"], now=LATER + timedelta(hours=1), user=BUYER))
    [note] = w.notifications()
    assert note["read"] is True
    with w.db.read() as session:
        assert as_utc(session.get(Notification, note["id"]).read_at) == LATER  # the first reading's time


def test_buy_again_quotes_exactly_what_it_then_charges(make_world):
    """Issue 17: the prices and total shown before Buy again are the new order's."""
    w = make_world(simple_order(1))
    ok(services.buyer_cancel(w.db, O1, "no_longer_needed", now=NOW, user=BUYER))
    with w.db.read() as session:
        quoted = quote(session, O1, {"LAMP": 2})
    assert [(l.sku, l.quantity) for l in quoted.lines] == [("MUG", 3), ("LAMP", 2)]
    assert not quoted.problems
    placed = ok(services.buy_again(w.db, O1, now=LATER, user=BUYER, quantities={"LAMP": 2})).record
    totals = w.view(placed["id"])["totals"]
    assert (quoted.subtotal, quoted.shipping, quoted.tax, quoted.total) == (
        totals["subtotal"], totals["shipping"], totals["tax"], totals["total"])
    with w.db.read() as session:
        too_many = quote(session, O1, {"MUG": STOCK + 100})
    assert any("lower the quantity" in p for p in too_many.problems)


def test_a_write_while_other_work_returns_its_connections_commits_and_says_so(make_world):
    """Other threads hand their connections back while a command commits (a full pool
    then closes the command's own): the command still ends as done, its change is there,
    and the connections it leaves in the pool serve the next read (on PostgreSQL, out of
    pipeline mode: core.db.pipeline)."""
    w = make_world(simple_order(1))
    held = [w.db.engine.connect() for _ in range(5)]
    for conn in held:
        conn.exec_driver_sql("SELECT 1")
    with w.db.write() as session:
        session.execute(text("UPDATE orders SET recipient = 'Packed By Hand' WHERE id = :id"), {"id": O1})
        for conn in held:
            conn.close()
    for _ in range(6):
        with w.db.read() as session:
            assert session.execute(text("SELECT recipient FROM orders WHERE id = :id"), {"id": O1}).scalar() \
                == "Packed By Hand"


def test_a_client_library_without_pipelines_still_cancels(make_world, monkeypatch):
    """psycopg on a libpq older than 14 has no pipeline mode: commands send their writes
    one by one instead of failing (on SQLite nothing is pipelined anyway)."""
    def libpq_13(check: bool = False) -> bool:
        if check:
            raise psycopg.NotSupportedError("Connection.pipeline() requires libpq 14.0 or greater")
        return False

    monkeypatch.setattr(psycopg.capabilities, "has_pipeline", libpq_13)
    w = make_world(simple_order(1))
    ok(services.seller_cancel(w.db, O1, "pricing_error", now=NOW, shop=SHOP))
    assert w.order(O1).status == "cancelled"
