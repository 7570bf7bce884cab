"""Synthetic orders in bulk (core/synthetic.py): what a user checks after
`orderdesk seed synthetic --orders N`: the count, statuses that follow from the
packages, every status present, split orders, refunds that add up, the same data
for the same seed, and a second run that adds orders without ID collisions."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, text
from sqlmodel import SQLModel, select

from core import refunds, rules, services
from core.queries import orders as queries
from core.db import Database
from core.demo import load_demo
from core.ids import PREFIX
from core.models import (
    Buyer, Cancellation, CancellationLine, Notification, Order, OrderEvent, OrderLine, OutboxEmail,
    Package, Product, Shop,
)
from core.synthetic import generate
from tests.databases import clone_url, fresh_url

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
N = 2_000
SEED = 7


def _open(path) -> Database:
    return Database(fresh_url(path.parent, path.stem))


def _dump(db: Database, tables=("orders", "packages", "order_lines", "cancellations",
                                 "cancellation_lines", "notifications", "outbox_emails",
                                 "order_events")) -> dict[str, list[tuple]]:
    out = {}
    with db.engine.connect() as conn:
        for name in tables:
            table = SQLModel.metadata.tables[name]
            keys = ", ".join(c.name for c in table.primary_key.columns)
            out[name] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {name} ORDER BY {keys}"))]
    return out


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    db = _open(tmp_path_factory.mktemp("synthetic") / "s.db")
    counts = generate(db, N, seed=SEED, now=NOW)
    yield db, counts
    db.dispose()


@pytest.fixture(scope="module")
def data(synthetic):
    """Everything generated, read back through the models (aware datetimes)."""
    db, _ = synthetic
    with db.read() as s:
        orders = s.exec(select(Order)).all()
        shops = {shop.id: shop for shop in s.exec(select(Shop))}
        packages, lines, cancellations, cancel_lines = (
            defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
        for p in s.exec(select(Package).order_by(Package.id)):
            packages[p.order_id].append(p)
        for line in s.exec(select(OrderLine).order_by(OrderLine.id)):
            lines[line.order_id].append(line)
        for c in s.exec(select(Cancellation).order_by(Cancellation.created_at, Cancellation.id)):
            cancellations[c.order_id].append(c)
        for cl in s.exec(select(CancellationLine)):
            cancel_lines[cl.cancellation_id].append(cl)
    return orders, shops, packages, lines, cancellations, cancel_lines


def _derived(order, packages):
    return rules.derive_order_status(
        [p.status for p in packages], paid=order.paid_at is not None,
        on_hold=order.hold_until is not None and NOW < order.hold_until,
        completed=order.completed_at is not None)


# -- what was made ------------------------------------------------------------------------------
def test_makes_the_orders_asked_for_and_counts_what_it_wrote(synthetic):
    db, counts = synthetic
    with db.read() as s:
        def count(model):
            return s.exec(select(func.count()).select_from(model)).one()

        assert count(Order) == counts["orders"] == N
        assert count(OrderLine) == counts["lines"]
        assert count(Package) == counts["packages"]
        assert count(Cancellation) == counts["cancellations"] > 0
        assert count(CancellationLine) == counts["cancellation_lines"]
        assert count(Notification) == counts["notifications"]
        assert count(OutboxEmail) == counts["emails"]
        assert count(OrderEvent) == counts["events"] >= N  # at least "placed" for each
        # an empty database first gets its shops, products and buyers
        assert count(Shop) == counts["shops_created"] == 3
        assert count(Product) == counts["products_created"] >= 190
        assert count(Buyer) == counts["buyers_created"] == 5000
    assert counts["seconds"] > 0


def test_every_order_status_is_derived_from_its_packages(data):
    orders, _, packages, *_ = data
    wrong = [(o.id, o.status, _derived(o, packages[o.id])) for o in orders
             if o.status != _derived(o, packages[o.id])]
    assert wrong == []


def test_every_status_appears_with_realistic_weights(data):
    orders, *_ = data
    statuses = Counter(o.status for o in orders)
    assert len(set(rules.ORDER_STATUSES) - set(statuses)) <= 1, statuses
    # old orders are mostly done; the rest is a minority
    done = statuses["completed"] + statuses["delivered"] + statuses["cancelled"]
    assert done > 0.75 * N
    assert statuses["completed"] > statuses["delivered"] > statuses["cancelled"] > 0.03 * N
    assert statuses["unpaid"] + statuses["on_hold"] < 0.05 * N


def test_recent_orders_wait_old_ones_are_done(data):
    orders, *_ = data
    old = Counter(o.status for o in orders if o.created_at < NOW - timedelta(days=60))
    recent = Counter(o.status for o in orders if o.created_at > NOW - timedelta(days=2))
    assert set(old) <= {"completed", "cancelled"}, old  # shipped and past the return window
    waiting = ("unpaid", "on_hold", "awaiting_shipment", "awaiting_collection")
    assert sum(recent[s] for s in waiting) > recent["completed"] + recent["delivered"]


def test_orders_fall_in_the_90_days_before_now_with_consistent_times(data):
    orders, shops, packages, _, cancellations, _ = data
    for o in orders:
        shop = shops[o.shop_id]
        assert o.created_at.tzinfo is not None
        assert NOW - timedelta(days=90) <= o.created_at < NOW
        assert len(o.id) == 18 and o.id.startswith(PREFIX["order"])
        if o.paid_at is None:
            assert o.status in ("unpaid", "cancelled") and o.hold_until is None
            continue
        assert o.created_at <= o.paid_at <= NOW
        assert o.hold_until == o.paid_at + timedelta(minutes=shop.hold_window_minutes)
        assert o.ship_by == o.paid_at + timedelta(hours=shop.ship_within_hours)
        if o.status == "on_hold":
            assert o.hold_until > NOW
        if o.status in ("delivered", "completed"):
            # the return window runs from when the order became delivered: its last
            # delivery, or a later cancellation of a refused package that came back
            became = max([p.delivered_at for p in packages[o.id] if p.status == "delivered"]
                         + [c.updated_at for c in cancellations[o.id] if c.status == "success"])
            assert o.completes_at == became + timedelta(days=shop.return_window_days)
            assert (o.completed_at is not None) == (o.status == "completed")
            assert o.status == "delivered" or o.completed_at == o.completes_at <= NOW
        for p in packages[o.id]:
            assert len(p.id) == 18 and p.id.startswith(PREFIX["package"])
            packed = p.packed_at is not None
            assert packed == (p.tracking_number is not None) == (p.shipping_provider is not None)
            if p.status in ("awaiting_collection", "in_transit", "delivered", "returned"):
                assert packed and p.packed_at >= o.hold_until
            if p.status in ("in_transit", "delivered", "returned"):
                assert o.hold_until <= p.packed_at <= p.collected_at <= NOW
            if p.status == "delivered":
                assert p.collected_at < p.delivered_at <= NOW
            if p.status == "awaiting_shipment":
                assert not packed


def test_lines_have_quantities_discounts_and_tax(data):
    orders, _, _, lines, *_ = data
    per_order = Counter(len({line.sku for line in lines[o.id]}) for o in orders)
    assert set(per_order) <= {1, 2, 3, 4} and per_order[1] > per_order[2] > per_order[4] > 0
    every = [line for o in orders for line in lines[o.id]]
    assert all(line.id.startswith(PREFIX["line"]) and len(line.id) == 18 for line in every)
    assert {line.quantity for line in every} == {1, 2, 3, 4, 5}
    assert any(line.seller_discount for line in every)
    assert any(line.platform_discount for line in every)
    assert all(refunds.line_paid(line) > 0 for line in every)
    taxed = [line for line in every if line.tax]
    rate = sum(line.tax for line in taxed) / sum(refunds.line_paid(line) for line in taxed)
    assert 0.06 < rate < 0.10  # local sales tax, about 8%
    assert any(o.shipping_fee_seller_discount for o in orders)
    assert any(o.shipping_fee_platform_discount for o in orders)
    assert any(o.shipping_tax for o in orders)


def test_about_one_order_in_ten_is_split_in_packages_of_different_statuses(data):
    orders, _, packages, lines, *_ = data
    split = [o for o in orders if len(packages[o.id]) == 2]
    assert 0.07 * N < len(split) < 0.13 * N
    assert all(len(packages[o.id]) in (1, 2) for o in orders)
    assert sum(len({p.status for p in packages[o.id]}) == 2 for o in split) > 0.15 * len(split)
    # every line sits in one package of its own order, every package has lines
    for o in split:
        ids = {p.id for p in packages[o.id]}
        assert {line.package_id for line in lines[o.id]} == ids


# -- cancellations and refunds -------------------------------------------------------------------
def test_cancelled_orders_were_refunded_exactly_what_the_buyer_paid(data):
    orders, _, packages, lines, cancellations, _ = data
    cancelled = [o for o in orders if o.status == "cancelled"]
    assert cancelled
    for o in cancelled:
        refunded = sum(c.refund_total for c in cancellations[o.id] if c.status == "success")
        assert refunded == refunds.order_totals(o, lines[o.id])["total"], o.id
        assert all(line.cancelled_quantity == line.quantity for line in lines[o.id])
        assert all(p.status == "cancelled" for p in packages[o.id])


def test_each_cancellation_refunds_what_the_rule_says_at_its_moment(data):
    """Replaying an order's cancellations in order through core.refunds.refund_for
    gives each record's figures exactly, line by line."""
    orders, _, _, lines, cancellations, cancel_lines = data
    kinds = Counter()
    for o in orders:
        state = {line.id: SimpleNamespace(**line.model_dump()) for line in lines[o.id]}
        for view in state.values():
            view.cancelled_quantity = 0
        done = sorted((c for c in cancellations[o.id] if c.status == "success"),
                      key=lambda c: (c.updated_at, c.id))
        for c in cancellations[o.id]:
            assert c.id.startswith(PREFIX["cancellation"]) and len(c.id) == 18
            kinds[(c.role, c.scope, c.status)] += 1
            assert c.refund_total == c.refund_subtotal + c.refund_shipping + c.refund_tax
            if c.status != "success":  # a request still pending, or rejected: no refund
                assert cancel_lines[c.id] == [] and c.refund_total == 0
                assert c.deadline_at == c.created_at + rules.REQUEST_DEADLINE
        for c in done:
            parts = {part.line_id: part for part in cancel_lines[c.id]}
            expected = refunds.refund_for(o, list(state.values()),
                                          {line_id: part.quantity for line_id, part in parts.items()})
            assert (c.refund_subtotal, c.refund_shipping, c.refund_tax) == (
                expected.subtotal, expected.shipping, expected.tax), c.id
            for line_refund in expected.lines:
                part = parts[line_refund.line_id]
                assert (part.refund_subtotal, part.refund_tax) == (
                    line_refund.subtotal, line_refund.tax)
                state[line_refund.line_id].cancelled_quantity += line_refund.quantity
            if c.role == "buyer":
                assert c.reason in rules.BUYER_REASONS and c.type == "buyer_cancel"
            elif c.role == "seller":
                assert c.reason in rules.SELLER_REASONS and c.type == "cancel"
            else:
                assert (c.role, c.reason, c.scope) == ("system", "package_rejected", "package")
            if c.scope == "items":
                assert c.reason == "out_of_stock"
        for line in lines[o.id]:  # the stored cancelled quantities are the sum of the records
            assert line.cancelled_quantity == state[line.id].cancelled_quantity
        if o.status != "cancelled":  # partly cancelled: shipping is never refunded
            assert all(c.refund_shipping == 0 for c in done)
    assert kinds[("buyer", "order", "success")] > 0
    assert kinds[("seller", "order", "success")] > 0
    assert kinds[("seller", "items", "success")] > 0  # Out of Stock, some units
    assert kinds[("seller", "package", "success")] > 0  # one package of a split order
    assert kinds[("buyer", "order", "closed")] > 0  # requests the seller or shipping rejected


def test_nothing_is_due_at_now_and_the_app_can_work_on_the_orders(synthetic, data, tmp_path):
    db, _ = synthetic
    orders, shops, _, lines, *_ = data
    # no hold window, request deadline or return window ran out unnoticed
    assert not services.has_due(db, NOW)
    with db.read() as s:
        for status in rules.ORDER_STATUSES:
            sample = next((o for o in orders if o.status == status), None)
            if sample is not None:
                view = queries.order_view(s, sample.id, NOW)
                assert view["status"] == status and view["timeline"][0]["kind"] == "placed"
        assert sum(queries.status_counts(s).values()) == N
    # a buyer cancels an order that waits for shipment: refunded in full, as any order
    auto = {shop.id for shop in shops.values() if shop.auto_approve_hours is None}
    target = next(o for o in orders if o.status == "awaiting_shipment" and o.shop_id in auto
                  and all(line.cancelled_quantity == 0 for line in lines[o.id]))
    db.dispose()  # a copy needs the original closed
    copy = Database(clone_url(db.url, tmp_path, "copy"))
    result = services.buyer_cancel(copy, target.id, "no_longer_needed", now=NOW)
    copy.dispose()
    assert result.ok, result
    assert result.record["refund"]["total"] == refunds.order_totals(target, lines[target.id])["total"]


# -- determinism and repeated runs -----------------------------------------------------------------
def test_the_same_seed_gives_the_same_orders(synthetic, tmp_path):
    db, _ = synthetic
    again = _open(tmp_path / "again.db")
    generate(again, N, seed=SEED, now=NOW)
    assert _dump(again) == _dump(db)
    other = _open(tmp_path / "other.db")
    generate(other, N, seed=SEED + 1, now=NOW)
    assert _dump(other)["orders"] != _dump(db)["orders"]
    again.dispose()
    other.dispose()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork (Linux only)")
def test_worker_processes_write_the_same_rows(synthetic, tmp_path):
    db, _ = synthetic
    forked = _open(tmp_path / "forked.db")
    counts = generate(forked, N, seed=SEED, now=NOW, workers=2)
    assert counts["orders"] == N
    assert _dump(forked) == _dump(db)
    forked.dispose()


def test_a_second_run_adds_orders_without_id_collisions(tmp_path):
    db = _open(tmp_path / "twice.db")
    first = generate(db, 600, seed=1, now=NOW)
    second = generate(db, 600, seed=2, now=NOW)
    third = generate(db, 600, seed=1, now=NOW)  # the same seed again still finds free IDs
    assert second["buyers_created"] == third["shops_created"] == 0  # reference data reused
    with db.read() as s:
        assert s.exec(select(func.count()).select_from(Order)).one() == 1800
        for model in (Order, Package, OrderLine, Cancellation):
            ids = s.exec(select(model.id)).all()
            assert len(ids) == len(set(ids))
            assert {len(i) for i in ids} == {18}
    assert first["lines"] + second["lines"] + third["lines"] == _count(db, OrderLine)
    db.dispose()


def test_runs_after_the_demo_data_and_reuses_its_shops_and_buyers(tmp_path):
    db = _open(tmp_path / "demo.db")
    assert load_demo(db).ok
    before = _dump(db)
    counts = generate(db, 500, seed=3, now=NOW)
    assert (counts["shops_created"], counts["products_created"], counts["buyers_created"]) == (0, 0, 0)
    after = _dump(db)
    for table, rows in before.items():  # the demo's rows are untouched
        if table not in ("order_events",):
            assert set(rows) <= set(after[table]), table
    with db.read() as s:
        shops = {shop.id for shop in s.exec(select(Shop))}
        buyers = {b.id for b in s.exec(select(Buyer))}
        new = s.exec(select(Order).where(Order.id.not_in([r[0] for r in before["orders"]]))).all()
    assert len(new) == 500
    assert {o.shop_id for o in new} <= shops and {o.buyer_id for o in new} <= buyers
    db.dispose()


def test_refused_deliveries_raise_the_buyers_refusal_count(tmp_path):
    db = _open(tmp_path / "refusals.db")
    generate(db, 3000, seed=11, now=NOW)
    with db.read() as s:
        refused = s.exec(select(func.count()).select_from(Package)
                         .where(Package.returned_at.is_not(None))).one()
        marks = s.exec(select(func.sum(Buyer.refusal_count))).one()
    assert refused > 0 and marks == refused
    db.dispose()


def _count(db, model) -> int:
    with db.read() as s:
        return s.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("workers", [0, 2])
def test_a_failure_half_way_leaves_nothing_behind(tmp_path, monkeypatch, workers):
    import core.synthetic as synthetic

    if workers and not sys.platform.startswith("linux"):
        pytest.skip("workers fork (Linux only)")
    db = _open(tmp_path / "fails.db")
    real = synthetic._chunk

    def broken(plan, k):
        if k == 1:
            raise RuntimeError("disk on fire")
        return real(plan, k)

    monkeypatch.setattr(synthetic, "_chunk", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate(db, 2 * synthetic.CHUNK, seed=1, now=NOW, workers=workers)
    for model in (Shop, Buyer, Order, Package, OrderLine, Cancellation, OrderEvent):
        assert _count(db, model) == 0  # one transaction: all or nothing
    monkeypatch.setattr(synthetic, "_chunk", real)
    assert generate(db, 500, seed=1, now=NOW, workers=workers)["orders"] == 500
    db.dispose()
