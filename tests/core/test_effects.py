"""The app, the demo data and synthetic data write the same rows for a cancellation
(core.effects is the one place that says what it writes).

For each kind of cancellation (and the request and refusal steps around them) the same
order is built; synthetic's replay does the step on it in memory (its own rows, as its
bulk insert would write them) and picks the reason and items as it does when generating;
then `core.services` does that very step on one database and the demo loader (its `then`
history, which calls the services) on another. Every row of every table the step wrote
or changed must be the same in all three, with cancellation ids and timestamps normalised
(times to epoch seconds, ids to C1, C2 ... in order of appearance). Two differences are
by design and blanked before comparing: synthetic orders are history, so their customer
emails were already sent and older notifications read; and synthetic data does not model
stock (core/synthetic.py), so `products` is compared between services and demo only.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlmodel import SQLModel

from core import services, synthetic
from core.clock import parse_instant
from tests.core.builders import (
    BUYER,
    SHOP,
    STOCK,
    lid,
    oid,
    pid,
    simple_order,
    split_order,
)

AT = "2026-11-20T11:00:00Z"  # the step
EARLIER = "2026-11-20T10:00:00Z"  # a request before it
T = int(parse_instant(AT).timestamp())
O1 = oid(1)
ORDER_TABLES = ("orders", "packages", "order_lines", "cancellations")  # final rows of the order
NEW_ROWS = ("cancellation_lines", "notifications", "outbox_emails", "order_events")  # inserted
HISTORY = {"outbox_emails": ("status", "attempts", "sent_at"), "notifications": ("read_at",)}


def refused_order() -> dict:
    return simple_order(1, status="in_transit")


def requested(status="awaiting_collection") -> dict:
    return simple_order(1, status=status,
                        then=[{"do": "request", "reason": "no_longer_needed", "at": EARLIER}])


# kind: (the order before, synthetic's step, package index or None, the services call, demo's step)
KINDS = {
    "buyer cancel": (
        lambda: simple_order(1), "buyer_cancel", None,
        lambda db, c: services.buyer_cancel(db, O1, c["reason"], now=parse_instant(AT)),
        lambda c: {"do": "buyer_cancel", "reason": c["reason"]}),
    "seller whole order": (
        lambda: simple_order(1), "seller_cancel", None,
        lambda db, c: services.seller_cancel(db, O1, c["reason"], now=parse_instant(AT)),
        lambda c: {"do": "cancel_order", "reason": c["reason"]}),
    "seller package": (
        lambda: split_order(1, second="awaiting_shipment"), "package_cancel", 1,
        lambda db, c: services.seller_cancel(db, O1, c["reason"], package_id=pid(12),
                                             now=parse_instant(AT)),
        lambda c: {"do": "cancel_package", "reason": c["reason"], "package": pid(12)}),
    "out of stock items": (
        lambda: simple_order(1), "items", None,
        lambda db, c: services.seller_cancel(db, O1, "out_of_stock", items=c["items"],
                                             now=parse_instant(AT)),
        lambda c: {"do": "cancel_items", "items": c["items"]}),
    "request approved": (
        requested, "approve", None,
        lambda db, c: services.approve_request(db, c["request"], now=parse_instant(AT)),
        lambda c: {"do": "approve"}),
    "request rejected": (
        requested, "reject", None,
        lambda db, c: services.reject_request(db, c["request"], "already_packed",
                                              now=parse_instant(AT)),
        lambda c: {"do": "reject", "reason": "already_packed"}),
    "request opened": (
        lambda: simple_order(1, status="awaiting_collection"), "request", None,
        lambda db, c: services.request_cancellation(db, O1, c["reason"], now=parse_instant(AT)),
        lambda c: {"do": "request", "reason": c["reason"]}),
    "delivery refused": (
        refused_order, "refuse", 0,
        lambda db, c: services.refuse_delivery(db, pid(1), now=parse_instant(AT)),
        lambda c: {"do": "refuse", "package": pid(1)}),
    "refused package returned": (
        lambda: simple_order(1, status="returned"), "return", 0,
        lambda db, c: services.receive_return(db, pid(1), now=parse_instant(AT)),
        lambda c: {"do": "receive_return", "package": pid(1)}),
}


# -- reading rows ---------------------------------------------------------------------
def epoch(value):
    if isinstance(value, datetime):
        return int(value.replace(tzinfo=value.tzinfo or UTC).timestamp())
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", value):
        return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp())  # synthetic's text
    return value


def snapshot(db) -> dict[str, dict]:
    """Every row of every table, by primary key, with times as epoch seconds."""
    out = {}
    with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            key = [c.name for c in table.primary_key.columns]
            out[table.name] = {tuple(row[k] for k in key): {c: epoch(v) for c, v in row.items()}
                               for row in conn.execute(select(table)).mappings()}
    return out


def written(before: dict, after: dict) -> dict[str, list[dict]]:
    """What a step wrote: the order's rows as they are after it, and the rows it added."""
    out = {}
    for table in ORDER_TABLES:
        rows = [row for row in after[table].values()
                if (row.get("order_id") or row["id"]) == O1 and row.get("id") is not None]
        out[table] = rows if table != "cancellations" else [
            row for row in rows if row != before[table].get((row["id"],))]
    for table in NEW_ROWS:
        out[table] = [row for key, row in after[table].items() if key not in before[table]]
    return normalised(out)


def normalised(tables: dict[str, list[dict]]) -> dict[str, list[tuple]]:
    """Only synthetic's columns; history blanked; cancellation ids in order of appearance."""
    names: dict[str, str] = {}
    for row in sorted(tables["cancellations"], key=lambda r: (r["created_at"], r["status"])):
        names.setdefault(row["id"], f"C{len(names) + 1}")

    def name(value):
        if isinstance(value, str):
            for real, placeholder in names.items():
                value = value.replace(real, placeholder)
        return value

    out = {}
    for table, rows in tables.items():
        columns = synthetic.COLUMNS[table]
        blank = HISTORY.get(table, ())
        out[table] = sorted((tuple(None if c in blank else name(row[c]) for c in columns)
                             for row in rows), key=repr)
    return out


# -- synthetic's path -------------------------------------------------------------------
def synthetic_step(before: dict, kind: str, package_index: int | None) -> tuple[dict, dict]:
    """Synthetic's replay of one step on the order as `before` holds it: the rows its bulk
    insert would write, and what it chose (reason, items, the request answered)."""
    shop = next(s for s in before["shops"].values() if s["name"] == SHOP)
    buyer = next(b for b in before["buyers"].values() if b["username"] == BUYER)
    plan = synthetic._Plan(seed=0, now=T, shops=[], seller_reasons=["pricing_error"],
                           package_reasons=["unable_to_deliver"], buyer_reason_tables={},
                           id_base={kind: 0 for kind in synthetic.PER_ORDER})
    builder = synthetic._ChunkBuilder(plan, 0)
    row = before["orders"][(O1,)]
    o = synthetic._Order()
    for column in o.__slots__:
        setattr(o, column, row[column])
    lines = [synthetic._Line([r[c] for c in synthetic.COLUMNS["order_lines"]])
             for key, r in sorted(before["order_lines"].items()) if r["order_id"] == O1]
    packages = []
    for key, r in sorted(before["packages"].items()):
        if r["order_id"] == O1:
            p = synthetic._Package(r["id"], [line for line in lines if line.package_id == r["id"]])
            for column in ("status", "tracking_number", "shipping_provider", "packed_at",
                           "collected_at", "delivered_at", "returned_at"):
                setattr(p, column, r[column])
            packages.append(p)
    replay = synthetic._Replay(
        builder, o, packages, lines,
        (shop["id"], shop["name"], shop["currency"], shop["hold_window_minutes"],
         shop["auto_approve_hours"], shop["min_app_version"], shop["ship_within_hours"],
         shop["return_window_days"], [], []),
        (buyer["id"], buyer["name"], buyer["email"], buyer["address"], 0, False, 0.0))
    pending = [r for r in before["cancellations"].values()
               if r["order_id"] == O1 and r["status"] == "request_pending"]
    if pending:
        replay.pending = synthetic._Request(pending[0])
    replay.at(T, 2, kind, packages[package_index] if package_index is not None else None)
    replay.run(T)
    order_row = [row[c] for c in synthetic.COLUMNS["orders"]]
    replay.finish(order_row)
    rows = {table: [dict(zip(synthetic.COLUMNS[table], map(epoch, r))) for r in builder.rows[table]]
            for table in ORDER_TABLES + NEW_ROWS}
    made = [r for r in rows["cancellations"] if r["created_at"] == T or r["updated_at"] == T]
    chose = {"refusals": builder.rows["_refusals"],
             "reason": made[0]["reason"] if made else None,
             "request": pending[0]["id"] if pending else None,
             "items": {r["line_id"]: r["quantity"] for r in rows["cancellation_lines"]}}
    rows["cancellations"] = made
    return normalised(rows), chose


# -- the proof ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_services_demo_and_synthetic_write_the_same_rows(make_world, kind):
    spec, step, package_index, call, demo_step = KINDS[kind]
    world = make_world(spec())
    before = snapshot(world.db)
    by_synthetic, chose = synthetic_step(before, step, package_index)
    assert by_synthetic["order_events"], f"synthetic's replay did not do the {kind} step"

    result = call(world.db, chose)
    assert result.ok, result
    after = snapshot(world.db)
    by_services = written(before, after)

    first = spec()
    first["then"] = [*first.get("then", []), {**demo_step(chose), "at": AT}]
    demo = make_world(first)
    by_demo = written(before, snapshot(demo.db))

    for table in ORDER_TABLES + NEW_ROWS:
        assert by_services[table] == by_synthetic[table], table
        assert by_demo[table] == by_services[table], table
    # stock (services and demo; synthetic data does not model it) and the caution mark
    assert snapshot(demo.db)["products"] == after["products"]
    refusals = {b["id"]: b["refusal_count"] for b in after["buyers"].values()}
    assert [b for b, n in refusals.items() if n != before["buyers"][(b,)]["refusal_count"]] == \
        chose["refusals"]


def test_a_cancellation_puts_units_back_in_stock_except_out_of_stock(make_world):
    """The stock effect the comparison above leaves to services and demo."""
    world = make_world(simple_order(1))
    assert services.seller_cancel(world.db, O1, "out_of_stock", items={lid(11): 1},
                                  now=parse_instant(AT)).ok
    assert world.stock("MUG") == STOCK
    assert services.seller_cancel(world.db, O1, "pricing_error", now=parse_instant(AT)).ok
    assert (world.stock("MUG"), world.stock("LAMP")) == (STOCK + 2, STOCK + 1)


def test_a_cancellation_reads_before_it_writes_and_writes_each_kind_of_row_once(make_world):
    """The lean write path: three reads (SQLite: the shops' SLA windows, the settle scan
    and the order; PostgreSQL: the settle scan with the shops' windows in it, the locked
    order, then its rows), then one statement per table and kind of write (on PostgreSQL
    sent together, core.db.pipeline), and nothing read back after writing."""
    world = make_world(split_order(1, second="awaiting_shipment"))
    seen: list[str] = []

    @event.listens_for(world.db.engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()[:3]).upper())

    assert services.seller_cancel(world.db, O1, "pricing_error", now=parse_instant(AT)).ok
    event.remove(world.db.engine, "before_cursor_execute", count)
    statements = [s for s in seen if not s.startswith(("BEGIN", "NOTIFY"))]
    reads = [s for s in statements if s.startswith("SELECT")]
    writes = statements[len(reads):]
    assert len(reads) == 3, seen
    assert all(s.startswith(("INSERT", "UPDATE")) for s in writes), seen  # no re-read
    assert len(writes) == len(set(writes)) == 9, seen  # the record, lines (x2), packages,
    # order, stock, notification, email, event: each in one statement, both packages at once
