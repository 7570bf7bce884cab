"""Core throughput: cancellations per second through `core.services`, on SQLite
(and on PostgreSQL with --database-url), single process and 4 processes.

Each run generates synthetic orders into a fresh database, then cancels live orders
as fast as it can: whole orders (seller, pricing error) and items (Out of Stock,
one unit of an eligible line), each one full command: lock, rules, refund, stock,
notification, email, event, commit. Prints the median of the runs and how 4
processes compare with 1 (SQLite serializes writers, so about 1x is expected; a
drop far below 1x would mean lock trouble). No target is set for these figures.

    python bench/core_throughput.py [--orders 20000] [--runs 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bench.report import Figure, report  # noqa: E402
from core import services# noqa: E402
from core.queries import orders as queries
from core.db import Database  # noqa: E402
from core.demo import wipe  # noqa: E402
from core.models import Order  # noqa: E402
from core.synthetic import generate  # noqa: E402
from tests.core.stations import NOW  # noqa: E402


def _cancel(url: str, order_ids: list[str], kind: str) -> tuple[int, float]:
    db = Database(url, upgrade=False)
    done = 0
    started = time.perf_counter()
    for order_id in order_ids:
        if kind == "whole":
            result = services.seller_cancel(db, order_id, "pricing_error", now=NOW)
        else:
            with db.read() as session:
                view = queries.order_view(session, order_id, NOW)
            line = next((l for l in view["lines"] if l["item_cancel"]["allowed"]), None)
            if line is None:
                continue
            result = services.seller_cancel(db, order_id, "out_of_stock", items={line["id"]: 1}, now=NOW)
        done += result.ok
    elapsed = time.perf_counter() - started
    db.dispose()
    return done, elapsed


def prepare(url: str, orders: int) -> list[str]:
    db = Database(url)
    with db.write() as session:
        wipe(session)
    generate(db, orders, seed=3, now=NOW)
    with db.read() as session:
        ids = session.exec(select(Order.id).where(Order.status.in_(("awaiting_shipment",)))).all()
    db.dispose()
    return list(ids)


def measure(url: str, orders: int, processes: int, kind: str) -> float:
    ids = prepare(url, orders)
    chunks = [ids[i::processes] for i in range(processes)]
    if processes == 1:
        results = [_cancel(url, chunks[0], kind)]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            results = pool.starmap(_cancel, [(url, chunk, kind) for chunk in chunks])
    done = sum(r[0] for r in results)
    return done / max(r[1] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 orders, 1 run")
    parser.add_argument("--database-url", help="also measure this database (e.g. PostgreSQL)")
    args = parser.parse_args()
    orders, runs = (5_000, 1) if args.quick else (args.orders, args.runs)
    databases = [("SQLite", None)]
    if args.database_url:
        databases.append(("PostgreSQL" if args.database_url.startswith("postgresql") else "given URL",
                          args.database_url))
    for label, url in databases:
        for kind, words in (("whole", "whole-order"), ("items", "item")):
            rate = {}
            for processes in (1, 4):
                rates = []
                for _ in range(runs):
                    with tempfile.TemporaryDirectory(prefix="orderdesk-tp-") as folder:
                        rates.append(measure(url or f"sqlite:///{Path(folder) / 'tp.db'}", orders, processes, kind))
                rate[processes] = statistics.median(rates)
                note = f"{rate[4] / rate[1]:.2f}x one process" if processes == 4 else ""
                report(Figure(f"{label}: {words} cancellations, {processes} process{'es' * (processes > 1)}",
                              rate[processes], "/s", runs, note=note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
