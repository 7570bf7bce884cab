"""CONTRACT.md end to end on the demo data: commands, JSON shapes, exit codes,
and that nothing changes when a command is refused (exit 1) or given bad input (exit 2)."""

from __future__ import annotations

import pytest

ORDER_FIELDS = {"id", "status", "buyer", "shop", "currency", "totals", "lines", "packages",
                "actions", "cancellations"}
LINE_FIELDS = {"id", "sku", "title", "quantity", "cancelled_quantity", "package_id", "item_cancel"}
CANCELLATION_FIELDS = {"id", "type", "role", "status", "reason", "lines", "refund"}


def assert_order_shape(order: dict) -> None:
    assert ORDER_FIELDS <= order.keys()
    assert len(order["id"]) == 18 and order["id"].isdigit()
    assert set(order["totals"]) >= {"subtotal", "shipping", "tax", "total", "refunded"}
    assert all(isinstance(v, int) for v in order["totals"].values())
    package_ids = {p["id"] for p in order["packages"]}
    for line in order["lines"]:
        assert LINE_FIELDS <= line.keys()
        assert line["package_id"] in package_ids  # each line sits in exactly one package
        assert set(line["item_cancel"]) == {"allowed", "max_quantity", "why_not"}
    assert set(order["actions"]) == {"buyer", "seller"}
    for c in order["cancellations"]:
        assert CANCELLATION_FIELDS <= c.keys()
        assert set(c["refund"]) == {"subtotal", "shipping", "tax", "total"}


def test_orders_list_has_the_contract_shape_newest_first(od):
    orders = od.orders()
    assert len(orders) >= 40
    for order in orders:
        assert_order_shape(order)
    created = [o["created_at"] for o in orders]
    assert created == sorted(created, reverse=True)


def test_orders_list_filters(od):
    waiting = od.orders("awaiting_shipment")
    assert waiting and {o["status"] for o in waiting} == {"awaiting_shipment"}
    two = od.orders("awaiting_shipment", "cancelled")
    assert {o["status"] for o in two} == {"awaiting_shipment", "cancelled"}
    sku = waiting[0]["lines"][0]["sku"]
    assert all(any(l["sku"] == sku for l in o["lines"]) for o in od.orders(product=sku))
    buyer = waiting[0]["buyer"]
    assert {o["buyer"] for o in od.orders(buyer=buyer)} == {buyer}
    shop = waiting[0]["shop"]
    assert {o["shop"] for o in od.orders(shop=shop)} == {shop}
    assert len(od.ok("orders", "list", "--limit", "3")) == 3


def test_orders_show_by_full_id_and_by_suffix(od):
    order = od.orders("awaiting_shipment")[0]
    shown = od.ok("orders", "show", order["id"])
    assert_order_shape(shown)
    assert shown["id"] == order["id"]
    assert od.ok("orders", "show", order["id"][-8:])["id"] == order["id"]
    human = od("orders", "show", order["id"])
    assert human.code == 0 and order["id"] in human.out


@pytest.mark.parametrize("args, code", [
    (["orders", "show", "576999999999999999"], "unknown_order"),
    (["orders", "list", "--status", "lost"], "bad_input"),
    (["orders", "list", "--limit", "0"], "bad_input"),
    (["reasons", "--as", "wizard"], "bad_input"),
    (["pack", "115999999999999999"], "unknown_package"),
    (["requests", "approve", "458999999999999999"], "unknown_request"),
    (["--now", "yesterday", "orders", "list"], "bad_input"),
])
def test_bad_input_exits_2_with_a_json_error(od, args, code):
    run = od(*args, "--json")
    assert run.code == 2
    assert run.json["error"]["code"] == code
    assert run.json["error"]["message"]


def test_reasons(od):
    buyer = od.ok("reasons", "--as", "buyer")
    assert {"key": "change_address", "text": "Need to change shipping address"} in buyer
    assert len(buyer) == 12
    assert [r["key"] for r in od.ok("reasons", "--as", "seller")] == [
        "out_of_stock", "pricing_error", "unable_to_deliver", "buyer_requested"]
    assert len(od.ok("reasons", "--as", "reject")) == 4
    unpaid = od.orders("unpaid")[0]
    keys = [r["key"] for r in od.ok("reasons", "--as", "buyer", "--order", unpaid["id"])]
    assert "change_payment" in keys and "not_shipped_on_time" not in keys


def test_buyer_cancels_an_unpacked_order(od):
    order = next(o for o in od.orders("awaiting_shipment") if "cancel" in o["actions"]["buyer"])
    record = od.ok("cancel", order["id"], "--as", "buyer", "--reason", "no_longer_needed")
    assert CANCELLATION_FIELDS <= record.keys()
    assert (record["type"], record["role"], record["status"]) == ("buyer_cancel", "buyer", "success")
    shown = od.ok("orders", "show", order["id"])
    assert shown["status"] == "cancelled"
    assert shown["cancellations"][-1]["id"] == record["id"]
    assert shown["totals"]["refunded"] == shown["totals"]["total"]
    assert shown["actions"]["buyer"] == ["buy_again"]
    emails = od.ok("outbox", "list")
    assert any(e["cancellation_id"] == record["id"] and e["status"] == "pending" for e in emails)


def test_buyer_cannot_cancel_a_packed_order_but_can_ask_the_seller(od):
    order = next(o for o in od.orders("awaiting_collection") if o["pending_request"] is None)
    before = od.dump()
    run = od("cancel", order["id"], "--as", "buyer", "--reason", "no_longer_needed", "--json")
    assert run.code == 1 and run.json["error"]["code"] == "order_packed"
    assert "Contact the seller" in run.json["error"]["message"]
    assert od.dump() == before
    request = od.ok("request-cancel", order["id"], "--reason", "no_longer_needed")
    assert request["status"] == "request_pending" and request["deadline_at"]
    assert request["id"] in {r["id"] for r in od.ok("requests", "list")}
    approved = od.ok("requests", "approve", request["id"])
    assert approved["status"] == "success"
    assert od.ok("orders", "show", order["id"])["status"] == "cancelled"


def test_seller_rejects_a_request_with_a_reason_that_fits(od):
    request = od.ok("requests", "list")[0]
    run = od("requests", "reject", request["id"], "--reason", "out_of_stock", "--json")
    assert run.code == 1 and run.json["error"]["code"] == "reason_not_match"
    run = od("requests", "reject", request["id"], "--reason", "bogus", "--json")
    assert run.code == 2 and run.json["error"]["code"] == "unknown_reason"
    rejected = od.ok("requests", "reject", request["id"], "--reason", "cannot_change_address")
    assert rejected["status"] == "closed"
    again = od("requests", "approve", request["id"], "--json")
    assert again.code == 1 and again.json["error"]["code"] == "request_answered"


def _split_order(od):
    """An Awaiting Shipment order with one package Awaiting Collection (seed 003's greyed-out case)."""
    for order in od.orders("awaiting_shipment"):
        statuses = {p["status"] for p in order["packages"]}
        if {"awaiting_shipment", "awaiting_collection"} <= statuses:
            return order
    raise AssertionError("the demo data has no split order in two statuses")


def test_seller_cancels_items_out_of_stock_and_greyed_out_items_are_refused(od):
    order = _split_order(od)
    greyed = next(l for l in order["lines"] if not l["item_cancel"]["allowed"])
    assert "Awaiting Collection" in greyed["item_cancel"]["why_not"]
    line = next(l for l in order["lines"] if l["item_cancel"]["allowed"])
    before = od.dump()
    run = od("cancel", order["id"], "--as", "seller", "--reason", "out_of_stock",
             "--item", f"{greyed['id']}=1", "--json")
    assert run.code == 1 and run.json["error"]["code"] == "package_not_eligible"
    run = od("cancel", order["id"], "--as", "seller", "--reason", "pricing_error",
             "--item", f"{line['id']}=1", "--json")
    assert run.code == 1 and run.json["error"]["code"] == "reason_not_match"
    assert od.dump() == before
    record = od.ok("cancel", order["id"], "--as", "seller", "--reason", "out_of_stock",
                   "--item", f"{line['id']}=1")
    assert record["role"] == "seller" and record["reason"] == "out_of_stock"
    assert record["lines"] == [{"line_id": line["id"], "quantity": 1, "refund": record["lines"][0]["refund"],
                                "refund_subtotal": record["lines"][0]["refund_subtotal"],
                                "refund_tax": record["lines"][0]["refund_tax"]}]
    assert record["refund"]["shipping"] == 0
    shown = od.ok("orders", "show", order["id"])
    after = next(l for l in shown["lines"] if l["id"] == line["id"])
    assert after["cancelled_quantity"] == line["cancelled_quantity"] + 1
    assert shown["totals"]["refunded"] == order["totals"]["refunded"] + record["refund"]["total"]


@pytest.mark.parametrize("qty, code", [("0", "bad_quantity"), ("-1", "bad_quantity"),
                                       ("two", "bad_quantity"), ("999", "bad_quantity")])
def test_bad_item_quantities_change_nothing(od, qty, code):
    order = _split_order(od)
    line = next(l for l in order["lines"] if l["item_cancel"]["allowed"])
    before = od.dump()
    run = od("cancel", order["id"], "--as", "seller", "--reason", "out_of_stock",
             "--item", f"{line['id']}={qty}", "--json")
    assert run.code == 2 and run.json["error"]["code"] == code
    assert od.dump() == before


def test_seller_cancels_one_package(od):
    order = _split_order(od)
    package = next(p for p in order["packages"] if p["status"] == "awaiting_collection")
    record = od.ok("cancel", order["id"], "--as", "seller", "--reason", "unable_to_deliver",
                   "--package", package["id"])
    assert {l["line_id"] for l in record["lines"]} == {
        l["id"] for l in order["lines"] if l["package_id"] == package["id"]
        and l["quantity"] > l["cancelled_quantity"]}
    shown = od.ok("orders", "show", order["id"])
    assert next(p for p in shown["packages"] if p["id"] == package["id"])["status"] == "cancelled"
    assert shown["status"] == "awaiting_shipment"


def test_a_buyer_cannot_act_on_someone_elses_order(od):
    order = od.orders("awaiting_shipment")[0]
    other = next(o["buyer"] for o in od.orders() if o["buyer"] != order["buyer"])
    before = od.dump()
    run = od("cancel", order["id"], "--as", "buyer", "--reason", "no_longer_needed",
             "--user", other, "--json")
    assert run.code == 1 and run.json["error"]["code"] == "forbidden"
    assert od.dump() == before


def test_a_retry_with_the_same_idempotency_key_never_cancels_twice(od):
    order = _split_order(od)
    line = next(l for l in order["lines"] if l["item_cancel"]["allowed"])
    args = ("cancel", order["id"], "--as", "seller", "--reason", "out_of_stock",
            "--item", f"{line['id']}=1", "--idempotency-key", "station-3-0001")
    first = od.ok(*args)
    after_first = od.dump()
    assert od.ok(*args) == first
    assert od.dump() == after_first


def test_stale_version_gives_cancellation_of_order_failed(od):
    order = next(o for o in od.orders("awaiting_shipment") if "cancel" in o["actions"]["buyer"]
                 and all(p["status"] == "awaiting_shipment" for p in o["packages"]))
    seen = od.ok("orders", "show", order["id"])["version"]
    for package in order["packages"]:
        od.ok("pack", package["id"])
    run = od("cancel", order["id"], "--as", "buyer", "--reason", "no_longer_needed",
             "--expected-version", str(seen), "--json")
    assert run.code == 1
    assert run.json["error"]["code"] == "cancellation_failed"
    assert run.json["error"]["message"].startswith("Cancellation of order failed")


def test_logistics_and_refusing_delivery(od):
    order = next(o for o in od.orders("awaiting_collection") if len(o["packages"]) == 1)
    package = order["packages"][0]["id"]
    wrong = od("deliver", package, "--json")
    assert wrong.code == 1 and wrong.json["error"]["code"] == "wrong_package_status"
    assert od.ok("handover", package)["status"] == "in_transit"
    assert od.ok("orders", "show", order["id"])["actions"]["buyer"] == ["refuse_delivery"]
    assert od.ok("refuse", package)["status"] == "returned"
    refusals = od.ok("orders", "show", order["id"])["buyer_refusals"]
    assert refusals >= 1
    record = od.ok("receive-return", package)
    assert record["reason"] == "package_rejected" and record["role"] == "system"
    assert od.ok("orders", "show", order["id"])["status"] == "cancelled"


def test_seed_demo_refuses_to_overwrite_without_reset(od):
    run = od("seed", "demo", "--json")
    assert run.code == 1 and run.json["error"]["code"] == "not_empty"
    assert od("seed", "demo", "--reset").code == 0


def test_clock_advance_approves_overdue_requests(od):
    pending = od.ok("requests", "list")
    assert pending
    done = od.ok("clock", "advance", "25h")
    assert done["auto_approved"] == len(pending)
    assert od.ok("requests", "list") == []
    order = od.ok("orders", "show", pending[0]["order_id"])
    assert order["status"] == "cancelled"


def test_split_moves_units_into_a_new_package(od):
    order = next(o for o in od.orders("awaiting_shipment") if len(o["packages"]) == 1
                 and any(l["quantity"] >= 2 and l["cancelled_quantity"] == 0 for l in o["lines"]))
    line = next(l for l in order["lines"] if l["quantity"] >= 2 and l["cancelled_quantity"] == 0)
    package = od.ok("split", order["packages"][0]["id"], "--item", f"{line['id']}=1")
    shown = od.ok("orders", "show", order["id"])
    assert package["id"] in {p["id"] for p in shown["packages"]} and len(shown["packages"]) == 2
    assert shown["totals"] == order["totals"]
    bad = od("split", order["packages"][0]["id"], "--item", f"{line['id']}=99", "--json")
    assert bad.code == 2 and bad.json["error"]["code"] == "bad_quantity"
