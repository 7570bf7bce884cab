"""Benchmark: importing a Seller Center order export of 100,000 rows into a fresh SQLite file.

    python bench/import_tiktok.py [--rows 100000] [--repeat 3] [--quick]

Each run writes a realistic export (invented data: every status, split packages,
cancelled and partly cancelled orders, "$1,234.50"-style amounts, DD/MM/YYYY
times, UTF-8 with a BOM) to a temporary folder, creates a new SQLite database
(WAL, as the app opens it) and times `core.tiktok_import.import_file` on it
(reading, parsing, checking, every insert and the commit). Prints each run and
the median wall-clock seconds against the target (the CPU seconds too: on a busy
machine the wall clock includes waiting for a CPU). Exit status 0 when met, 1 when not.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone, too

from bench.report import Figure, report  # noqa: E402
from core.db import Database  # noqa: E402
from core.tiktok_import import import_file  # noqa: E402
from tests.core.tiktok_samples import HEADER  # noqa: E402  (the export's columns, one list)

TARGET = 30.0  # seconds for 100,000 rows
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

_PRODUCTS = [(f"LH-{1000 + i}", f"Linen item {i}", ("Natural", "Grey", "Sage", "Large", "Small")[i % 5],
              499 + 137 * (i % 40)) for i in range(300)]
# (Order Status, Order Substatus, order status in orderdesk's words)
_STATUSES = [("Unpaid", "Unpaid", "unpaid"), ("On hold", "On hold", "on_hold"),
             ("To ship", "Awaiting shipment", "awaiting_shipment"),
             ("To ship", "Awaiting collection", "awaiting_collection"),
             ("Shipped", "In transit", "in_transit"), ("Shipped", "Delivered", "delivered"),
             ("Completed", "Completed", "completed"), ("Cancelled", "Cancelled", "cancelled")]
_WEIGHTS = [3, 2, 20, 10, 15, 15, 30, 5]


def _money(minor: int) -> str:
    return f"${minor // 100:,}.{minor % 100:02d}"


def _time(when: datetime | None) -> str:
    return when.strftime("%d/%m/%Y %H:%M:%S") if when else ""


def export_rows(rows: int, seed: int = 0):
    """Yield about `rows` rows of a realistic export (whole orders only)."""
    rng = Random(seed)
    made = n = 0
    while made < rows:
        n += 1
        order_id = f"5770{n:014d}"
        label, sub, status = rng.choices(_STATUSES, _WEIGHTS)[0]
        created = NOW - timedelta(days=rng.uniform(0, 60), seconds=rng.randrange(86_400))
        paid = None if status == "unpaid" else created + timedelta(minutes=rng.randrange(1, 30))
        n_lines = min(rng.choice((1, 1, 1, 2, 2, 3, 4)), rows - made)
        split = n_lines > 1 and status in ("in_transit", "delivered", "completed") and rng.random() < 0.3
        buyer = f"buyer{rng.randrange(20_000)}"
        ship_original = rng.choice((0, 499, 599, 799))
        ship_seller = rng.choice((0, 0, 100)) if ship_original else 0
        lines = []
        for k in range(n_lines):
            sku, title, variation, price = rng.choice(_PRODUCTS)
            qty = rng.choice((1, 1, 1, 2, 3))
            seller_d = rng.choice((0, 0, price * qty // 10))
            platform_d = rng.choice((0, 0, 0, 100))
            lines.append((sku, title, variation, price, qty, seller_d, platform_d))
        subtotal = sum(p * q - s - d for _, _, _, p, q, s, d in lines)
        taxes = subtotal * 8 // 100
        total = subtotal + ship_original - ship_seller + taxes
        partly = status == "awaiting_shipment" and n_lines > 1 and rng.random() < 0.15
        cancelled = status == "cancelled"
        rts = paid + timedelta(hours=5) if status in ("awaiting_collection", "in_transit", "delivered",
                                                      "completed") else None
        shipped = paid + timedelta(hours=20) if status in ("in_transit", "delivered", "completed") else None
        delivered = paid + timedelta(days=3) if status in ("delivered", "completed") else None
        for k, (sku, title, variation, price, qty, seller_d, platform_d) in enumerate(lines):
            package = f"1150{n:012d}{(k % 2) if split else 0:02d}"
            returned = 1 if partly and k == 0 else 0
            row = {
                "Order ID": order_id, "Order Status": label, "Order Substatus": sub,
                "Cancelation/Return Type": "Cancel" if cancelled or returned else "",
                "SKU ID": f"17{hash(sku) % 10**16:016d}", "Seller SKU": sku, "Product Name": title,
                "Variation": variation, "Quantity": str(qty), "Sku Quantity of return": str(returned),
                "SKU Unit Original Price": _money(price), "SKU Subtotal Before Discount": _money(price * qty),
                "SKU Platform Discount": _money(platform_d), "SKU Seller Discount": _money(seller_d),
                "SKU Subtotal After Discount": _money(price * qty - seller_d - platform_d),
                "Shipping Fee After Discount": _money(ship_original - ship_seller),
                "Original Shipping Fee": _money(ship_original),
                "Shipping Fee Seller Discount": _money(ship_seller),
                "Shipping Fee Platform Discount": _money(0), "Taxes": _money(taxes),
                "Order Amount": _money(total), "Order Refund Amount": "",
                "Created Time": _time(created), "Paid Time": _time(paid), "RTS Time": _time(rts),
                "Shipped Time": _time(shipped), "Delivered Time": _time(delivered),
                "Cancelled Time": _time(created + timedelta(hours=2)) if cancelled or partly else "",
                "Cancel By": ("Buyer" if cancelled else "Seller") if cancelled or partly else "",
                "Cancel Reason": ("No longer needed" if cancelled else "Out of stock")
                if cancelled or partly else "",
                "Fulfillment Type": "Fulfillment by seller", "Warehouse Name": "Main",
                "Tracking ID": f"TT{n:012d}" if rts else "", "Delivery Option": "Standard",
                "Shipping Provider Name": "USPS" if rts else "", "Buyer Message": "",
                "Buyer Username": buyer, "Recipient": f"Test Person {n % 997}", "Phone #": "(+1)555****00",
                "Zipcode": f"{10000 + n % 80000}", "Country": "United States", "State": "Texas",
                "City": "Austin", "Detail Address": f"{n % 9000} Example Street", "Package ID": package,
                "Seller Note": "",
            }
            yield [row[h] for h in HEADER]
            made += 1


def write_export(path: Path, rows: int, seed: int = 0) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(export_rows(rows, seed))


def run_once(rows: int, seed: int) -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory(prefix="orderdesk-bench-") as folder:
        export = Path(folder) / "orders.csv"
        write_export(export, rows, seed)
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            started, cpu = time.perf_counter(), time.process_time()
            summary = import_file(db, export, now=NOW)
            return time.perf_counter() - started, time.process_time() - cpu, summary
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per export (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each on a fresh file (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="one run (for python -m bench --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 1
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be 1 or more")
    times = []
    for n in range(1, args.repeat + 1):
        seconds, cpu, s = run_once(args.rows, args.seed)
        times.append(seconds)
        print(f"run {n}: {s['rows']:,} rows, {s['added']:,} orders added, {s['skipped']} skipped, "
              f"{len(s['problems'])} problem rows in {seconds:.2f} s (CPU {cpu:.2f} s) = "
              f"{s['rows'] / seconds:,.0f} rows/s")
    target = TARGET * max(args.rows, 10_000) / 100_000  # small runs: fixed costs dominate
    figure = report(Figure(f"import tiktok ({args.rows:,} rows)", statistics.median(times), "s",
                           args.repeat, target))
    return 0 if figure.met else 1


if __name__ == "__main__":
    sys.exit(main())
