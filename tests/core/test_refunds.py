"""The refund rule (DOMAIN.md "Refunds"): partial refunds add up to exactly what was paid."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import refunds, services
from core.clock import parse_instant
from tests.core.builders import NOW, SHOP, build_world, line, order, package

PAID_AT = parse_instant("2026-11-20T08:00:00Z")

# -- strategies -------------------------------------------------------------------------


@st.composite
def order_lines(draw, n=None, max_price=100_000):
    """A line as the buyer paid it: discounts never exceed the original price."""
    price = draw(st.integers(0, max_price))
    quantity = draw(st.integers(1, 20))
    gross = price * quantity
    seller_discount = draw(st.integers(0, gross))
    platform_discount = draw(st.integers(0, gross - seller_discount))
    tax = draw(st.integers(0, 50_000))
    return SimpleNamespace(id=f"172{draw(st.integers(0, 10**15 - 1)):015d}" if n is None else n,
                           unit_original_price=price, quantity=quantity,
                           seller_discount=seller_discount, platform_discount=platform_discount,
                           tax=tax, cancelled_quantity=0)


@st.composite
def steps_summing_to_at_most(draw, total, exactly=False):
    """Positive step sizes whose sum is <= total (== total when `exactly`)."""
    left = total
    steps = []
    while left > 0:
        if not exactly and steps and draw(st.booleans()):
            break
        k = draw(st.integers(1, left))
        steps.append(k)
        left -= k
    return steps


def an_order(shipping=0, shipping_seller=0, shipping_platform=0, shipping_tax=0, paid=True):
    return SimpleNamespace(original_shipping_fee=shipping, shipping_fee_seller_discount=shipping_seller,
                           shipping_fee_platform_discount=shipping_platform, shipping_tax=shipping_tax,
                           paid_at=PAID_AT if paid else None)


@st.composite
def orders_with_shipping(draw):
    fee = draw(st.integers(0, 5_000))
    seller = draw(st.integers(0, fee))
    platform = draw(st.integers(0, fee - seller))
    return an_order(fee, seller, platform, draw(st.integers(0, 1_000)))


# -- one line ------------------------------------------------------------------------------
@given(line_=order_lines(n="L"), data=st.data())
def test_partial_cancellations_never_refund_more_than_paid(line_, data):
    steps = data.draw(steps_summing_to_at_most(line_.quantity))
    paid, tax = refunds.line_paid(line_), line_.tax
    other = SimpleNamespace(id="keep", unit_original_price=100, quantity=1, seller_discount=0,
                            platform_discount=0, tax=0, cancelled_quantity=0)  # keeps the order live
    got_subtotal = got_tax = 0
    for k in steps:
        refund = refunds.refund_for(an_order(), [line_, other], {"L": k})
        assert refund.subtotal >= 0 and refund.tax >= 0
        assert refund.shipping == 0
        got_subtotal += refund.subtotal
        got_tax += refund.tax
        assert got_subtotal <= paid
        assert got_tax <= tax
        line_.cancelled_quantity += k
    if line_.cancelled_quantity == line_.quantity:
        assert (got_subtotal, got_tax) == (paid, tax)


@given(line_=order_lines(n="L"), data=st.data())
def test_cancelling_every_unit_in_any_steps_refunds_exactly_what_was_paid(line_, data):
    steps = data.draw(steps_summing_to_at_most(line_.quantity, exactly=True))
    got_subtotal = got_tax = 0
    for k in steps:
        part = refunds.refund_for(an_order(), [line_], {"L": k}).lines[0]
        assert part.quantity == k
        got_subtotal += part.subtotal
        got_tax += part.tax
        line_.cancelled_quantity += k
    assert got_subtotal == refunds.line_paid(line_)
    assert got_tax == line_.tax


@given(line_=order_lines(n="L"), data=st.data())
def test_each_step_refunds_the_rule_s_floor_share(line_, data):
    """floor(P*(c+k)/n) - floor(P*c/n), and the same for tax."""
    c = data.draw(st.integers(0, line_.quantity - 1))
    k = data.draw(st.integers(1, line_.quantity - c))
    line_.cancelled_quantity = c
    part = refunds.refund_for(an_order(), [line_], {"L": k}).lines[0]
    p, n = refunds.line_paid(line_), line_.quantity
    assert part.subtotal == p * (c + k) // n - p * c // n
    assert part.tax == line_.tax * (c + k) // n - line_.tax * c // n


def test_a_dollar_in_three_units_refunds_33_33_34():
    line_ = SimpleNamespace(id="L", unit_original_price=100, quantity=3, seller_discount=200,
                            platform_discount=0, tax=10, cancelled_quantity=0)
    parts = []
    for _ in range(3):
        part = refunds.refund_for(an_order(), [line_], {"L": 1}).lines[0]
        parts.append((part.subtotal, part.tax))
        line_.cancelled_quantity += 1
    assert parts == [(33, 3), (33, 3), (34, 4)]
    line_ = SimpleNamespace(id="L", unit_original_price=1000, quantity=3, seller_discount=100,
                            platform_discount=0, tax=290, cancelled_quantity=0)
    assert refunds.refund_for(an_order(), [line_], {"L": 1}).as_dict() == {
        "subtotal": 966, "shipping": 0, "tax": 96, "total": 1062}


@pytest.mark.parametrize("already, more", [(0, 4), (3, 1), (2, -1)])
def test_cannot_cancel_more_units_than_are_live(already, more):
    line_ = SimpleNamespace(id="L", unit_original_price=100, quantity=3, seller_discount=0,
                            platform_discount=0, tax=0, cancelled_quantity=already)
    with pytest.raises(ValueError):
        refunds.refund_for(an_order(), [line_], {"L": more})


# -- a whole order ---------------------------------------------------------------------------
@st.composite
def cancellation_plans(draw):
    """An order of 1-4 lines and a sequence of (line, units) cancelling every unit."""
    lines = [draw(order_lines(n=f"L{i}")) for i in range(draw(st.integers(1, 4)))]
    live = {ln.id: ln.quantity for ln in lines}
    plan = []
    while any(live.values()):
        step = {}
        for line_id in draw(st.lists(st.sampled_from(sorted(k for k, v in live.items() if v)),
                                     min_size=1, unique=True)):
            step[line_id] = draw(st.integers(1, live[line_id]))
            live[line_id] -= step[line_id]
        plan.append(step)
    return draw(orders_with_shipping()), lines, plan


@given(plan=cancellation_plans())
def test_shipping_is_refunded_once_by_the_cancellation_that_empties_the_order(plan):
    order_, lines, steps = plan
    totals = refunds.order_totals(order_, lines)
    shipping = refunds.order_shipping(order_)
    refunded = {"subtotal": 0, "shipping": 0, "tax": 0, "total": 0}
    shipping_refunds = []
    for i, step in enumerate(steps):
        refund = refunds.refund_for(order_, lines, step)
        assert refund.total == refund.subtotal + refund.shipping + refund.tax
        assert min(refund.subtotal, refund.shipping, refund.tax) >= 0
        is_last = i == len(steps) - 1
        assert refund.shipping == (shipping if is_last else 0)
        if refund.shipping:
            shipping_refunds.append(i)
        for key, value in refund.as_dict().items():
            refunded[key] += value
        for ln in lines:
            ln.cancelled_quantity += step.get(ln.id, 0)
        # whatever is still live is never refunded in advance
        assert refunded["subtotal"] <= totals["subtotal"]
        assert refunded["tax"] <= totals["tax"]
    assert len(shipping_refunds) == (1 if shipping else 0)
    assert refunded == totals


def test_shipping_tax_comes_with_the_last_cancellation():
    lines = [SimpleNamespace(id="A", unit_original_price=500, quantity=1, seller_discount=0,
                             platform_discount=0, tax=40, cancelled_quantity=0),
             SimpleNamespace(id="B", unit_original_price=700, quantity=2, seller_discount=0,
                             platform_discount=0, tax=100, cancelled_quantity=0)]
    order_ = an_order(shipping=599, shipping_seller=100, shipping_platform=99, shipping_tax=32)
    first = refunds.refund_for(order_, lines, {"A": 1})
    assert first.as_dict() == {"subtotal": 500, "shipping": 0, "tax": 40, "total": 540}
    lines[0].cancelled_quantity = 1
    last = refunds.refund_for(order_, lines, {"B": 2})
    assert last.as_dict() == {"subtotal": 1400, "shipping": 400, "tax": 132, "total": 1932}


def test_nothing_cancelled_refunds_nothing_not_even_shipping():
    lines = [SimpleNamespace(id="A", unit_original_price=500, quantity=1, seller_discount=0,
                             platform_discount=0, tax=40, cancelled_quantity=1)]
    assert refunds.refund_for(an_order(shipping=599, shipping_tax=50), lines, {}).total == 0


def test_an_order_never_paid_refunds_nothing():
    lines = [SimpleNamespace(id="A", unit_original_price=500, quantity=2, seller_discount=0,
                             platform_discount=0, tax=40, cancelled_quantity=0)]
    refund = refunds.refund_for(an_order(shipping=599, shipping_tax=50, paid=False), lines, {"A": 2})
    assert refund.as_dict() == {"subtotal": 0, "shipping": 0, "tax": 0, "total": 0}
    assert [(part.line_id, part.quantity) for part in refund.lines] == [("A", 2)]  # still cancelled


# -- through the services, on a real database ------------------------------------------------
LINES = [("MUG", 1000), ("LAMP", 3333), ("VASE", 2500)]


@st.composite
def service_plans(draw):
    specs = []
    for i, (sku, price) in enumerate(LINES[:draw(st.integers(1, 3))], start=1):
        quantity = draw(st.integers(1, 6))
        seller = draw(st.integers(0, price * quantity // 2))
        platform = draw(st.integers(0, price * quantity - seller))
        specs.append(line(i, sku, quantity, seller_discount=seller, platform_discount=platform,
                          tax=draw(st.integers(0, 2_000))))
    fee = draw(st.integers(0, 1_500))
    shipping = {"shipping_fee": fee, "shipping_seller_discount": draw(st.integers(0, fee)),
                "shipping_tax": draw(st.integers(0, 200))}
    live = {spec["id"]: spec["quantity"] for spec in specs}
    cuts = []
    for _ in range(draw(st.integers(0, 5))):
        open_lines = sorted(k for k, v in live.items() if v)
        if not open_lines:
            break
        line_id = draw(st.sampled_from(open_lines))
        k = draw(st.integers(1, live[line_id]))
        live[line_id] -= k
        cuts.append({line_id: k})
    return specs, shipping, cuts


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=service_plans())
def test_item_cancellations_then_the_rest_refund_the_order_total(plan):
    specs, shipping, cuts = plan
    with tempfile.TemporaryDirectory() as directory:
        world = build_world(Path(directory), [order(1, package(1, *specs), **shipping)])
        order_id = "576000000000000001"
        try:
            paid_total = world.view(order_id)["totals"]["total"]
            for cut in cuts:
                result = services.seller_cancel(world.db, order_id, "out_of_stock", now=NOW,
                                                items=cut, shop=SHOP)
                assert result.ok, result
            if world.order(order_id).status != "cancelled":
                result = services.seller_cancel(world.db, order_id, "pricing_error", now=NOW, shop=SHOP)
                assert result.ok, result
            view = world.view(order_id)
            assert view["status"] == "cancelled"
            assert view["totals"]["refunded"] == paid_total
            assert sum(c["refund"]["shipping"] for c in view["cancellations"]) == \
                shipping["shipping_fee"] - shipping["shipping_seller_discount"]
            assert all(ln["cancelled_quantity"] == ln["quantity"] for ln in view["lines"])
        finally:
            world.db.dispose()


# -- splitting a line between packages (DOMAIN.md: a split may divide a line) -----------------
@given(line_=order_lines(n="L"), data=st.data())
def test_dividing_a_line_keeps_every_part_paid_and_the_sum_exact(line_, data):
    parts = data.draw(steps_summing_to_at_most(line_.quantity, exactly=True))
    divided = refunds.divide_line(line_, parts)
    pieces = [SimpleNamespace(unit_original_price=line_.unit_original_price, quantity=q, **money)
              for q, money in zip(parts, divided)]
    assert sum(refunds.line_paid(p) for p in pieces) == refunds.line_paid(line_)
    assert sum(p.tax for p in pieces) == line_.tax
    assert sum(p.seller_discount for p in pieces) == line_.seller_discount
    assert sum(p.platform_discount for p in pieces) == line_.platform_discount
    for p in pieces:
        assert refunds.line_paid(p) >= 0 and p.tax >= 0
        assert p.seller_discount >= 0 and p.platform_discount >= 0


def test_a_fully_discounted_line_split_one_and_one_refunds_nothing_not_minus_a_cent():
    """The case found: 2 units at $5.00, $5.01 seller and $4.99 platform discount (paid $0)."""
    line_ = SimpleNamespace(unit_original_price=500, quantity=2, seller_discount=501,
                            platform_discount=499, tax=0, cancelled_quantity=0)
    for money in refunds.divide_line(line_, [1, 1]):
        piece = SimpleNamespace(unit_original_price=500, quantity=1, **money)
        assert refunds.line_paid(piece) == 0


@st.composite
def split_plans(draw):
    """A one-package order whose lines' discounts often cover (nearly) all their price,
    then a random mix of splits and item cancellations."""
    specs, shipping, _ = draw(service_plans())
    for spec in specs:
        gross = dict(LINES)[spec["sku"]] * spec["quantity"]
        discount = draw(st.sampled_from([gross, gross - 1, gross // 2 + 1,
                                         spec["seller_discount"] + spec["platform_discount"]]))
        spec["seller_discount"] = draw(st.integers(0, discount))
        spec["platform_discount"] = discount - spec["seller_discount"]
    steps = [draw(st.sampled_from(["split", "cancel"])) for _ in range(draw(st.integers(1, 6)))]
    return specs, shipping, steps, draw(st.randoms(use_true_random=False))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=split_plans())
def test_splits_and_partial_cancellations_refund_never_below_zero_and_exactly_what_was_paid(plan):
    specs, shipping, steps, rnd = plan
    order_id = "576000000000000001"
    with tempfile.TemporaryDirectory() as directory:
        world = build_world(Path(directory), [order(1, package(1, *specs), **shipping)])
        try:
            paid_total = world.view(order_id)["totals"]["total"]
            for step in steps:
                view = world.view(order_id)
                live = [ln for ln in view["lines"] if ln["quantity"] > ln["cancelled_quantity"]
                        and ln["item_cancel"]["allowed"]]
                if not live:
                    break
                ln = rnd.choice(live)
                units = ln["quantity"] - ln["cancelled_quantity"]
                if step == "split" and ln["cancelled_quantity"] == 0 and units > 1:
                    result = services.split_package(world.db, ln["package_id"],
                                                    {ln["id"]: rnd.randint(1, units - 1)}, now=NOW)
                    assert result.ok or result.code == "nothing_left", result
                else:
                    result = services.seller_cancel(world.db, order_id, "out_of_stock", now=NOW,
                                                    items={ln["id"]: rnd.randint(1, units)})
                    assert result.ok, result
                    assert min(result.record["refund"].values()) >= 0, result.record["refund"]
            if world.order(order_id).status != "cancelled":
                assert services.seller_cancel(world.db, order_id, "pricing_error", now=NOW).ok
            view = world.view(order_id)
            assert view["totals"]["total"] == paid_total  # a split changes nothing the buyer paid
            assert view["totals"]["refunded"] == paid_total
            for c in view["cancellations"]:
                assert all(part["refund"] >= 0 for part in c["lines"])
                assert min(c["refund"].values()) >= 0
        finally:
            world.db.dispose()
