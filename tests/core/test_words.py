"""What a cancellation is called, everywhere it is told (core.words): the buyer's
notification, the customer email and the order's timeline say the same thing, and
counts are plural right."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core import rules, services, words
from tests.core.builders import NOW, SHOP, line, lid, oid, order, package, pid, simple_order, split_order

O1 = oid(1)
MUG = lid(11)


@pytest.mark.parametrize("n, said", [(0, "0 units"), (1, "1 unit"), (2, "2 units"), (1000, "1,000 units")])
def test_plural_is_singular_for_exactly_one(n, said):
    assert words.plural(n, "unit") == said


@pytest.mark.parametrize("units, left, said", [
    (2, words.Left(to_ship=3), "2 items cancelled, 3 still to ship"),
    (1, words.Left(to_ship=1), "1 item cancelled, 1 still to ship"),
    (4, words.Left(shipped=2), "4 items cancelled, 2 already shipped"),
    (1, words.Left(to_ship=1, shipped=2), "1 item cancelled, 1 still to ship, 2 already shipped"),
    (5, words.Left(), "Order cancelled"),
    (2, None, "2 items cancelled"),
])
def test_cancelled_words_say_what_was_cancelled_and_what_is_left(units, left, said):
    assert words.cancelled_words(units, left) == said


def test_what_is_left_skips_cancelled_units_and_packages_and_splits_by_collected():
    packages = [SimpleNamespace(id="a", status="awaiting_shipment"), SimpleNamespace(id="b", status="in_transit"),
                SimpleNamespace(id="c", status="cancelled")]
    lines = [SimpleNamespace(id="1", package_id="a", quantity=3, cancelled_quantity=1),
             SimpleNamespace(id="2", package_id="b", quantity=2, cancelled_quantity=0),
             SimpleNamespace(id="3", package_id="c", quantity=4, cancelled_quantity=4)]
    assert rules.left_after(packages, lines) == words.Left(to_ship=2, shipped=2)
    assert rules.left_after(packages, lines, {"1": 2}) == words.Left(to_ship=0, shipped=2)


def test_a_partial_cancellation_is_told_the_same_in_the_notification_the_timeline_and_the_email(make_world):
    w = make_world(simple_order(1))  # MUG x3, LAMP x1, one package To Ship
    assert services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, shop=SHOP, items={MUG: 1}).ok
    [note] = w.notifications()
    assert note["title"] == "1 item cancelled, 3 still to ship"
    [event] = w.events(O1, "cancelled")
    assert words.cancelled_event_words(event) == "1 item cancelled, 3 still to ship"
    [email] = w.outbox()
    body = email["body"]
    assert f"cancelled the following from your order {O1}:\n  1 x Stoneware Mug (MUG): $10.62" in body
    assert "Still coming to you:\n  2 x Stoneware Mug (MUG): still to ship\n  1 x " in body


def test_the_email_says_a_product_still_coming_once_whatever_packages_hold_it(make_world):
    mugs_in_two_packages = order(1, package(11, line(11, "MUG", 2), line(12, "LAMP", 1)),
                                 package(12, line(13, "MUG", 1)))
    w = make_world(mugs_in_two_packages)
    assert services.seller_cancel(w.db, O1, "out_of_stock", now=NOW, shop=SHOP, items={lid(12): 1}).ok
    body = w.outbox()[0]["body"]
    assert "Still coming to you:\n  3 x Stoneware Mug (MUG): still to ship\n\n" in body


def test_the_email_says_what_the_carrier_already_has(make_world):
    w = make_world(split_order(1, second="in_transit"))  # MUG x3 + LAMP x1 To Ship, VASE x2 with the carrier
    assert services.seller_cancel(w.db, O1, "pricing_error", now=NOW, package_id=pid(11)).ok
    [note] = w.notifications()
    assert note["title"] == "4 items cancelled, 2 already shipped"
    [email] = w.outbox()
    assert "Still coming to you:\n  2 x " in email["body"] and "(VASE): already shipped" in email["body"]


def test_a_whole_cancellation_says_order_cancelled_and_lists_nothing_still_coming(make_world):
    w = make_world(simple_order(1))
    assert services.seller_cancel(w.db, O1, "pricing_error", now=NOW, shop=SHOP).ok
    [note] = w.notifications()
    assert note["title"] == "Order cancelled"
    [event] = w.events(O1, "cancelled")
    assert words.cancelled_event_words(event) == "Order cancelled"
    [email] = w.outbox()
    assert "Still coming" not in email["body"]


def test_an_event_recorded_before_units_were_counted_still_reads():
    assert words.cancelled_event_words({"scope": "order", "reason": "out_of_stock"}) == "Cancelled"
