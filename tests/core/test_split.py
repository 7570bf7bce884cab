"""Splitting a package: units move to a new package; parts add up exactly to the whole."""

from __future__ import annotations

from core import refunds, services
from tests.core.builders import NOW, lid, oid, pid, simple_order, split_order

O1, P1 = oid(1), pid(1)
MUG, LAMP = lid(11), lid(12)  # simple_order(1): MUG x3 ($1.00 seller discount, $2.90 tax), LAMP x1


def test_moving_part_of_a_line_divides_it_and_keeps_every_amount(make_world):
    w = make_world(simple_order(1))
    before = w.view(O1)
    result = services.split_package(w.db, P1, {MUG: 1}, now=NOW)
    assert result.ok, result
    new_package = result.record["id"]
    after = w.view(O1)
    assert [p["id"] for p in after["packages"]] == sorted([P1, new_package])
    mugs = [l for l in after["lines"] if l["sku"] == "MUG"]
    assert sorted(l["quantity"] for l in mugs) == [1, 2]
    assert {l["package_id"] for l in mugs} == {P1, new_package}
    assert after["totals"] == before["totals"]  # nothing paid changes
    assert sum(l["seller_discount"] for l in mugs) == 100 and sum(l["tax"] for l in mugs) == 290
    assert after["status"] == "awaiting_shipment" and after["version"] == before["version"] + 1
    assert w.events(O1, "split")


def test_moving_a_whole_line_moves_it(make_world):
    w = make_world(simple_order(1))
    new_package = services.split_package(w.db, P1, {LAMP: 1}, now=NOW).record["id"]
    assert w.line(LAMP).package_id == new_package
    assert len(w.view(O1)["lines"]) == 2


def test_after_a_split_cancelling_everything_still_refunds_exactly_what_was_paid(make_world):
    w = make_world(simple_order(1))
    new_package = services.split_package(w.db, P1, {MUG: 2}, now=NOW).record["id"]
    assert services.seller_cancel(w.db, O1, "out_of_stock", items={MUG: 1}, now=NOW).ok
    assert services.pack(w.db, new_package, now=NOW).ok
    assert services.seller_cancel(w.db, O1, "pricing_error", now=NOW).ok
    view = w.view(O1)
    assert view["status"] == "cancelled"
    assert view["totals"]["refunded"] == view["totals"]["total"]


def test_refusals_change_nothing(make_world):
    w = make_world(split_order(1), simple_order(2))
    before = w.dump()
    cases = [
        (pid(12), {lid(13): 1}, "wrong_package_status"),  # the second package is packed
        (pid(11), {lid(11): 0}, "bad_quantity"),
        (pid(11), {lid(11): 4}, "bad_quantity"),
        (pid(11), {lid(13): 1}, "unknown_line"),  # a line of another package
        (pid(11), {}, "bad_quantity"),
        (pid(2), {lid(21): 3, lid(22): 1}, "nothing_left"),
        ("115999999999999999", {lid(11): 1}, "unknown_package"),
    ]
    for package_id, moves, code in cases:
        result = services.split_package(w.db, package_id, moves, now=NOW)
        assert not result.ok and result.code == code, (moves, result)
    assert w.dump() == before


def test_a_partly_cancelled_line_moves_whole_or_not_at_all(make_world):
    w = make_world(simple_order(1))
    assert services.seller_cancel(w.db, O1, "out_of_stock", items={MUG: 1}, now=NOW).ok
    result = services.split_package(w.db, P1, {MUG: 1}, now=NOW)
    assert not result.ok and result.code == "line_partly_cancelled"
    assert services.split_package(w.db, P1, {MUG: 2}, now=NOW).ok
    line = w.line(MUG)
    assert (line.quantity, line.cancelled_quantity) == (3, 1)
    assert refunds.line_paid(line) == 2900
