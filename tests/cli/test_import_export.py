"""`orderdesk import tiktok` and `orderdesk export cancellations` through tui.cli.main:
summaries, exit codes, a round trip (import → cancel items → export), re-import,
dry runs and bad input. Sample exports are invented (tests/core/tiktok_samples.py)."""

from __future__ import annotations

import csv
import json

import pytest

from tests.cli.conftest import Orderdesk
from tests.databases import fresh_url
from tests.core.tiktok_samples import HEADER, NOW, oid, pkg, row, write_csv, write_xlsx


@pytest.fixture
def fresh(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("ORDERDESK_NOW", NOW)
    return Orderdesk(fresh_url(tmp_path, "fresh"), capsys)


@pytest.fixture
def export(tmp_path):
    return write_csv(tmp_path / "orders.csv", [
        row(oid(1)), row(oid(1), Seller_SKU="TEE-M", Product_Name="Cotton tee", Quantity="1",
                         SKU_Unit_Original_Price="$19.99", SKU_Subtotal_Before_Discount="$19.99"),
        row(oid(2), Order_Status="Cancelled", Order_Substatus="", Cancel_By="Buyer",
            Cancel_Reason="Bought by mistake", Cancelled_Time="14/11/2026 11:00:00"),
        row(oid(3), Order_Status="Shipped", Order_Substatus="In transit", Package_ID=pkg(3),
            RTS_Time="15/11/2026 10:00:00", Shipped_Time="15/11/2026 18:00:00", Tracking_ID="TT3"),
        row(oid(4), Quantity="lots"),
    ], encoding="utf-8-sig")


def test_import_prints_a_summary_and_the_orders_are_there(fresh, export):
    run = fresh("import", "tiktok", str(export))
    assert run.code == 0, run.err
    assert "orders added 3, updated 0, unchanged 0, skipped 1" in run.out
    assert "row 6: order 577100000000000004: Quantity 'lots' is not a whole number" in run.out
    assert run.err == ""  # no progress bar when stderr is not a terminal
    statuses = {o["id"]: o["status"] for o in fresh.orders()}
    assert statuses == {oid(1): "awaiting_shipment", oid(2): "cancelled", oid(3): "in_transit"}
    shown = fresh.ok("orders", "show", oid(2))
    assert shown["cancellations"][0]["reason"] == "bought_by_mistake"


def test_import_json_summary(fresh, export):
    s = fresh.ok("import", "tiktok", str(export))
    assert (s["added"], s["skipped"], s["rows"], s["orders_in_file"]) == (3, 1, 5, 4)
    assert s["problems"] == [{"row": 6, "order_id": oid(4),
                              "problem": "Quantity 'lots' is not a whole number"}]
    assert s["skipped_orders"] == [{"order_id": oid(4), "rows": [6],
                                    "why": "Quantity 'lots' is not a whole number"}]


def test_round_trip_import_cancel_items_export(fresh, export, tmp_path):
    fresh.ok("import", "tiktok", str(export))
    order = fresh.ok("orders", "show", oid(1))
    line = next(l for l in order["lines"] if l["sku"] == "MUG-01")
    assert line["item_cancel"]["allowed"] and line["item_cancel"]["max_quantity"] == 2
    done = fresh.ok("cancel", oid(1), "--as", "seller", "--reason", "out_of_stock", "--item", f"{line['id']}=1")
    assert done["lines"] == [{"line_id": line["id"], "quantity": 1, "refund": done["lines"][0]["refund"],
                              "refund_subtotal": done["lines"][0]["refund_subtotal"],
                              "refund_tax": done["lines"][0]["refund_tax"]}]

    exported = fresh.ok("export", "cancellations")
    assert exported["count"] == 2
    mine = next(c for c in exported["cancellations"] if c["id"] == done["id"])
    assert (mine["order_id"], mine["role"], mine["reason"], mine["reason_text"], mine["source"]) == \
        (oid(1), "seller", "out_of_stock", "Out of stock", "orderdesk")
    assert mine["lines"][0]["line_id"] == line["id"] and mine["lines"][0]["quantity"] == 1
    assert mine["lines"][0]["sku"] == "MUG-01" and mine["refund"] == done["refund"]
    imported = next(c for c in exported["cancellations"] if c["order_id"] == oid(2))
    assert imported["source"] == "tiktok_import" and imported["role"] == "buyer"

    # CSV: one row per cancelled line; the refund columns add up to the cancellations' totals
    out = tmp_path / "cancellations.csv"
    wrote = fresh.ok("export", "cancellations", "-o", str(out))
    assert wrote == {"file": str(out), "format": "csv", "cancellations": 2, "rows": 2}
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["order_id"] for r in rows] == [oid(2), oid(1)]
    total = sum(c["refund"]["total"] for c in exported["cancellations"])
    assert round(sum(float(r["refund_total"]) for r in rows) * 100) == total
    assert rows[1]["line_id"] == line["id"] and rows[1]["cancelled_quantity"] == "1"
    assert rows[1]["reason"] == "out_of_stock" and rows[1]["role"] == "seller"

    # CSV on standard output, and --since
    run = fresh("export", "cancellations")
    assert run.code == 0 and run.out.splitlines()[0].startswith("cancellation_id,order_id,shop,buyer")
    later = fresh.ok("export", "cancellations", "--since", "2026-11-15")
    assert [c["id"] for c in later["cancellations"]] == [done["id"]]

    # JSON to a file
    out = tmp_path / "c.json"
    assert fresh.ok("export", "cancellations", "--format", "json", "-o", str(out))["cancellations"] == 2
    assert json.loads(out.read_text())["count"] == 2

    # re-importing the export now skips the order changed in orderdesk, and says why
    again = fresh.ok("import", "tiktok", str(export))
    assert (again["added"], again["updated"], again["unchanged"], again["skipped"]) == (0, 0, 2, 2)
    assert any("changed in orderdesk" in p["problem"] and p["row"] == 2 for p in again["problems"])


def test_reimport_is_idempotent_and_applies_updates(fresh, export, tmp_path):
    fresh.ok("import", "tiktok", str(export))
    before = fresh.dump()
    again = fresh.ok("import", "tiktok", str(export))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 3)
    orders = fresh.orders()
    newer = write_csv(tmp_path / "newer.csv", [
        row(oid(3), Order_Status="Shipped", Order_Substatus="Delivered", Package_ID=pkg(3),
            RTS_Time="15/11/2026 10:00:00", Shipped_Time="15/11/2026 18:00:00",
            Delivered_Time="18/11/2026 09:00:00", Tracking_ID="TT3"),
    ])
    s = fresh.ok("import", "tiktok", str(newer))
    assert (s["added"], s["updated"]) == (0, 1)
    assert len(fresh.orders()) == len(orders)
    assert fresh.ok("orders", "show", oid(3))["status"] == "delivered"
    assert before != fresh.dump()


def test_xlsx_through_the_cli(fresh, tmp_path):
    header = ["Order ID", "Order Status", "Seller SKU", "Quantity", "SKU Unit Original Price",
              "Created Time", "Buyer Username"]
    path = write_xlsx(tmp_path / "o.xlsx", [[oid(9), "To ship", "MUG-01", 1, "$12.50",
                                            "14/11/2026 09:15:00", "xl"]], header)
    s = fresh.ok("import", "tiktok", str(path))
    assert s["format"] == "xlsx" and s["added"] == 1


def test_dry_run_leaves_the_database_unchanged(fresh, export):
    fresh.ok("seed", "demo")  # a database with data (and three shops)
    before = fresh.dump()
    s = fresh.ok("import", "tiktok", str(export), "--shop", "Imported Shop", "--dry-run")
    assert s["dry_run"] and s["added"] == 3 and s["shop_created"]
    assert fresh.dump() == before
    run = fresh("import", "tiktok", str(export), "--shop", "Imported Shop", "--dry-run")
    assert run.code == 0 and "Dry run: nothing was written." in run.out
    assert fresh.dump() == before


@pytest.mark.parametrize("make, code, words", [
    (lambda p: p / "missing.csv", "bad_input", "Cannot read"),
    (lambda p: write_csv(p / "x.csv", [row(oid(1))], header=[h for h in HEADER if h != "Order ID"]),
     "bad_input", "Order ID"),
    (lambda p: (p / "e.csv").write_text("") or p / "e.csv", "bad_input", "empty"),
])
def test_a_file_that_cannot_be_imported_exits_2_and_changes_nothing(fresh, tmp_path, make, code, words):
    fresh.ok("seed", "demo")
    before = fresh.dump()
    run = fresh("import", "tiktok", str(make(tmp_path)), "--shop", "Lumen Home", "--json")
    assert run.code == 2 and run.json["error"]["code"] == code and words in run.json["error"]["message"]
    assert fresh.dump() == before


def test_several_shops_need_shop(od, export):
    before = od.dump()
    run = od("import", "tiktok", str(export), "--json")
    assert run.code == 2 and "--shop" in run.json["error"]["message"]
    assert od.dump() == before
    run = od("import", "tiktok", str(export))
    assert run.code == 2 and "several shops" in run.err


@pytest.mark.parametrize("args, words", [
    (["--since", "last week"], "--since"),
    (["--format", "csv"], "--format json"),
    (["--format", "xml"], "xml"),
])
def test_export_bad_input(od, args, words):
    run = od("export", "cancellations", *args, "--json")
    assert run.code == 2 and words in run.json["error"]["message"]


def test_export_on_the_demo_data(od):
    exported = od.ok("export", "cancellations")
    assert exported["count"] >= 5
    for c in exported["cancellations"]:
        assert {"id", "order_id", "shop", "buyer", "role", "reason", "reason_text", "lines", "refund",
                "created_at", "status", "source"} <= c.keys()
        assert c["refund"]["total"] == c["refund"]["subtotal"] + c["refund"]["shipping"] + c["refund"]["tax"]
        assert c["source"] == "orderdesk"


def test_a_long_list_of_problems_is_cut_short_for_people_but_not_in_json(fresh, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [row(oid(100 + n), Order_Status="Lost") for n in range(120)]
                     + [row(oid(99))])
    run = fresh("import", "tiktok", str(path))
    assert run.code == 0 and "row 101:" in run.out and "row 102:" not in run.out
    assert "... and 20 more (--json lists them all)" in run.out
    s = fresh.ok("import", "tiktok", str(path))
    assert len(s["problems"]) == 120 and s["unchanged"] == 1


def test_a_progress_bar_on_a_terminal_but_never_with_json(fresh, export, monkeypatch):
    import sys

    run = fresh("import", "tiktok", str(export), "--dry-run")
    assert run.err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    run = fresh("import", "tiktok", str(export), "--dry-run")
    assert run.code == 0 and "Reading rows" in run.err and "Writing orders" in run.err
    assert "Reading rows" not in run.out
    run = fresh("import", "tiktok", str(export), "--dry-run", "--json")
    assert run.err == "" and run.json["dry_run"]
