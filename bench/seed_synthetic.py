"""Benchmark: bulk-generating synthetic orders into a fresh SQLite file.

    python bench/seed_synthetic.py [--orders 100000] [--repeat 3] [--workers N]

Each run creates a new temporary SQLite database (WAL, as the app opens it),
generates the orders with `core.synthetic.generate` and times the call (reference
data, every insert and the commit included). Prints each run and the median
orders per second against the target. Exit status 0 when the target is met, 1 when not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone, too

from bench.report import Figure, report  # noqa: E402
from core.db import Database  # noqa: E402
from core.synthetic import generate  # noqa: E402

TARGET = 20_000  # orders per second
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def run_once(orders: int, seed: int, workers: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="orderdesk-bench-") as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            return generate(db, orders, seed=seed, now=NOW, workers=workers)
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders per run (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each on a fresh file (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: automatic; 0 = build rows in this process)")
    args = parser.parse_args(argv)
    if args.orders < 1 or args.repeat < 1:
        parser.error("--orders and --repeat must be 1 or more")

    rates = []
    for n in range(1, args.repeat + 1):
        counts = run_once(args.orders, args.seed, args.workers)
        rate = counts["orders"] / counts["seconds"]
        rates.append(rate)
        print(f"run {n}: {counts['orders']:,} orders ({counts['lines']:,} lines, "
              f"{counts['packages']:,} packages, {counts['cancellations']:,} cancellations, "
              f"{counts['events']:,} events) in {counts['seconds']:.2f} s = {rate:,.0f} orders/s")
    figure = report(Figure(f"seed synthetic ({args.orders:,} orders a run)", statistics.median(rates),
                           "orders/s", args.repeat, TARGET, higher_is_better=True))
    return 0 if figure.met else 1


if __name__ == "__main__":
    sys.exit(main())
