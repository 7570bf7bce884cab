"""The rulebook (DOMAIN.md), row by row: who may cancel what, when, and why not."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from core import rules
from core.clock import parse_instant

PAID_AT = parse_instant("2026-11-20T08:00:00Z")
NOW = parse_instant("2026-11-20T08:30:00Z")
ALL_ORDER_STATUSES = rules.ORDER_STATUSES
ALL_PACKAGE_STATUSES = rules.PACKAGE_STATUSES


def an_order(status: str, paid_at=PAID_AT):
    return SimpleNamespace(status=status, paid_at=paid_at)


def a_shop(auto_approve_hours=None, min_app_version="30.0.0"):
    return SimpleNamespace(auto_approve_hours=auto_approve_hours, min_app_version=min_app_version)


def a_package(status: str, id="115000000000000001"):
    return SimpleNamespace(id=id, status=status)


def a_line(quantity=3, cancelled=0, package_id="115000000000000001"):
    return SimpleNamespace(id="172000000000000001", quantity=quantity, cancelled_quantity=cancelled,
                           package_id=package_id)


# -- the reason lists are DOMAIN.md's ------------------------------------------------------
def test_reason_keys_are_the_domain_lists():
    assert set(rules.BUYER_REASONS) == {
        "change_address", "better_price", "no_longer_needed", "change_payment",
        "discount_not_expected", "bought_by_mistake", "high_shipping_fee", "incorrect_address",
        "not_shipped_on_time", "forgot_coupon", "dont_want_to_wait", "add_items"}
    assert set(rules.SELLER_REASONS) == {"out_of_stock", "pricing_error", "unable_to_deliver",
                                         "buyer_requested"}
    assert set(rules.REJECT_REASONS) == {"multiple_packages", "cannot_change_address",
                                         "already_shipped", "already_packed"}
    assert set(rules.SYSTEM_REASONS) == {"package_rejected", "delivery_failed", "collection_timeout",
                                         "payment_overdue", "seller_no_response", "dispatch_timeout"}


# -- buyer (seed 000) --------------------------------------------------------------------
@pytest.mark.parametrize("status", ["unpaid", "on_hold", "awaiting_shipment"])
def test_buyer_cancels_at_once_until_packed(status):
    verdict = rules.buyer_cancel(an_order(status), a_shop(), NOW)
    assert verdict.allowed
    assert verdict.mode == "cancel"


@pytest.mark.parametrize("status, code, next_step", [
    ("awaiting_collection", "order_packed", "contact_seller"),
    ("partially_shipping", "order_shipped", "refuse_delivery"),
    ("in_transit", "order_shipped", "refuse_delivery"),
    ("delivered", "order_delivered", None),
    ("completed", "order_delivered", None),
    ("cancelled", "order_cancelled", "buy_again"),
])
def test_buyer_cannot_cancel_after_packing(status, code, next_step):
    verdict = rules.buyer_cancel(an_order(status), a_shop(), NOW)
    assert not verdict.allowed
    assert verdict.code == code
    assert verdict.next_step == next_step
    assert verdict.why_not


@pytest.mark.parametrize("status, packages, actions", [
    ("unpaid", ["awaiting_shipment"], ["cancel"]),
    ("on_hold", ["awaiting_shipment"], ["cancel"]),
    ("awaiting_shipment", ["awaiting_shipment", "awaiting_collection"], ["cancel"]),
    ("awaiting_collection", ["awaiting_collection"], ["request_cancel"]),
    ("partially_shipping", ["awaiting_collection", "in_transit"], ["request_cancel", "refuse_delivery"]),
    ("partially_shipping", ["awaiting_collection", "delivered"], ["request_cancel"]),  # issue 17: no dead end
    ("in_transit", ["in_transit"], ["refuse_delivery"]),
    ("in_transit", ["returned", "delivered"], []),
    ("delivered", ["delivered"], []),
    ("completed", ["delivered"], []),
    ("cancelled", ["cancelled"], ["buy_again"]),
])
def test_buyer_actions_per_status(status, packages, actions):
    pkgs = [a_package(s, id=str(i)) for i, s in enumerate(packages)]
    assert rules.buyer_actions(an_order(status), a_shop(), pkgs, NOW) == actions


def test_a_refused_delivery_says_so_and_offers_nothing_more():
    """Issue 17: not "with the carrier… nothing to refuse yet" once the buyer refused it."""
    verdict = rules.buyer_cancel(an_order("in_transit"), a_shop(), NOW,
                                 packages=[a_package("returned", id="7")])
    assert (verdict.allowed, verdict.code, verdict.next_step) == (False, "delivery_refused", None)
    assert "You refused the delivery of package 7" in verdict.why_not and "carrier" not in verdict.why_not


@pytest.mark.parametrize("others", [["delivered"], ["in_transit"], ["returned"]])
def test_what_has_not_been_collected_can_be_asked_for(others):
    """Issue 17: one package delivered (or on its way), one not yet shipped: Contact seller."""
    packages = [a_package("awaiting_shipment", id="1"), *(a_package(s, id=str(i + 2)) for i, s in enumerate(others))]
    order = an_order("partially_shipping")
    verdict = rules.buyer_cancel(order, a_shop(), NOW, packages=packages)
    way_out = "refuse_delivery" if others == ["in_transit"] else "contact_seller"  # both are offered then
    assert (verdict.allowed, verdict.next_step) == (False, way_out)
    assert "Package 1 hasn't been collected yet" in verdict.why_not
    assert rules.buyer_request(order, packages=packages).allowed
    assert [p.id for p in rules.requested_packages(order, packages)] == ["1"]
    assert rules.request_approval(order, packages).allowed
    pending = rules.buyer_cancel(order, a_shop(), NOW, packages=packages, request_pending=True)
    assert pending.code == "request_pending" and pending.next_step is None


def test_buyer_with_a_pending_request_cannot_cancel_or_ask_again():
    verdict = rules.buyer_cancel(an_order("awaiting_shipment"), a_shop(), NOW, request_pending=True)
    assert (verdict.allowed, verdict.code) == (False, "request_pending")
    assert rules.buyer_request(an_order("awaiting_collection"), request_pending=True).code == "request_pending"
    assert rules.buyer_actions(an_order("awaiting_collection"), a_shop(), [a_package("awaiting_collection")],
                               NOW, request_pending=True) == []


@pytest.mark.parametrize("hours, minutes_after_payment, mode", [
    (None, 60 * 24 * 5, "cancel"),  # default: auto-approved until packed, however late
    (1, 59, "cancel"),
    (1, 60, "cancel"),  # the window's last instant still counts
    (1, 61, "request"),
    (3, 179, "cancel"),
    (3, 181, "request"),
    (5, 301, "request"),
])
def test_auto_approve_window_turns_a_late_cancel_into_a_request(hours, minutes_after_payment, mode):
    now = PAID_AT + timedelta(minutes=minutes_after_payment)
    verdict = rules.buyer_cancel(an_order("awaiting_shipment"), a_shop(auto_approve_hours=hours), now)
    assert verdict.allowed
    assert verdict.mode == mode


@pytest.mark.parametrize("status", ["unpaid", "on_hold"])
def test_auto_approve_window_only_applies_to_awaiting_shipment(status):
    now = PAID_AT + timedelta(hours=6)
    verdict = rules.buyer_cancel(an_order(status), a_shop(auto_approve_hours=1), now)
    assert verdict.mode == "cancel"


@pytest.mark.parametrize("app_version, min_version, allowed", [
    ("29.9.9", "30.0.0", False),
    ("30.0.0", "30.0.0", True),
    ("30.0.10", "30.0.9", True),  # compared as numbers, not text
    ("30.0.9", "30.0.10", False),
    ("34.1", "30.0.0", True),
])
def test_outdated_app_version_must_update(app_version, min_version, allowed):
    verdict = rules.buyer_cancel(an_order("awaiting_shipment"), a_shop(min_app_version=min_version),
                                 NOW, app_version=app_version)
    assert verdict.allowed is allowed
    if not allowed:
        assert verdict.code == "app_outdated"
        assert verdict.next_step == "update_app"
        assert min_version in verdict.why_not


def test_a_malformed_app_version_is_an_error():
    with pytest.raises(ValueError, match="not an app version"):
        rules.buyer_cancel(an_order("awaiting_shipment"), a_shop(), NOW, app_version="latest")


@pytest.mark.parametrize("status, allowed, code", [
    ("unpaid", False, "not_packed"),
    ("on_hold", False, "not_packed"),
    ("awaiting_shipment", False, "not_packed"),
    ("awaiting_collection", True, None),
    ("partially_shipping", False, "order_shipped"),
    ("in_transit", False, "order_shipped"),
    ("delivered", False, "order_delivered"),
    ("completed", False, "order_delivered"),
    ("cancelled", False, "order_cancelled"),
])
def test_buyer_request_only_for_a_packed_order(status, allowed, code):
    verdict = rules.buyer_request(an_order(status))
    assert (verdict.allowed, verdict.code) == (allowed, code)


@pytest.mark.parametrize("package_status", ALL_PACKAGE_STATUSES)
def test_refuse_delivery_only_in_transit(package_status):
    verdict = rules.refuse_delivery(an_order("in_transit"), a_package(package_status))
    assert verdict.allowed is (package_status == "in_transit")
    if not verdict.allowed:
        assert verdict.code == "not_in_transit"


# -- seller (seed 003) ----------------------------------------------------------------
@pytest.mark.parametrize("status", ALL_ORDER_STATUSES)
def test_seller_cancels_whole_order_before_collection(status):
    verdict = rules.seller_cancel_order(an_order(status))
    expected = status in ("on_hold", "awaiting_shipment", "awaiting_collection")
    assert verdict.allowed is expected
    if not expected:
        assert verdict.code == "not_cancellable"
        assert verdict.why_not


@pytest.mark.parametrize("package_status", ALL_PACKAGE_STATUSES)
def test_seller_cancels_a_package_awaiting_shipment_or_collection(package_status):
    verdict = rules.seller_cancel_package(an_order("awaiting_shipment"), a_package(package_status))
    expected = package_status in ("awaiting_shipment", "awaiting_collection")
    assert verdict.allowed is expected
    if not expected:
        assert verdict.code == "not_cancellable"
        assert rules.STATUS_LABELS[package_status] in verdict.why_not


@pytest.mark.parametrize("order_status, allowed", [
    ("unpaid", False),
    ("on_hold", True),
    ("awaiting_shipment", True),
    ("awaiting_collection", True),
    ("partially_shipping", True),  # cancel the packages the carrier doesn't have
    ("cancelled", False),
])
def test_package_cancel_depends_on_the_order_too(order_status, allowed):
    verdict = rules.seller_cancel_package(an_order(order_status), a_package("awaiting_collection"))
    assert verdict.allowed is allowed


@pytest.mark.parametrize("order_status", ALL_ORDER_STATUSES)
@pytest.mark.parametrize("package_status", ALL_PACKAGE_STATUSES)
def test_items_only_in_awaiting_shipment_order_and_package(order_status, package_status):
    verdict = rules.item_cancel(an_order(order_status), a_package(package_status),
                                a_line(quantity=5, cancelled=2))
    if order_status == package_status == "awaiting_shipment":
        assert verdict.allowed
        assert verdict.max_quantity == 3  # the live units
    else:
        assert not verdict.allowed
        assert verdict.max_quantity == 0
        assert verdict.why_not
        assert verdict.as_dict() == {"allowed": False, "max_quantity": 0, "why_not": verdict.why_not}


def test_greyed_out_line_in_a_packed_package_of_a_to_ship_order():
    """DOMAIN.md: split order, one package To Ship and one packed: the order is Awaiting
    Shipment, and the packed package's items are greyed out."""
    order = an_order(rules.derive_order_status(["awaiting_shipment", "awaiting_collection"], paid=True))
    assert order.status == "awaiting_shipment"
    verdict = rules.item_cancel(order, a_package("awaiting_collection"), a_line())
    assert (verdict.allowed, verdict.code, verdict.max_quantity) == (False, "package_not_eligible", 0)
    assert "Awaiting Collection" in verdict.why_not
    assert rules.item_cancel(order, a_package("awaiting_shipment"), a_line()).allowed


def test_fully_cancelled_line_is_greyed_out():
    verdict = rules.item_cancel(an_order("awaiting_shipment"), a_package("awaiting_shipment"),
                                a_line(quantity=2, cancelled=2))
    assert (verdict.allowed, verdict.code, verdict.max_quantity) == (False, "line_cancelled", 0)


# -- reasons ----------------------------------------------------------------------
# Partially Shipping: a request for what has not been collected (issue 17)
BUYER_STATUSES = ("unpaid", "on_hold", "awaiting_shipment", "awaiting_collection", "partially_shipping")
RESTRICTED = {
    "change_payment": {"unpaid"},
    "not_shipped_on_time": {"awaiting_shipment", "awaiting_collection", "partially_shipping"},
    "dont_want_to_wait": {"on_hold", "awaiting_shipment", "awaiting_collection", "partially_shipping"},
}


@pytest.mark.parametrize("status", ALL_ORDER_STATUSES)
@pytest.mark.parametrize("reason", sorted(rules.BUYER_REASONS))
def test_buyer_reason_fits_the_order_status(reason, status):
    fits = status in RESTRICTED.get(reason, BUYER_STATUSES)
    verdict = rules.reason_fits("buyer", reason, status)
    assert verdict.allowed is fits
    if not fits:
        assert verdict.code == "reason_not_match"
    assert (reason in rules.buyer_reasons_for(status)) is fits


@pytest.mark.parametrize("actor", ["buyer", "seller", "reject"])
def test_unknown_reason(actor):
    verdict = rules.reason_fits(actor, "because", "awaiting_shipment")
    assert (verdict.allowed, verdict.code) == (False, "unknown_reason")
    assert "because" in verdict.why_not


@pytest.mark.parametrize("actor, reason", [
    ("buyer", "out_of_stock"), ("buyer", "already_packed"), ("buyer", "package_rejected"),
    ("seller", "no_longer_needed"), ("seller", "multiple_packages"), ("seller", "seller_no_response"),
])
def test_another_actors_reason_does_not_fit(actor, reason):
    verdict = rules.reason_fits(actor, reason, "awaiting_shipment")
    assert (verdict.allowed, verdict.code) == (False, "reason_not_match")


@pytest.mark.parametrize("reason", sorted(rules.SELLER_REASONS))
@pytest.mark.parametrize("scope", ["order", "package", "items"])
def test_seller_items_only_out_of_stock(reason, scope):
    verdict = rules.reason_fits("seller", reason, "awaiting_shipment", scope=scope)
    expected = scope != "items" or reason == "out_of_stock"
    assert verdict.allowed is expected
    if not expected:
        assert verdict.code == "reason_not_match"
        assert "Out of Stock" in verdict.why_not


def test_reasons_for_an_order():
    shipped = an_order("in_transit")
    assert rules.reasons_for("buyer", an_order("unpaid"))["change_payment"]
    assert "change_payment" not in rules.reasons_for("buyer", an_order("awaiting_shipment"))
    assert rules.reasons_for("seller", shipped) == {}
    assert rules.reasons_for("seller", an_order("awaiting_collection")) == rules.SELLER_REASONS


# -- reject reasons ---------------------------------------------------------------------
@pytest.mark.parametrize("reason, packages, allowed", [
    ("multiple_packages", ["awaiting_collection"], False),
    ("multiple_packages", ["awaiting_collection", "awaiting_shipment"], True),
    ("multiple_packages", ["awaiting_collection", "cancelled"], False),  # one live package
    ("already_packed", ["awaiting_shipment"], False),
    ("already_packed", ["awaiting_collection"], True),
    ("already_packed", ["awaiting_shipment", "awaiting_collection"], True),
    ("cannot_change_address", ["awaiting_collection"], True),
    ("already_shipped", ["awaiting_collection"], False),  # not with the carrier yet
    ("already_shipped", ["in_transit", "awaiting_collection"], True),
])
def test_reject_reason_must_be_true_of_the_order(reason, packages, allowed):
    pkgs = [a_package(s, id=f"11500000000000000{i}") for i, s in enumerate(packages)]
    verdict = rules.reject_reason_fits(reason, an_order("awaiting_collection"), pkgs)
    assert verdict.allowed is allowed
    if not allowed:
        assert verdict.code == "reason_not_match"
    assert (reason in rules.reasons_for("reject", an_order("awaiting_collection"), pkgs)) is allowed


@pytest.mark.parametrize("reason, code", [
    ("nope", "unknown_reason"), ("out_of_stock", "reason_not_match"),
    ("no_longer_needed", "reason_not_match"), ("package_rejected", "reason_not_match"),
])
def test_reject_reason_must_be_a_reject_reason(reason, code):
    verdict = rules.reject_reason_fits(reason, an_order("awaiting_collection"),
                                       [a_package("awaiting_collection")])
    assert (verdict.allowed, verdict.code) == (False, code)


# -- order status from packages -----------------------------------------------------------
@pytest.mark.parametrize("packages, kw, expected", [
    (["awaiting_shipment"], {}, "awaiting_shipment"),
    (["awaiting_collection"], {}, "awaiting_collection"),
    (["in_transit"], {}, "in_transit"),
    (["delivered"], {}, "delivered"),
    (["delivered"], {"completed": True}, "completed"),
    (["returned"], {}, "in_transit"),
    # the least advanced live package wins
    (["awaiting_shipment", "awaiting_collection"], {}, "awaiting_shipment"),
    (["awaiting_collection", "awaiting_shipment"], {}, "awaiting_shipment"),
    (["in_transit", "delivered"], {}, "in_transit"),
    (["delivered", "delivered"], {}, "delivered"),
    (["delivered", "delivered"], {"completed": True}, "completed"),
    # a mix of collected and not collected
    (["awaiting_shipment", "in_transit"], {}, "partially_shipping"),
    (["awaiting_collection", "delivered"], {}, "partially_shipping"),
    (["awaiting_collection", "returned"], {}, "partially_shipping"),
    (["awaiting_shipment", "awaiting_collection", "in_transit"], {}, "partially_shipping"),
    # cancelled packages do not count
    (["cancelled", "awaiting_collection"], {}, "awaiting_collection"),
    (["cancelled", "in_transit"], {}, "in_transit"),
    (["cancelled", "delivered"], {}, "delivered"),
    (["cancelled"], {}, "cancelled"),
    (["cancelled", "cancelled"], {}, "cancelled"),
    # payment and hold
    (["awaiting_shipment"], {"paid": False}, "unpaid"),
    (["cancelled"], {"paid": False}, "cancelled"),
    (["awaiting_shipment", "awaiting_shipment"], {"on_hold": True}, "on_hold"),
    (["cancelled"], {"on_hold": True}, "cancelled"),
])
def test_derive_order_status(packages, kw, expected):
    assert rules.derive_order_status(packages, **{"paid": True, **kw}) == expected


# -- logistics ---------------------------------------------------------------------------
NEEDS = {"pack": "awaiting_shipment", "handover": "awaiting_collection", "deliver": "in_transit",
         "refuse": "in_transit", "receive_return": "returned"}
LEADS_TO = {"pack": "awaiting_collection", "handover": "in_transit", "deliver": "delivered",
            "refuse": "returned", "receive_return": "cancelled"}


@pytest.mark.parametrize("package_status", ALL_PACKAGE_STATUSES)
@pytest.mark.parametrize("action", sorted(NEEDS))
def test_each_logistics_action_needs_one_package_status(action, package_status):
    verdict = rules.logistics(action, an_order("awaiting_shipment"), a_package(package_status))
    assert verdict.allowed is (package_status == NEEDS[action])
    if not verdict.allowed:
        assert verdict.code == "wrong_package_status"
    assert rules.next_package_status(action) == LEADS_TO[action]


@pytest.mark.parametrize("order_status", ["unpaid", "on_hold"])
def test_cannot_pack_before_the_hold_ends(order_status):
    verdict = rules.logistics("pack", an_order(order_status), a_package("awaiting_shipment"))
    assert (verdict.allowed, verdict.code) == (False, "not_ready_to_ship")


def test_seller_actions_on_a_split_to_ship_order():
    order = an_order("awaiting_shipment")
    packages = [a_package("awaiting_shipment", id="1"), a_package("awaiting_collection", id="2")]
    lines = [a_line(package_id="1"), a_line(package_id="2")]
    assert rules.seller_actions(order, packages, lines) == [
        "cancel_order", "cancel_package", "cancel_items", "pack", "handover"]


def test_seller_actions_on_an_order_in_transit():
    order = an_order("in_transit")
    assert rules.seller_actions(order, [a_package("in_transit", id="1")], [a_line(package_id="1")]) == ["deliver"]
