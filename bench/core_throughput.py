"""Core throughput: cancellations per second through `core.services`, on SQLite
(and on PostgreSQL with --database-url), single process and 4 processes, and on SQLite
the same writes done by raw sqlite3, in the same run.

Each run generates synthetic orders into a fresh database (on PostgreSQL then ANALYZE,
as autovacuum does within a minute of a bulk load: without it the planner does not know
the new shops' ids) and picks what to cancel before the clock starts: whole orders
(seller, pricing error) and items (Out of Stock, one unit of an eligible line). Then it
cancels them as fast as it can, each one full command: settle scan, lock, rules, refund,
stock, notification, email, event, commit. Each process first does what a station open
for a minute has done (`warm_up`: its connection opened, the 5-second settle scan run 12
times, nothing due) and its first cancellation untimed (raw sqlite3 too): the figures
are a station's steady state, not its first seconds (with --quick a process has only
17 orders to cancel: a first cancellation's 20-40 ms of filling caches would weigh more
than a third of them).
The 4 processes wait for each other and start together; their rate is all their
cancellations over the time from the first start to the last end. They cancel orders of
all three shops, as stations of a busy day would (whole orders put units back in stock:
stations then share product rows, as they do in a real shop).

Raw SQLite: a copy of the same prepared database gets, per cancellation, the very rows
`core.effects` says it writes (computed before the clock starts), as the very statements
`core.services` runs for them (`services.statements`), one BEGIN IMMEDIATE ... COMMIT each,
through the sqlite3 module with the app's pragmas (WAL, synchronous=NORMAL). These are all
the rows the app writes for a cancellation (the settle scan finds nothing due), the same
ones row for row but for the new cancellation ids. It does no reads, no rules, no refund:
it is the floor the database itself sets. The two take turns, 20 cancellations each, so
a busy machine slows both alike.
Targets (issue 14): orderdesk ≥ 25% of raw on SQLite, one process; PostgreSQL item
cancellations with 4 processes ≥ 500/s. How 4 processes compare with 1 is printed
(SQLite serializes writers, so about 1x is expected).

    python bench/core_throughput.py [--orders 20000] [--runs 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.report import Figure, report  # noqa: E402
from core import effects, refunds, rules, services  # noqa: E402
from core.db import Database  # noqa: E402
from core.demo import wipe  # noqa: E402
from core.ids import new_id  # noqa: E402
from core.models import Order  # noqa: E402
from core.state import load_order  # noqa: E402
from core.synthetic import generate  # noqa: E402
from tests.core.stations import NOW  # noqa: E402

SQLITE = sqlite_dialect()
RAW_SHARE_TARGET = 25.0  # % of raw sqlite3, SQLite, one process
PG_ITEMS_TARGET = 500.0  # PostgreSQL item cancellations a second, 4 processes


# -- what to cancel -------------------------------------------------------------------
def _target(state, kind: str) -> dict[str, int] | None:
    """What one cancellation cancels: every live unit, or one unit of an eligible line."""
    if kind == "whole":
        return {line.id: line.quantity - line.cancelled_quantity for line in state.lines
                if line.quantity > line.cancelled_quantity}
    for line in state.lines:
        if rules.item_cancel(state.order, state.package_of(line), line).allowed:
            return {line.id: 1}
    return None


def prepare(url: str, orders: int, kind: str) -> tuple[list[tuple[str, dict]], list[effects.Writes]]:
    """A fresh database of synthetic orders; the cancellations to do, and the rows each writes."""
    db = Database(url)
    with db.write() as session:
        wipe(session)
    generate(db, orders, seed=3, now=NOW)
    if db.engine.dialect.name == "postgresql":  # the statistics any database in use has
        with db.engine.connect() as conn:  # (autovacuum's within a minute of a bulk load;
            conn.exec_driver_sql("ANALYZE")  # without them the wiped shops' new ids are unknown)
            conn.commit()
    todo, writes = [], []
    with db.read() as session:
        for order_id in session.exec(select(Order.id).where(Order.status == "awaiting_shipment")).all():
            state = load_order(session, order_id, lock=False)
            quantities = _target(state, kind)
            if not quantities:
                continue
            todo.append((order_id, quantities))
            refund = refunds.refund_for(state.order, state.lines, quantities)
            scope, reason = ("order", "pricing_error") if kind == "whole" else ("items", "out_of_stock")
            writes.append(effects.cancellation(
                state, refund, now=NOW, role="seller", scope=scope, reason=reason, actor="seller",
                cancellation_id=new_id("cancellation"),
                asked=effects.seller_asked(scope, reason, items=quantities if kind == "items" else None)))
    db.dispose()
    return todo, writes


# -- orderdesk --------------------------------------------------------------------------
def _cancel_one(db: Database, order_id: str, quantities: dict, kind: str) -> bool:
    if kind == "whole":
        return services.seller_cancel(db, order_id, "pricing_error", now=NOW).ok
    return services.seller_cancel(db, order_id, "out_of_stock", items=quantities, now=NOW).ok


WARM_UP = 12  # settle scans before the clock starts: a station open for a minute (every 5 s)


def warm_up(db: Database) -> None:
    """What a station open for a minute has done before it cancels: its connection is open
    and it has run the settle scan every 5 seconds (nothing is due: nothing changes).
    PostgreSQL plans the scan anew for its first runs on a connection (psycopg prepares a
    statement on its 6th run, the server settles on a plan after 5 more), a cost each
    station pays once, not per cancellation."""
    for _ in range(WARM_UP):
        services.has_due(db, NOW)


def _cancel(url: str, todo: list[tuple[str, dict]], kind: str, start=None) -> tuple[int, float, float]:
    """Warm up, cancel the first order untimed (a station's first cancellation fills its
    caches: SQLAlchemy's compiled statements, the server's prepared ones), then time the
    rest."""
    db = Database(url, upgrade=False)
    warm_up(db)
    _cancel_one(db, *todo[0], kind)
    if start is not None:  # all processes start timing together
        start.wait()
    began = time.time()
    done = sum(_cancel_one(db, order_id, quantities, kind) for order_id, quantities in todo[1:])
    ended = time.time()
    db.dispose()
    return done, began, ended


def orderdesk_rate(url: str, todo: list, processes: int, kind: str) -> float:
    """Cancellations a second: all done, over the time from the first process's start to
    the last one's end (they start together, after each one's warm-up)."""
    chunks = [todo[i::processes] for i in range(processes)]
    if processes == 1:
        results = [_cancel(url, chunks[0], kind)]
    else:
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, context.Pool(processes) as pool:
            start = manager.Barrier(processes)
            results = pool.starmap(_cancel, [(url, chunk, kind, start) for chunk in chunks])
    return sum(r[0] for r in results) / (max(r[2] for r in results) - min(r[1] for r in results))


# -- raw sqlite3 --------------------------------------------------------------------------
class RawWriter:
    """The writes by raw sqlite3, one transaction per cancellation."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            self.conn.execute(f"PRAGMA {pragma}")

    def write(self, batches: list) -> None:
        for batch in batches:
            self.conn.execute("BEGIN IMMEDIATE")
            for statement, params in batch:
                self.conn.executemany(statement, params)
            self.conn.execute("COMMIT")


def side_by_side(url: str, raw_path: str, todo: list, writes: list, kind: str,
                 block: int = 20) -> tuple[float, float]:
    """Cancellations a second by orderdesk and by raw sqlite3, taking turns in blocks of
    `block` cancellations, so a busy machine slows both alike."""
    batches = [services.statements(w, SQLITE) for w in writes]
    raw = RawWriter(raw_path)
    db = Database(url, upgrade=False)
    warm_up(db)  # and each side's first cancellation untimed, as in `_cancel`
    _cancel_one(db, *todo[0], kind)
    raw.write(batches[:1])
    todo, batches = todo[1:], batches[1:]
    spent = {"orderdesk": 0.0, "raw": 0.0}
    done = 0
    for start in range(0, len(todo), block):
        began = time.perf_counter()
        for order_id, quantities in todo[start:start + block]:
            done += _cancel_one(db, order_id, quantities, kind)
        spent["orderdesk"] += time.perf_counter() - began
        began = time.perf_counter()
        raw.write(batches[start:start + block])
        spent["raw"] += time.perf_counter() - began
    db.dispose()
    raw.conn.close()
    return done / spent["orderdesk"], len(batches) / spent["raw"]


# -- the run -------------------------------------------------------------------------------
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
    met = True
    for label, url in databases:
        for kind, words in (("whole", "whole-order"), ("items", "item")):
            rate: dict[int, float] = {}
            raw = []
            for processes in (1, 4):
                rates = []
                for _ in range(runs):
                    with tempfile.TemporaryDirectory(prefix="orderdesk-tp-") as folder:
                        path = Path(folder) / "tp.db"
                        todo, writes = prepare(url or f"sqlite:///{path}", orders, kind)
                        if url is None and processes == 1:  # with raw sqlite3, taking turns
                            shutil.copy(path, Path(folder) / "raw.db")
                            ours, floor = side_by_side(f"sqlite:///{path}", str(Path(folder) / "raw.db"),
                                                       todo, writes, kind)
                            rates.append(ours)
                            raw.append(floor)
                        else:
                            rates.append(orderdesk_rate(url or f"sqlite:///{path}", todo, processes, kind))
                rate[processes] = statistics.median(rates)
                note = f"{rate[4] / rate[1]:.2f}x one process" if processes == 4 else ""
                target = PG_ITEMS_TARGET if (label, kind, processes) == ("PostgreSQL", "items", 4) else None
                figure = report(Figure(
                    f"{label}: {words} cancellations, {processes} process{'es' * (processes > 1)}",
                    rate[processes], "/s", runs, target, higher_is_better=True, note=note))
                met &= figure.met is not False
            if raw:
                raw_median = statistics.median(raw)
                report(Figure(f"raw sqlite3: the same {words} writes", raw_median, "/s", runs,
                              note="no reads, no rules: the floor"))
                figure = report(Figure(f"SQLite: {words} cancellations vs raw sqlite3",
                                       100 * rate[1] / raw_median, "%", runs, RAW_SHARE_TARGET,
                                       higher_is_better=True, note="one process"))
                met &= figure.met is not False
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
