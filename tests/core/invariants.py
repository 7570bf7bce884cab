"""What must hold of any database, whatever ran against it and however it stopped.

Used by the concurrency proof and the crash test: each returns a list of
violations (human-readable), empty when all is well.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import select

from core import refunds, rules
from core.db import Database
from core.models import (
    Cancellation, CancellationLine, Order, OrderEvent, OrderLine, OutboxEmail, Package, Product,
)

SETTLED = ("success", "complete")


@dataclass(frozen=True)
class Baseline:
    """Stock, and the cancellations already settled (already restocked), before a run."""

    stock: dict[int, int]
    cancellations: frozenset[str]


def baseline(db: Database) -> Baseline:
    with db.read() as session:
        settled = session.exec(select(Cancellation.id).where(Cancellation.status.in_(SETTLED))).all()
        return Baseline({p.id: p.stock for p in session.exec(select(Product))}, frozenset(settled))


def violations(db: Database, before: Baseline | None = None) -> list[str]:
    found: list[str] = []
    with db.read() as s:
        orders = {o.id: o for o in s.exec(select(Order))}
        packages = {p.id: p for p in s.exec(select(Package))}
        lines = {l.id: l for l in s.exec(select(OrderLine))}
        cancellations = {c.id: c for c in s.exec(select(Cancellation))}
        parts = list(s.exec(select(CancellationLine)))
        emails = list(s.exec(select(OutboxEmail)))
        events = list(s.exec(select(OrderEvent).where(OrderEvent.kind.in_(("cancelled", "handed_over")))))
        stock = {p.id: p.stock for p in s.exec(select(Product))}

    settled = {cid: c for cid, c in cancellations.items() if c.status in SETTLED}
    by_line = defaultdict(lambda: [0, 0, 0])  # quantity, refund subtotal, refund tax
    for part in parts:
        if part.cancellation_id not in settled:
            found.append(f"cancellation {part.cancellation_id} has lines but is {cancellations[part.cancellation_id].status}")
        totals = by_line[part.line_id]
        totals[0] += part.quantity
        totals[1] += part.refund_subtotal
        totals[2] += part.refund_tax

    # Refunds per line follow the rule exactly, and never exceed what was paid.
    for line in lines.values():
        qty, subtotal, tax = by_line[line.id]
        order = orders[line.order_id]
        if qty != line.cancelled_quantity:
            found.append(f"line {line.id}: cancelled {line.cancelled_quantity} but cancellations say {qty}")
        paid = order.paid_at is not None
        want_subtotal = refunds.line_paid(line) * line.cancelled_quantity // line.quantity if paid else 0
        want_tax = line.tax * line.cancelled_quantity // line.quantity if paid else 0
        if (subtotal, tax) != (want_subtotal, want_tax):
            found.append(f"line {line.id}: refunded {subtotal}+{tax}, the rule says {want_subtotal}+{want_tax}")
        if subtotal > refunds.line_paid(line) or tax > line.tax:
            found.append(f"line {line.id}: refunded more than was paid")

    # Shipping at most once per order, exactly once for a paid order cancelled whole.
    shipping = defaultdict(list)
    for c in settled.values():
        if c.refund_shipping:
            shipping[c.order_id].append(c.refund_shipping)
        if c.refund_total != c.refund_subtotal + c.refund_shipping + c.refund_tax:
            found.append(f"cancellation {c.id}: total is not subtotal + shipping + tax")
    for order in orders.values():
        refunded = shipping.get(order.id, [])
        if len(refunded) > 1:
            found.append(f"order {order.id}: shipping refunded {len(refunded)} times")
        fee = refunds.order_shipping(order)
        if order.status == "cancelled" and order.paid_at and fee and refunded != [fee]:
            found.append(f"order {order.id}: cancelled whole but shipping refunded {refunded}, not [{fee}]")

    # No unit both cancelled and shipped: units were cancelled before their package
    # left (or after it came back refused). The audit trail gives the order of events.
    cancelled_at = {json.loads(e.detail)["cancellation_id"]: e.id for e in events if e.kind == "cancelled"}
    collected_at = {json.loads(e.detail)["package_id"]: e.id for e in events if e.kind == "handed_over"}
    for part in parts:
        c = settled.get(part.cancellation_id)
        package_id = lines[part.line_id].package_id
        if (c and c.reason != "package_rejected" and package_id in collected_at
                and cancelled_at.get(c.id, 0) > collected_at[package_id]):
            found.append(f"line {part.line_id}: cancelled by {c.id} after its package was collected")
    for package in packages.values():
        own = [l for l in lines.values() if l.package_id == package.id]
        all_cancelled = all(l.cancelled_quantity == l.quantity for l in own)
        if all_cancelled != (package.status == "cancelled"):
            found.append(f"package {package.id}: status {package.status} but all units cancelled: {all_cancelled}")

    # The order's status is always the one its packages give.
    for order in orders.values():
        own = [p.status for p in packages.values() if p.order_id == order.id]
        # on_hold is released by time, not by a command: either answer is consistent here
        derived = {rules.derive_order_status(own, paid=order.paid_at is not None, on_hold=hold,
                                             completed=order.completed_at is not None)
                   for hold in (False, True)}
        if order.status not in derived:
            found.append(f"order {order.id}: status {order.status}, packages say {derived}")

    # Exactly one email and one event per settled cancellation.
    email_count = defaultdict(int)
    for email in emails:
        if email.cancellation_id:
            email_count[email.cancellation_id] += 1
    event_count = defaultdict(int)
    for event in (e for e in events if e.kind == "cancelled"):
        event_count[json.loads(event.detail).get("cancellation_id")] += 1
    for cid in settled:
        if email_count[cid] != 1:
            found.append(f"cancellation {cid}: {email_count[cid]} emails")
        if event_count[cid] != 1:
            found.append(f"cancellation {cid}: {event_count[cid]} 'cancelled' events")
    for cid in set(email_count) - set(settled):
        found.append(f"an email for cancellation {cid}, which did not settle")

    # Stock is conserved: initial + restocked (no sales happen in these runs).
    if before is not None:
        restocked = defaultdict(int)
        for part in parts:
            c = settled.get(part.cancellation_id)
            if part.cancellation_id in before.cancellations:
                continue
            line = lines[part.line_id]
            if c and c.reason != "out_of_stock" and line.product_id is not None:
                restocked[line.product_id] += part.quantity
        for product_id, initial in before.stock.items():
            if stock[product_id] != initial + restocked[product_id]:
                found.append(f"product {product_id}: stock {stock[product_id]}, expected "
                             f"{initial} + {restocked[product_id]} restocked")
    return found
