"""Importing Seller Center order exports (core.tiktok_import): encodings, XLSX, column
variations, amounts and times, packages and statuses, cancellations already in the
export, idempotent re-imports, bad rows, dry runs. All sample data is invented."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from core import rules, services, spreadsheets
from core.queries import orders as queries
from core.db import Database
from core.models import Buyer, Cancellation, Order, OrderLine, Package, Product, Shop
from core.tiktok_import import (
    ImportFileError, RowProblem, import_file, map_reason, map_status, parse_money, parse_time,
)
from tests.core.tiktok_samples import (
    HEADER, edit_part, edit_sheet, oid, pkg, replace_cell, row, with_shared_strings, write_csv, write_xlsx,
)
from tests.databases import dump as every_row, fresh_url

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    database = Database(fresh_url(tmp_path, "import"))
    yield database
    database.dispose()


def run(db, path, **kw):
    return import_file(db, path, now=NOW, **kw)


def view(db, order_id):
    with db.read() as session:
        return queries.order_view(session, order_id, NOW)


def dump(db):
    return every_row(db.url)


def check_invariants(db):
    """Every imported order: status = derive_order_status(packages); each line in one
    of its packages; cancelled quantities = the sum of its cancellation lines."""
    with db.read() as session:
        for order in session.exec(select(Order)):
            packages = session.exec(select(Package).where(Package.order_id == order.id)).all()
            lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
            assert order.status == rules.derive_order_status(
                [p.status for p in packages], paid=order.paid_at is not None,
                on_hold=order.status == "on_hold", completed=order.completed_at is not None), order.id
            assert {l.package_id for l in lines} <= {p.id for p in packages}
            shown = queries.order_view(session, order.id, NOW)
            for line in shown["lines"]:
                done = sum(cl["quantity"] for c in shown["cancellations"] for cl in c["lines"]
                           if cl["line_id"] == line["id"])
                assert done == line["cancelled_quantity"]


# -- values ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, minor, currency", [
    ("12.30", 1230, None), ("12", 1200, None), ("12.3", 1230, None), ("$1,234.50", 123450, "USD"),
    ("1.234,50 €", 123450, "EUR"), ("€1.234,50", 123450, "EUR"), ("1 234,50", 123450, None),
    ("£0.99", 99, "GBP"), ("USD 12.30", 1230, "USD"), ("12,50", 1250, None), ("1,234", 123400, None),
    ("1.234", 123400, None), ("1,234,567.89", 123456789, None), ("1'234.50", 123450, None),
    ("", None, None), ("-", None, None), (None, None, None), (12.3, 1230, None), (7, 700, None),
])
def test_amounts(text, minor, currency):
    assert parse_money(text) == (minor, currency)


@pytest.mark.parametrize("text", ["-1.00", "($2.00)", "abc", "12.345.6x", "1.2345", -3])
def test_bad_amounts(text):
    with pytest.raises(RowProblem):
        parse_money(text)


def test_times():
    assert parse_time("05/03/2026 14:03:22", date_order="dmy") == datetime(2026, 3, 5, 14, 3, 22, tzinfo=UTC)
    assert parse_time("05/03/2026 14:03:22", date_order="mdy") == datetime(2026, 5, 3, 14, 3, 22, tzinfo=UTC)
    assert parse_time("2026-03-05T14:03:22Z") == datetime(2026, 3, 5, 14, 3, 22, tzinfo=UTC)
    assert parse_time("2026-03-05 16:03:22+02:00") == datetime(2026, 3, 5, 14, 3, 22, tzinfo=UTC)
    assert parse_time("2026/03/05 14:03") == datetime(2026, 3, 5, 14, 3, tzinfo=UTC)
    assert parse_time("03/05/2026 02:03:22 PM", date_order="mdy") == datetime(2026, 3, 5, 14, 3, 22, tzinfo=UTC)
    assert parse_time("") is None
    with pytest.raises(RowProblem):
        parse_time("25/13/2026 10:00:00")


def test_status_and_reason_maps():
    assert map_status("To ship", "Awaiting collection") == "awaiting_collection"
    assert map_status("TO_SHIP", "") == "awaiting_shipment"
    assert map_status("Awaiting Shipment") == "awaiting_shipment"
    assert map_status("Shipped", "Delivered") == "delivered"
    assert map_status("shipped", "In Transit") == "in_transit"
    assert map_status("Completed", "Delivered") == "completed"
    assert map_status("Canceled") == "cancelled"
    assert map_status("On hold") == "on_hold"
    assert map_status("Lost in space") is None
    assert map_reason("No longer needed") == "no_longer_needed"
    assert map_reason("OUT OF STOCK") == "out_of_stock"
    assert map_reason("Package delivery failed") == "delivery_failed"
    assert map_reason("Something new") is None


# -- a plain import -------------------------------------------------------------------------
def test_a_to_ship_order_becomes_an_order_with_its_lines_package_shop_products_and_buyer(db, tmp_path):
    path = write_csv(tmp_path / "a.csv", [
        row(oid(1)),
        row(oid(1), Seller_SKU="TEE-M", SKU_ID="1729000000000002", Product_Name="Cotton tee",
            Variation="M", Quantity="1", SKU_Unit_Original_Price="$19.99",
            SKU_Subtotal_Before_Discount="$19.99", SKU_Seller_Discount="$0.00",
            SKU_Platform_Discount="$2.00"),
    ])
    s = run(db, path)
    assert (s["added"], s["updated"], s["skipped"], s["problems"]) == (1, 0, 0, [])
    assert s["shop"] == "TikTok Shop" and s["shop_created"]
    assert (s["buyers_created"], s["products_created"]) == (1, 2)
    o = view(db, oid(1))
    assert o["status"] == "awaiting_shipment" and o["shop"] == "TikTok Shop" and o["buyer"] == "testbuyer1"
    assert len(o["packages"]) == 1 and o["packages"][0]["status"] == "awaiting_shipment"
    mug, tee = sorted(o["lines"], key=lambda l: l["sku"])
    assert (mug["sku"], mug["title"], mug["quantity"], mug["unit_original_price"], mug["seller_discount"]) \
        == ("MUG-01", "Stoneware mug, Blue", 2, 1250, 100)
    assert (tee["platform_discount"], tee["paid"]) == (200, 1799)
    # Taxes $2.00 is the order's, spread by paid subtotal (2400 : 1799)
    assert mug["tax"] + tee["tax"] == 200 and mug["tax"] == 200 * 2400 // 4199 + 1
    assert o["totals"]["shipping"] == 499
    assert o["totals"]["total"] == 2400 + 1799 + 499 + 200
    assert o["address"] == "1 Example Way, Austin, Texas 73301, United States"
    assert o["actions"]["seller"][:2] == ["cancel_order", "cancel_package"]
    with db.read() as session:
        assert session.exec(select(Product.stock)).all() == [0, 0]
        assert session.exec(select(Buyer.email)).one() == "testbuyer1@buyers.invalid"
    check_invariants(db)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_encodings_are_detected(db, tmp_path, encoding):
    path = write_csv(tmp_path / "e.csv", [row(oid(2), Product_Name="Café mug — €", Recipient="Zoë Ñoño")],
                     encoding=encoding)
    s = run(db, path)
    assert s["added"] == 1, s["problems"]
    o = view(db, oid(2))
    assert o["lines"][0]["title"] == "Café mug — €, Blue" and o["recipient"] == "Zoë Ñoño"


def test_european_export_semicolons_comma_decimals_and_euros(db, tmp_path):
    money = {"SKU_Unit_Original_Price": "1.234,50 €", "SKU_Subtotal_Before_Discount": "2.469,00 €",
             "SKU_Seller_Discount": "0,00 €", "SKU_Platform_Discount": "10,5 €",
             "Original_Shipping_Fee": "4,99 €", "Shipping_Fee_Seller_Discount": "0 €", "Taxes": "0 €"}
    def euro_row(n):
        r = row(oid(n), **money)
        return {k: (v[1:].replace(".", ",") + " €" if v.startswith("$") else v) for k, v in r.items()}

    path = write_csv(tmp_path / "eu.csv", [euro_row(3)], delimiter=";", encoding="utf-8-sig")
    s = run(db, path, shop="Maison Test")
    assert s["added"] == 1 and s["shop_created"], s["problems"]
    with db.read() as session:
        assert session.exec(select(Shop.currency).where(Shop.name == "Maison Test")).one() == "EUR"
    line = view(db, oid(3))["lines"][0]
    assert (line["unit_original_price"], line["platform_discount"], line["paid"]) == (123450, 1050, 245850)
    # the same amounts in a USD shop are refused, row by row
    run(db, write_csv(tmp_path / "us.csv", [row(oid(5))]), shop="TikTok US")  # a USD shop
    path = write_csv(tmp_path / "eu2.csv", [euro_row(4)], delimiter=";")
    s = run(db, path, shop="TikTok US")
    assert s["skipped"] == 1 and "EUR" in s["problems"][0]["problem"]


def test_xlsx(db, tmp_path):
    header = ["Order ID", "Order Status", "Order Substatus", "Seller SKU", "Product Name", "Quantity",
              "SKU Unit Original Price", "SKU Seller Discount", "Original Shipping Fee", "Taxes",
              "Created Time", "Paid Time", "RTS Time", "Buyer Username", "Package ID"]
    created, paid = datetime(2026, 11, 14, 9, 15), datetime(2026, 11, 14, 9, 16)
    path = write_xlsx(tmp_path / "x.xlsx", [
        [oid(5), "To ship", "Awaiting collection", "MUG-01", "Stoneware mug", 2, 12.5, 1, 5.99, 2,
         created, paid, datetime(2026, 11, 15, 8, 0), "xlsxbuyer", pkg(5)],
        [oid(6), "Unpaid", "", "MUG-01", "Stoneware mug", 1, "$12.50", 0, 0, 0, created, None, None,
         "xlsxbuyer", None],
    ], header)
    s = run(db, path)
    assert s["format"] == "xlsx" and s["added"] == 2, s["problems"]
    o = view(db, oid(5))
    assert o["status"] == "awaiting_collection" and o["packages"][0]["id"] == pkg(5)
    assert o["lines"][0]["unit_original_price"] == 1250 and o["totals"]["total"] == 2400 + 599 + 200
    assert view(db, oid(6))["status"] == "unpaid"


def test_missing_extra_and_differently_spelled_columns(db, tmp_path):
    header = ["order id", "ORDER STATUS", "  Seller  SKU ", "Product name", "quantity",
              "SKU Subtotal Before Discount", "created time", "Buyer username", "Cancellation/Return Type",
              "Some Column TikTok Added Later"]
    rows = [dict(row(oid(7)), **{"Cancelation/Return Type": "", "Some Column TikTok Added Later": "x"})]
    rename = {"Order ID": "order id", "Order Status": "ORDER STATUS", "Seller SKU": "  Seller  SKU ",
              "Product Name": "Product name", "Quantity": "quantity", "Created Time": "created time",
              "Buyer Username": "Buyer username", "Cancelation/Return Type": "Cancellation/Return Type"}
    inverse = {v: k for k, v in rename.items()}
    path = write_csv(tmp_path / "m.csv", [{h: r.get(inverse.get(h, h), "") for h in header} for r in rows],
                     header=header)
    s = run(db, path)
    assert s["added"] == 1, s["problems"]
    o = view(db, oid(7))
    # no unit price column: Subtotal Before Discount / Quantity; no Paid Time: paid at creation
    assert o["lines"][0]["unit_original_price"] == 1250 and o["paid_at"] == o["created_at"]
    assert o["status"] == "awaiting_shipment" and len(o["packages"]) == 1
    assert o["totals"]["shipping"] == 0


def test_a_file_without_required_columns_is_refused_whole(db, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row(oid(8))], header=[h for h in HEADER if h != "Order Status"])
    before = dump(db)
    with pytest.raises(ImportFileError, match="Order Status"):
        run(db, path)
    assert dump(db) == before


def test_an_old_xls_file_is_refused_with_what_to_do(db, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ImportFileError, match="save it as XLSX"):
        run(db, path)


def test_description_row_is_skipped(db, tmp_path):
    description = {h: f"Description of {h.lower()}" for h in HEADER}
    path = write_csv(tmp_path / "d.csv", [description, row(oid(9))])
    s = run(db, path)
    assert (s["added"], s["problems"], s["rows"]) == (1, [], 1)


# -- times ---------------------------------------------------------------------------------
def test_day_and_month_order_is_detected_per_file(db, tmp_path):
    us = write_csv(tmp_path / "us.csv", [row(oid(10), Created_Time="11/25/2026 09:15:00",
                                             Paid_Time="11/25/2026 09:16:00")])
    s = run(db, us)
    assert s["date_order"] == "mdy"
    assert view(db, oid(10))["created_at"].startswith("2026-11-25T09:15")
    eu = write_csv(tmp_path / "eu.csv", [row(oid(11), Created_Time="03/04/2026 09:15:00",
                                             Paid_Time="03/04/2026 09:16:00"),
                                         row(oid(12), Created_Time="25/04/2026 09:15:00", Paid_Time="")])
    s = run(db, eu)
    assert s["date_order"] == "dmy"
    assert view(db, oid(11))["created_at"].startswith("2026-04-03")
    ambiguous = write_csv(tmp_path / "amb.csv", [row(oid(13), Created_Time="03/04/2026 09:15:00",
                                                      Paid_Time="03/04/2026 09:16:00")])
    assert run(db, ambiguous)["date_order"] == "dmy"
    assert run(db, ambiguous, date_order="mdy")["updated"] == 1
    assert view(db, oid(13))["created_at"].startswith("2026-03-04")


# -- packages and statuses ------------------------------------------------------------------
def test_split_packages_keep_their_own_statuses(db, tmp_path):
    a, b = pkg(20), pkg(21)
    path = write_csv(tmp_path / "s.csv", [
        row(oid(20), Package_ID=a, RTS_Time="15/11/2026 10:00:00", Tracking_ID="TT1",
            Shipping_Provider_Name="USPS"),
        row(oid(20), Seller_SKU="TEE-M", Package_ID=b),
        row(oid(21), Order_Status="Partially shipping", Order_Substatus="", Package_ID=pkg(22),
            RTS_Time="15/11/2026 10:00:00", Shipped_Time="15/11/2026 18:00:00", Tracking_ID="TT2"),
        row(oid(21), Order_Status="Partially shipping", Order_Substatus="", Package_ID=pkg(23),
            Seller_SKU="TEE-M"),
        row(oid(22), Order_Status="Shipped", Order_Substatus="In transit", Package_ID=pkg(24),
            RTS_Time="15/11/2026 10:00:00", Shipped_Time="15/11/2026 18:00:00",
            Delivered_Time="17/11/2026 12:00:00"),
        row(oid(22), Order_Status="Shipped", Order_Substatus="In transit", Package_ID=pkg(25),
            Seller_SKU="TEE-M", RTS_Time="15/11/2026 10:00:00", Shipped_Time="16/11/2026 18:00:00"),
    ])
    s = run(db, path)
    assert s["added"] == 3, s["problems"]
    o = view(db, oid(20))
    assert o["status"] == "awaiting_shipment"
    assert {p["id"]: p["status"] for p in o["packages"]} == {a: "awaiting_collection", b: "awaiting_shipment"}
    assert {p["id"]: p["tracking_number"] for p in o["packages"]}[a] == "TT1"
    # seed 003: items in the packed package are greyed out
    allowed = {l["package_id"]: l["item_cancel"]["allowed"] for l in o["lines"]}
    assert allowed == {a: False, b: True}
    assert view(db, oid(21))["status"] == "partially_shipping"
    assert sorted(p["status"] for p in view(db, oid(22))["packages"]) == ["delivered", "in_transit"]
    check_invariants(db)


@pytest.mark.parametrize("status, substatus, expected", [
    ("Unpaid", "", "unpaid"), ("On hold", "", "on_hold"), ("To ship", "Awaiting shipment", "awaiting_shipment"),
    ("Awaiting collection", "", "awaiting_collection"), ("Shipped", "In transit", "in_transit"),
    ("Shipped", "Delivered", "delivered"), ("Completed", "", "completed"), ("Cancelled", "", "cancelled"),
])
def test_every_status(db, tmp_path, status, substatus, expected):
    fields = {"Order_Status": status, "Order_Substatus": substatus}
    if status == "Unpaid":
        fields["Paid_Time"] = ""
    if expected == "on_hold":
        fields["Paid_Time"] = "20/11/2026 11:50:00"
    path = write_csv(tmp_path / "st.csv", [row(oid(30), **fields)])
    s = run(db, path)
    assert s["added"] == 1, s["problems"]
    assert view(db, oid(30))["status"] == expected
    check_invariants(db)


# -- cancellations in the export --------------------------------------------------------------
def test_a_cancelled_order_keeps_its_cancellation_and_refunds_what_was_paid(db, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        row(oid(40), Order_Status="Cancelled", Order_Substatus="", Cancelation_Return_Type="Cancel",
            Cancel_By="Buyer", Cancel_Reason="No longer needed", Cancelled_Time="14/11/2026 10:00:00",
            Order_Refund_Amount="$30.99"),
    ])
    s = run(db, path)
    assert s["added"] == 1 and s["notes"] == [], s
    o = view(db, oid(40))
    assert o["status"] == "cancelled" and o["packages"][0]["status"] == "cancelled"
    [c] = o["cancellations"]
    assert (c["role"], c["type"], c["reason"], c["scope"], c["status"]) == \
        ("buyer", "buyer_cancel", "no_longer_needed", "order", "success")
    assert c["refund"]["total"] == o["totals"]["total"] == 3099 and o["totals"]["refunded"] == 3099
    assert c["created_at"].startswith("2026-11-14T10:00")
    assert o["lines"][0]["cancelled_quantity"] == 2
    assert o["actions"]["buyer"] == ["buy_again"]


def test_a_partly_cancelled_order_follows_the_refund_rule_and_notes_a_different_refund(db, tmp_path):
    path = write_csv(tmp_path / "p.csv", [
        row(oid(41), Quantity="3", SKU_Unit_Original_Price="$10.00", SKU_Subtotal_Before_Discount="$30.00",
            SKU_Seller_Discount="$1.00", Sku_Quantity_of_return="1", Cancelation_Return_Type="Cancel",
            Cancel_By="Seller", Cancel_Reason="Out of stock", Order_Refund_Amount="$11.00",
            Cancelled_Time="14/11/2026 10:00:00"),
        row(oid(41), Seller_SKU="TEE-M", Quantity="1", SKU_Unit_Original_Price="$5.00",
            SKU_Subtotal_Before_Discount="$5.00", SKU_Seller_Discount="$0.00",
            Order_Refund_Amount="$11.00", Cancelled_Time="15/11/2026 08:00:00"),
    ])
    s = run(db, path)
    assert s["added"] == 1, s["problems"]
    o = view(db, oid(41))
    assert o["status"] == "awaiting_shipment"
    [c] = o["cancellations"]
    assert (c["role"], c["reason"], c["scope"]) == ("seller", "out_of_stock", "items")
    assert c["created_at"].startswith("2026-11-15T08:00")  # the latest Cancelled Time of its rows
    mug = next(l for l in o["lines"] if l["sku"] == "MUG-01")
    assert mug["cancelled_quantity"] == 1
    # P = 2900, one of 3 units: floor(2900/3) = 966; the order's tax 200 is split 2900:500
    assert mug["tax"] in (170, 171)
    tax = mug["tax"] // 3
    assert c["refund"] == {"subtotal": 966, "shipping": 0, "tax": tax, "total": 966 + tax}
    assert [n["row"] for n in s["notes"]] == [2] and "Order Refund Amount" in s["notes"][0]["note"]
    check_invariants(db)


def test_returns_after_delivery_are_not_cancellations(db, tmp_path):
    path = write_csv(tmp_path / "ret.csv", [
        row(oid(42), Order_Status="Completed", Order_Substatus="", RTS_Time="15/11/2026 10:00:00",
            Shipped_Time="15/11/2026 18:00:00", Delivered_Time="17/11/2026 12:00:00",
            Sku_Quantity_of_return="1", Cancelation_Return_Type="Return/Refund",
            Order_Refund_Amount="$12.00"),
    ])
    s = run(db, path)
    o = view(db, oid(42))
    assert o["status"] == "completed" and o["cancellations"] == []
    assert "returned after delivery" in s["notes"][0]["note"]


def test_unknown_reason_text_gets_the_roles_fallback_and_a_note(db, tmp_path):
    path = write_csv(tmp_path / "u.csv", [
        row(oid(43), Order_Status="Cancelled", Order_Substatus="", Cancel_By="System",
            Cancel_Reason="Risk control", Paid_Time=""),
    ])
    s = run(db, path)
    [c] = view(db, oid(43))["cancellations"]
    assert (c["role"], c["reason"]) == ("system", "collection_timeout")
    assert "Risk control" in s["notes"][0]["note"]


# -- bad rows ---------------------------------------------------------------------------------
def test_every_kind_of_bad_row_is_reported_with_its_row_number_and_the_rest_is_imported(db, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [
        row(oid(50)),                                               # row 2: fine
        row(oid(51), Order_Status="Lost"),                          # row 3: unknown status
        row(oid(52), Quantity="two"),                               # row 4: non-numeric quantity
        row(oid(53), SKU_Seller_Discount="-$1.00"),                 # row 5: negative amount
        row(""),                                                    # row 6: missing Order ID
        row(oid(54)),                                               # row 7: fine, but...
        row(oid(54), Seller_SKU="TEE-M", Buyer_Username="someoneelse"),  # row 8: inconsistent
        row(oid(55), Seller_SKU="TEE-M"),                           # row 9: fine
        row(oid(56)), row(oid(56), Seller_SKU="X", Quantity="1.5"),  # rows 10, 11: one bad row
        row(oid(57), Created_Time="31/31/2026 10:00:00"),            # row 12: bad time
        row(oid(58), Sku_Quantity_of_return="3"),                    # row 13: returns > quantity
    ])
    s = run(db, path)
    assert (s["added"], s["skipped"]) == (2, 7)  # row 6 belongs to no order
    problems = {p["row"]: p for p in s["problems"]}
    assert sorted(problems) == [3, 4, 5, 6, 8, 11, 12, 13]
    assert "Order Status 'Lost'" in problems[3]["problem"]
    assert "'two' is not a whole number" in problems[4]["problem"]
    assert "negative" in problems[5]["problem"]
    assert problems[6]["problem"] == "Order ID is missing" and problems[6]["order_id"] is None
    assert "Buyer Username" in problems[8]["problem"] and "row 7" in problems[8]["problem"]
    assert problems[11]["order_id"] == oid(56)
    assert "Created Time" in problems[12]["problem"]
    assert "Sku Quantity of return" in problems[13]["problem"]
    skipped = {o["order_id"]: o["rows"] for o in s["skipped_orders"]}
    assert skipped[oid(54)] == [7, 8] and skipped[oid(56)] == [10, 11]
    with db.read() as session:
        assert sorted(session.exec(select(Order.id)).all()) == [oid(50), oid(55)]
        # never half-written: the skipped orders have no lines or packages either
        assert {l.order_id for l in session.exec(select(OrderLine))} == {oid(50), oid(55)}


def test_an_order_whose_status_contradicts_its_rows_is_skipped(db, tmp_path):
    path = write_csv(tmp_path / "x.csv", [
        row(oid(60), Sku_Quantity_of_return="2", Cancelation_Return_Type="Cancel"),  # all units, To ship
        row(oid(61), Order_Status="Partially shipping", Order_Substatus=""),
    ])
    s = run(db, path)
    assert s["skipped"] == 2 and s["added"] == 0
    assert "every unit is cancelled" in s["problems"][0]["problem"]
    assert "Partially shipping" in s["problems"][1]["problem"]


# -- idempotency ------------------------------------------------------------------------------
def _counts(db):
    with db.read() as session:
        return {t.__name__: len(session.exec(select(t)).all())
                for t in (Order, Package, OrderLine, Cancellation, Buyer, Product, Shop)}


def test_reimporting_the_same_or_a_newer_export_updates_in_place(db, tmp_path):
    first = [row(oid(70)), row(oid(70), Seller_SKU="TEE-M"), row(oid(71))]
    path = write_csv(tmp_path / "1.csv", first)
    assert run(db, path)["added"] == 2
    counts, lines = _counts(db), [l["id"] for l in view(db, oid(70))["lines"]]
    again = run(db, path)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
    # the same export as UTF-16 with the rows in another order: still unchanged
    again = run(db, write_csv(tmp_path / "1b.csv", first[::-1], encoding="utf-16"))
    assert again["unchanged"] == 2
    newer = write_csv(tmp_path / "2.csv", [
        row(oid(70), Order_Status="Shipped", Order_Substatus="In transit", RTS_Time="15/11/2026 10:00:00",
            Shipped_Time="15/11/2026 18:00:00", Tracking_ID="TT70"),
        row(oid(70), Seller_SKU="TEE-M", Order_Status="Shipped", Order_Substatus="In transit",
            RTS_Time="15/11/2026 10:00:00", Shipped_Time="15/11/2026 18:00:00", Tracking_ID="TT70"),
        row(oid(71), Order_Status="Cancelled", Order_Substatus="", Cancel_By="Seller",
            Cancel_Reason="Pricing error"),
    ])
    s = run(db, newer)
    assert (s["added"], s["updated"], s["unchanged"]) == (0, 2, 0)
    assert _counts(db) == {**counts, "Cancellation": counts["Cancellation"] + 1}
    o = view(db, oid(70))
    assert o["status"] == "in_transit" and o["packages"][0]["tracking_number"] == "TT70"
    assert [l["id"] for l in o["lines"]] == lines  # the same line IDs
    assert view(db, oid(71))["cancellations"][0]["reason"] == "pricing_error"
    assert run(db, newer)["unchanged"] == 2
    assert [e["kind"] for e in o["timeline"]] == ["placed", "imported", "imported"]
    check_invariants(db)


def test_orders_changed_in_orderdesk_are_not_overwritten(db, tmp_path):
    path = write_csv(tmp_path / "1.csv", [row(oid(80)), row(oid(81))])
    run(db, path)
    line = view(db, oid(80))["lines"][0]["id"]
    done = services.seller_cancel(db, oid(80), "out_of_stock", items={line: 1}, now=NOW)
    assert done.ok, done
    newer = write_csv(tmp_path / "2.csv", [row(oid(80), Buyer_Message="hi", Quantity="3",
                                               SKU_Subtotal_Before_Discount="$37.50"),
                                           row(oid(81), Quantity="3")])
    s = run(db, newer)
    assert (s["updated"], s["skipped"]) == (1, 1)
    assert "changed in orderdesk" in s["problems"][0]["problem"] and s["problems"][0]["row"] == 2
    o = view(db, oid(80))
    assert o["lines"][0]["quantity"] == 2 and o["lines"][0]["cancelled_quantity"] == 1


def test_orders_made_in_orderdesk_or_another_shop_are_not_overwritten(db, tmp_path):
    path = write_csv(tmp_path / "1.csv", [row(oid(90))])
    run(db, path, shop="Shop A")
    s = run(db, path, shop="Shop B")
    assert s["skipped"] == 1 and "another shop" in s["problems"][0]["problem"]


def test_dry_run_changes_nothing(db, tmp_path):
    run(db, write_csv(tmp_path / "0.csv", [row(oid(95))]))
    before = dump(db)
    path = write_csv(tmp_path / "1.csv", [row(oid(95), Quantity="5"), row(oid(96)), row(oid(97), Quantity="x")])
    s = run(db, path, dry_run=True)
    assert (s["dry_run"], s["added"], s["updated"], s["skipped"]) == (True, 1, 1, 1)
    assert dump(db) == before


def test_several_shops_need_a_shop_name(db, tmp_path):
    path = write_csv(tmp_path / "1.csv", [row(oid(98))])
    run(db, path, shop="Shop A")
    run(db, write_csv(tmp_path / "2.csv", [row(oid(99))]), shop="Shop B")
    with pytest.raises(ImportFileError, match="--shop"):
        run(db, path)
    assert run(db, path, shop="Shop A")["unchanged"] == 1


def test_a_generated_export_keeps_every_invariant(db, tmp_path):
    from bench.import_tiktok import write_export

    write_export(tmp_path / "big.csv", 1500, seed=3)
    s = run(db, tmp_path / "big.csv")
    assert s["skipped"] == 0 and s["problems"] == [] and s["rows"] == 1500
    check_invariants(db)
    with db.read() as session:
        for order in session.exec(select(Order).where(Order.status == "cancelled")):
            shown = queries.order_view(session, order.id, NOW)
            assert shown["totals"]["refunded"] == shown["totals"]["total"]


# -- files from outside: every limit, and bad cells as bad rows ----------------------------------
# (core/spreadsheets.py reads the file; the CLI's FIFO and /dev/zero tests and the fuzzer
# are in tests/cli/test_import_export.py)
XLSX_HEADER = ["Order ID", "Order Status", "Seller SKU", "Quantity", "SKU Unit Original Price",
               "Created Time", "Product Name"]  # columns A to G


def xlsx_rows(*orders: int) -> list[list]:
    return [[oid(n), "To ship", f"SKU-{k}", 1, "$12.50", datetime(2026, 11, 14, 9, 15), "Mug"]
            for k, n in enumerate(orders)]


@pytest.mark.parametrize("kind", ["directory", "character device", "socket"])
def test_only_a_regular_file_is_read(db, tmp_path, kind):
    import shutil
    import socket
    import tempfile

    folder = tempfile.mkdtemp(prefix="od", dir="/tmp")  # AF_UNIX paths are short
    server = socket.socket(socket.AF_UNIX)
    try:
        if kind == "directory":
            path = tmp_path
        elif kind == "character device":
            path = "/dev/zero"  # read as a file it never ends
        else:
            path = f"{folder}/s"
            server.bind(path)
        before = dump(db)
        with pytest.raises(ImportFileError, match=f"is a {kind}, not a file. Save the export as a file"):
            run(db, path)
        assert dump(db) == before
    finally:
        server.close()
        shutil.rmtree(folder)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(db, tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as out:
        out.truncate(spreadsheets.MAX_FILE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ImportFileError, match=r"the largest file one import reads is 100 MB"):
        run(db, path)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_more_rows_than_the_limit_refuse_the_file_whole(db, tmp_path, monkeypatch, kind):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)

    def make(name: str, rows: int):
        if kind == "csv":
            return write_csv(tmp_path / f"{name}.csv", [row(oid(k)) for k in range(rows)])
        return write_xlsx(tmp_path / f"{name}.xlsx", xlsx_rows(*range(rows)), XLSX_HEADER)

    assert run(db, make("three", 3))["added"] == 3
    before = dump(db)
    with pytest.raises(ImportFileError, match="more than 3 rows, the most one import reads"):
        run(db, make("four", 4))
    assert dump(db) == before


def test_an_xlsx_that_unpacks_past_the_limits_is_refused_whole(db, tmp_path, monkeypatch):
    path = with_shared_strings(write_xlsx(tmp_path / "big.xlsx", xlsx_rows(*range(4000)), XLSX_HEADER))
    before = dump(db)
    monkeypatch.setattr(spreadsheets, "MAX_STRINGS", 1000)
    with pytest.raises(ImportFileError, match="holds more than 1,000 different texts"):
        run(db, path)
    monkeypatch.setattr(spreadsheets, "MAX_SHEET_BYTES", spreadsheets.MB)
    with pytest.raises(ImportFileError, match=r"sheet \(xl/worksheets/sheet1.xml\) unpacks to 1\.\d MB, more "
                                              r"than the 1 MB one import reads"):
        run(db, path)
    assert dump(db) == before


def test_blank_rows_count_toward_the_spreadsheet_limit(db, tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_RECORDS", 50)
    path = write_csv(tmp_path / "blank.csv", [row(oid(1))])
    with open(path, "a") as out:
        out.write("\n" * 100)
    with pytest.raises(ImportFileError, match="more than 50 rows .blank ones included"):
        run(db, path)
    xlsx = edit_sheet(write_xlsx(tmp_path / "b.xlsx", xlsx_rows(1), XLSX_HEADER),
                      lambda xml: xml.replace("</sheetData>", "<row/>" * 100 + "</sheetData>"))
    with pytest.raises(ImportFileError, match="more than 50 rows .blank ones included"):
        run(db, xlsx)


def test_cells_past_the_column_limit_are_ignored(db, tmp_path):
    wide = [{**row(oid(1)), **{f"extra {i}": "x" for i in range(3000)}}]
    path = write_csv(tmp_path / "wide.csv", wide, header=HEADER + [f"extra {i}" for i in range(3000)])
    assert run(db, path)["added"] == 1
    xlsx = edit_sheet(write_xlsx(tmp_path / "w.xlsx", xlsx_rows(2, 3), XLSX_HEADER),
                      replace_cell("G2", '<c r="G2" t="inlineStr"><is><t>Mug</t></is></c>'
                                         '<c r="XFD2" t="inlineStr"><is><t>far away</t></is></c>'))
    s = run(db, xlsx)
    assert s["added"] == 2 and s["problems"] == []


_BAD_CELLS = [  # (fields of the bad row, what its problem says)
    ({"Product_Name": "x" * 200_000}, "Product Name has 200,000 characters; a cell may hold at most 10,000"),
    ({"Product_Name": "y" * 2_000_000}, "the row is longer than 1,000,000 characters"),
    ({"Recipient": "Zo\x00e"}, "Recipient holds a NUL character"),
    ({"Created_Time": "99999-01-01T00:00:00"}, "Created Time '99999-01-01T00:00:00' is not a time"),
    ({"Created_Time": "0001-01-01T00:00:00+05:00"}, "Created Time '0001-01-01T00:00:00+05:00' is not a time"),
    ({"Paid_Time": "9999-12-31T23:59:59-05:00"}, "Paid Time '9999-12-31T23:59:59-05:00' is not a time"),
    ({"Created_Time": "31/12/9999 23:59:59"}, "is not between 2000 and 2099"),
    ({"Created_Time": "01/01/1900 00:00:00"}, "is not between 2000 and 2099"),
    ({"SKU_Unit_Original_Price": "NaN"}, "SKU Unit Original Price 'NaN' is not an amount"),
    ({"Taxes": "1e999"}, "Taxes '1e999' is not an amount"),
    ({"SKU_Seller_Discount": "Infinity"}, "SKU Seller Discount 'Infinity' is not an amount"),
    ({"Quantity": "inf"}, "Quantity 'inf' is not a whole number"),
    ({"Quantity": "9" * 5000}, "Quantity '9999999999999999999999999999999999999999…' is not a whole number"),
    ({"Quantity": "99999999999"}, "Quantity is 99,999,999,999; a row may have at most 100,000 units"),
    ({"SKU_Unit_Original_Price": "9" * 5000}, "is more than 20,000,000, the largest amount"),
    ({"Shipping_Fee_After_Discount": "$99,999,999.00"}, "is more than 20,000,000, the largest amount"),
    ({"Quantity": "100000", "SKU_Unit_Original_Price": "$1,000.00", "SKU_Subtotal_Before_Discount": ""},
     "the order adds up to $100,000,032.99, more than the $20,000,000.00"),
    ({"Seller_SKU": "S" * 5000}, "Seller SKU has 5,000 characters; an ID may have at most 200"),
    ({"Buyer_Username": "u" * 201}, "Buyer Username has 201 characters"),
]


@pytest.mark.parametrize("fields, says", _BAD_CELLS, ids=[says[:40] for _, says in _BAD_CELLS])
def test_a_bad_cell_is_a_bad_row_and_its_order_is_skipped_whole(db, tmp_path, fields, says):
    path = write_csv(tmp_path / "bad.csv", [
        row(oid(10)), row(oid(11)),                      # rows 2, 3: fine (and past the file's start)
        row(oid(1)), row(oid(1), **{"Seller_SKU": "TEE-M", **fields}),  # rows 4, 5
        row(oid(2)),                                     # row 6: fine, after the bad row
    ])
    s = run(db, path)
    assert (s["added"], s["skipped"], s["rows"]) == (3, 1, 5)
    [problem] = s["problems"]
    assert problem["row"] in (4, 5) and problem["order_id"] == oid(1) and says in problem["problem"]
    assert len(problem["problem"]) < 300  # a value is shown clipped, never whole
    assert s["skipped_orders"] == [{"order_id": oid(1), "rows": [4, 5], "why": problem["problem"]}]
    with db.read() as session:
        assert sorted(session.exec(select(Order.id)).all()) == [oid(2), oid(10), oid(11)]


_BAD_XLSX_CELLS = [  # (cell, its XML, what the problem says)
    ("G3", f'<c r="G3" t="inlineStr"><is><t>{"z" * 200_000}</t></is></c>',
     "Product Name has 200,000 characters; a cell may hold at most 10,000"),
    ("F3", '<c r="F3" s="1"><v>99999999</v></c>', "Created Time is not a date (99999999 is beyond the calendar)"),
    ("F3", '<c r="F3" t="d"><v>99999-01-01T00:00:00</v></c>', "Created Time '99999-01-01T00:00:00' is not a time"),
    ("F3", '<c r="F3" s="1"><v>1.5</v></c>', "is not between 2000 and 2099"),
    ("D3", '<c r="D3"><v>NaN</v></c>', "Quantity is not a number ('NaN')"),
    ("E3", '<c r="E3"><v>1e999</v></c>', "SKU Unit Original Price is not a number ('1e999')"),
    ("C3", '<c r="C3" t="s"><v>99</v></c>', "Seller SKU refers to a text the file does not have"),
]


@pytest.mark.parametrize("ref, xml, says", _BAD_XLSX_CELLS, ids=[says[:40] for *_, says in _BAD_XLSX_CELLS])
def test_a_bad_xlsx_cell_is_a_bad_row(db, tmp_path, ref, xml, says):
    path = edit_sheet(write_xlsx(tmp_path / "bad.xlsx", xlsx_rows(1, 1, 2), XLSX_HEADER), replace_cell(ref, xml))
    s = run(db, path)
    assert (s["added"], s["skipped"]) == (1, 1)
    [problem] = s["problems"]
    assert (problem["row"], problem["order_id"]) == (3, oid(1)) and says in problem["problem"], problem
    assert view(db, oid(2))["status"] == "awaiting_shipment"


def test_a_damaged_xlsx_is_refused_and_says_so(db, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", xlsx_rows(1, 2), XLSX_HEADER)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[:-300])  # the zip's directory is at its end
    malformed = edit_sheet(good, lambda xml: xml.replace("</sheetData>", "<row><c></row></sheetData>"),
                           tmp_path / "malformed.xlsx")
    before = dump(db)
    with pytest.raises(ImportFileError, match="Cannot read .* as XLSX"):
        run(db, cut)
    with pytest.raises(ImportFileError, match="malformed.xlsx is damaged at row 4"):
        run(db, malformed)
    assert dump(db) == before


# Runs an import in a fresh interpreter and prints its summary and peak resident memory:
# Linux's VmHWM, its own (getrusage's ru_maxrss also counts the peak of the process that
# started it, here pytest's, as exec keeps the larger of the two), else ru_maxrss.
_MEASURE = """
import json, re, resource, sys
from datetime import UTC, datetime
from core.db import Database
from core.tiktok_import import import_file
db = Database(sys.argv[1])
s = import_file(db, sys.argv[2], now=datetime(2026, 11, 20, 12, tzinfo=UTC))
db.dispose()
try:
    with open("/proc/self/status") as status:
        peak_mb = int(re.search(r"VmHWM:\\s*(\\d+) kB", status.read())[1]) / 1024
except OSError:
    unit = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / unit
print(json.dumps({"added": s["added"], "problems": s["problems"][:3], "peak_mb": peak_mb}))
"""


def _wide_row(xml: str) -> str:
    """Row 2 carries a million more cells (a few hundred KB once zipped)."""
    head, _, rest = xml.partition("</row>")  # the header row
    head2, _, rest = rest.partition("</row>")
    return head + "</row>" + head2 + '<c t="n"><v>1</v></c>' * 1_000_000 + "</row>" + rest


@pytest.mark.parametrize("craft", ["declares A1:XFD1048576", "a row of a million cells"])
def test_a_crafted_xlsx_imports_within_bounded_memory(tmp_path, craft):
    """Memory is about bounds, not speed: 300 MB is generous (the import of these 3,000
    rows needs about 110 MB, most of it Python and SQLAlchemy); before the sheet was
    streamed, the first file needed about 450 MB and the second 1.9 GB."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    path = write_xlsx(tmp_path / "crafted.xlsx", xlsx_rows(*range(3000)), XLSX_HEADER)
    if craft.startswith("declares"):
        edit_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*" ?/>',
                                            '<dimension ref="A1:XFD1048576"/>', xml))
    else:
        edit_sheet(path, _wide_row)
    assert path.stat().st_size < 1_000_000
    done = subprocess.run([sys.executable, "-c", _MEASURE, fresh_url(tmp_path, "measured"), str(path)],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["added"] == 3000 and result["problems"] == []
    assert result["peak_mb"] < 300, result


def test_xlsx_with_shared_strings_as_excel_writes_them(db, tmp_path):
    import openpyxl

    path = with_shared_strings(write_xlsx(tmp_path / "excel.xlsx", xlsx_rows(1, 2, 3), XLSX_HEADER))
    assert openpyxl.load_workbook(path).active["A2"].value == oid(1)  # a valid workbook
    # one text in rich runs with a phonetic reading (not part of the text); one too long
    edit_part(path, "xl/sharedStrings.xml", lambda xml: xml.replace(
        "<si><t>Mug</t></si>",
        '<si><r><t>M</t></r><r><rPr><b/></rPr><t xml:space="preserve">ug</t></r>'
        '<rPh sb="0" eb="1"><t>マグ</t></rPh></si>')
        .replace("<si><t>SKU-2</t></si>", f"<si><t>{'k' * 12_000}</t></si>"))
    s = run(db, path)
    assert (s["added"], s["skipped"]) == (2, 1)
    assert [(p["row"], p["problem"]) for p in s["problems"]] == [
        (4, "Seller SKU has 12,000 characters; a cell may hold at most 10,000")]
    assert view(db, oid(1))["lines"][0]["title"] == "Mug"
