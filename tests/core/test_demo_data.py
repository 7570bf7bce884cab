"""The demo fixtures (data/demo/demo.toml): they load, and they show what a user
would look for in a demo: every order status, split orders, pending requests, a
buyer with a caution mark, partly cancelled orders, and a reload that is identical."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlmodel import select

from core import refunds, rules, services
from core.queries import orders as queries
from core.queries.requests import requests as pending_requests
from core.clock import parse_instant, stored_clock
from core.db import Database
from core.demo import load_demo
from core.models import Buyer, Cancellation, Order, OrderLine, Package, Product, Shop
from tests.databases import fresh_url

CLOCK = parse_instant("2026-11-20T12:00:00Z")


def _open(path) -> Database:
    return Database(fresh_url(path, "d"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = _open(tmp_path_factory.mktemp("demo"))
    result = load_demo(db)
    assert result.ok, getattr(result, "message", result)
    yield db, result
    db.dispose()


@pytest.fixture
def session(demo):
    db, _ = demo
    with db.read() as session:
        yield session


def _packages_by_order(session) -> dict[str, list[Package]]:
    by_order = defaultdict(list)
    for package in session.exec(select(Package).order_by(Package.id)):
        by_order[package.order_id].append(package)
    return by_order


def test_loads_with_the_fixed_clock_and_reports_counts(demo, session):
    _, result = demo
    assert stored_clock(session) == CLOCK
    assert result.record["orders"] == len(session.exec(select(Order)).all())
    assert "Demo data loaded" in result.message


def test_nothing_is_due_at_the_clock(demo):
    db, _ = demo
    # no hold, request deadline or return window has run out: the demo opens exactly as written
    assert not services.has_due(db, CLOCK)


def test_counts_meet_the_minimums(session):
    shops = session.exec(select(Shop)).all()
    assert len(shops) >= 2
    assert len(session.exec(select(Product)).all()) >= 15
    assert len(session.exec(select(Buyer)).all()) >= 6
    assert len(session.exec(select(Order)).all()) >= 40
    # one shop auto-approves buyers' cancels only for a while, one needs a newer app
    assert any(shop.auto_approve_hours == 1 for shop in shops)
    assert any(rules.version_tuple(shop.min_app_version) >= (36, 0, 0) for shop in shops)


def test_every_order_status_occurs(session):
    counts = queries.status_counts(session)
    missing = [status for status in rules.ORDER_STATUSES if counts[status] == 0]
    assert not missing, f"no demo order is {missing}"
    for status in ("awaiting_shipment", "awaiting_collection", "in_transit", "delivered", "cancelled"):
        assert counts[status] >= 3, f"only {counts[status]} {status} orders"


def test_every_order_status_is_derived_from_its_packages(session):
    packages = _packages_by_order(session)
    for order in session.exec(select(Order)):
        expected = rules.derive_order_status(
            [p.status for p in packages[order.id]],
            paid=order.paid_at is not None,
            on_hold=order.hold_until is not None and CLOCK < order.hold_until,
            completed=order.completed_at is not None,
        )
        assert order.status == expected, order.id


def test_ids_are_tiktok_style(session):
    orders = session.exec(select(Order)).all()
    for order in orders:
        assert len(order.id) == 18 and order.id.isdigit() and order.id.startswith("576")
    assert len({o.id[-4:] for o in orders}) == len(orders), "order ID suffixes must be unique for search"
    for package in session.exec(select(Package)):
        assert len(package.id) == 18 and package.id.startswith("115")
    for line in session.exec(select(OrderLine)):
        assert len(line.id) == 18 and line.id.startswith("172")


def test_created_times_lie_in_the_ten_days_before_the_clock(session):
    for order in session.exec(select(Order)):
        assert (CLOCK - order.created_at).days < 10, order.id
        assert order.paid_at is None or order.created_at <= order.paid_at < CLOCK


def test_a_split_order_has_one_package_to_ship_and_one_packed(session):
    packages = _packages_by_order(session)
    found = [order for order in session.exec(select(Order).where(Order.status == "awaiting_shipment"))
             if sorted(p.status for p in packages[order.id]) == ["awaiting_collection", "awaiting_shipment"]]
    assert found
    order = found[0]
    view = queries.order_view(session, order.id, CLOCK)
    packed = next(p["id"] for p in view["packages"] if p["status"] == "awaiting_collection")
    for line in view["lines"]:
        # the packed package's items are greyed out for item cancellation, with why
        assert line["item_cancel"]["allowed"] is (line["package_id"] != packed)
        if line["package_id"] == packed:
            assert "Awaiting Collection" in line["item_cancel"]["why_not"]


def test_split_orders_include_a_partially_shipping_one(session):
    packages = _packages_by_order(session)
    split = {order_id: sorted(p.status for p in pkgs) for order_id, pkgs in packages.items() if len(pkgs) > 1}
    assert len(split) >= 5
    assert any(len(statuses) == 3 for statuses in split.values())
    partial = [order_id for order_id, statuses in split.items()
               if statuses == ["awaiting_collection", "in_transit"]
               and session.get(Order, order_id).status == "partially_shipping"]
    assert partial


def test_there_are_pending_buyer_requests(session):
    pending = pending_requests(session)
    assert len(pending) >= 2
    on_packed = [r for r in pending if r.order_status == "awaiting_collection"]
    assert len(on_packed) >= 2
    for request in pending:
        # still pending when the demo starts: the 24-hour deadline is after the clock
        assert parse_instant(request.as_dict()["deadline_at"]) > CLOCK
        assert request.role == "buyer"


def test_requests_were_rejected_by_the_seller_and_by_shipping(session):
    closed = session.exec(select(Cancellation).where(Cancellation.status == "closed")).all()
    reasons = {c.reject_reason for c in closed}
    assert "already_shipped" in reasons  # handed to the carrier first: the system rejected it
    assert reasons - {"already_shipped"}  # and the seller rejected one


def test_cancelled_orders_by_buyer_seller_and_approved_request(session):
    cancelled = {o.id for o in session.exec(select(Order).where(Order.status == "cancelled"))}
    records = [c for c in session.exec(select(Cancellation)) if c.order_id in cancelled]
    kinds = Counter((c.role, c.reason in rules.BUYER_REASONS) for c in records if c.status == "success")
    assert kinds[("buyer", True)] >= 2  # by the buyer (at once) and by an approved request
    assert kinds[("seller", False)] >= 2
    assert any(c.role == "system" and c.reason == "package_rejected" for c in records)
    approved = [c for c in records if c.role == "buyer" and c.deadline_at is not None and c.status == "success"]
    assert approved, "an order cancelled by an approved request"
    for order_id in cancelled:
        view = queries.order_view(session, order_id, CLOCK)
        assert view["totals"]["refunded"] == view["totals"]["total"], order_id


def test_a_buyer_carries_a_caution_mark(session):
    cautious = [b for b in session.exec(select(Buyer)) if b.refusal_count > 0]
    assert cautious
    buyer = cautious[0]
    assert buyer.refusal_count == 2
    orders = {o.id: o for o in session.exec(select(Order).where(Order.buyer_id == buyer.id))}
    packages = [p for order_id in orders for p in _packages_by_order(session)[order_id]]
    assert any(p.status == "returned" for p in packages)  # refused, on its way back
    assert any(o.status in ("awaiting_shipment", "awaiting_collection") for o in orders.values()), \
        "the caution mark shows on the seller's To Ship board"


def test_partly_cancelled_orders_are_still_live(session):
    live = {o.id: o for o in session.exec(select(Order)) if o.status != "cancelled"}
    lines = session.exec(select(OrderLine)).all()
    partly_items = {line.order_id for line in lines
                    if line.order_id in live and 0 < line.cancelled_quantity < line.quantity}
    assert partly_items, "a live order with some units of a line cancelled"
    cancelled_package = {p.order_id for p in session.exec(select(Package).where(Package.status == "cancelled"))
                         if p.order_id in live}
    assert cancelled_package, "a live order with one package cancelled"
    records = session.exec(select(Cancellation).where(Cancellation.scope == "items")).all()
    assert records and all(r.reason == "out_of_stock" for r in records)


def test_lines_have_interesting_quantities_and_sane_money(session):
    lines = session.exec(select(OrderLine)).all()
    assert sum(2 <= line.quantity <= 5 for line in lines) >= 20
    assert any(line.seller_discount for line in lines) and any(line.platform_discount for line in lines)
    for line in lines:
        paid = refunds.line_paid(line)
        assert 0 < paid <= line.unit_original_price * line.quantity, line.id
        assert 0.06 * paid <= line.tax <= 0.10 * paid, line.id
    orders = session.exec(select(Order)).all()
    assert any(o.shipping_fee_seller_discount for o in orders)
    assert any(o.shipping_fee_platform_discount for o in orders)
    assert any(o.shipping_tax for o in orders)
    for order in orders:
        assert 0 <= refunds.order_shipping(order) <= order.original_shipping_fee


def test_each_buyer_has_orders_in_several_tabs(session):
    for buyer in session.exec(select(Buyer)):
        statuses = {o.status for o in session.exec(select(Order).where(Order.buyer_id == buyer.id))}
        tabs = {tab for tab, members in queries.BUYER_TABS.items()
                if tab != "all" and statuses & set(members)}
        assert len(tabs) >= 3, f"{buyer.username} only has orders in {tabs}"
    first = queries.buyers(session)[0]  # `orderdesk buyer` opens on the first buyer
    for tab in queries.BUYER_TABS:
        assert queries.buyer_orders(session, first.username, tab, CLOCK), f"{first.username}: {tab}"


def test_loading_twice_is_refused_and_reset_reloads_the_same_data(tmp_path):
    db = _open(tmp_path)
    try:
        first = load_demo(db)
        assert first.ok
        with db.read() as session:
            order_ids = sorted(session.exec(select(Order.id)).all())
            cancellation_ids = sorted(session.exec(select(Cancellation.id)).all())
            statuses = dict(session.exec(select(Order.id, Order.status)).all())

        again = load_demo(db)
        assert not again.ok
        assert again.code == "not_empty"
        assert "--reset" in again.message
        with db.read() as session:
            assert sorted(session.exec(select(Order.id)).all()) == order_ids  # nothing changed

        reset = load_demo(db, reset=True)
        assert reset.ok
        assert reset.record == first.record
        with db.read() as session:
            assert sorted(session.exec(select(Order.id)).all()) == order_ids
            assert sorted(session.exec(select(Cancellation.id)).all()) == cancellation_ids
            assert dict(session.exec(select(Order.id, Order.status)).all()) == statuses
    finally:
        db.dispose()
