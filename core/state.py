"""An order's whole state, read in one place: for a command (locked, `FOR UPDATE`) or for a
read model (unlocked). Both sides use it; neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, select

from core import rules
from core.models import Buyer, Cancellation, CancellationLine, Order, OrderLine, Package, Shop
from core.results import Refused


@dataclass
class OrderState:
    order: Order
    shop: Shop
    buyer: Buyer
    packages: list[Package]
    lines: list[OrderLine]
    pending: Cancellation | None

    def package(self, package_id: str) -> Package:
        for package in self.packages:
            if package.id == package_id:
                return package
        raise Refused("unknown_package", f"Order {self.order.id} has no package {package_id}. "
                      f"Its packages: {', '.join(p.id for p in self.packages)}.")

    def package_of(self, line: OrderLine) -> Package:
        return next(p for p in self.packages if p.id == line.package_id)


# Built once (every command runs them); the order's id is a parameter.
_ORDER = (select(Order, Shop, Buyer).join(Shop, Shop.id == Order.shop_id)
          .join(Buyer, Buyer.id == Order.buyer_id).where(Order.id == bindparam("order_id")))
_LOCKED = _ORDER.with_for_update(of=Order)
_CONTENTS = (select(Package, OrderLine, Cancellation)
             .outerjoin(OrderLine, OrderLine.package_id == Package.id)
             .outerjoin(Cancellation, (Cancellation.order_id == Package.order_id)
                        & (Cancellation.status == "request_pending"))
             .where(Package.order_id == bindparam("order_id")))
_WHOLE = (_ORDER.add_columns(Package, OrderLine, Cancellation)
          .outerjoin(Package, Package.order_id == Order.id)
          .outerjoin(OrderLine, OrderLine.package_id == Package.id)
          .outerjoin(Cancellation, (Cancellation.order_id == Order.id)
                     & (Cancellation.status == "request_pending")))


def load_order(session: Session, order_id: str, *, lock: bool = True) -> OrderState:
    """The order, its shop, buyer, packages, lines and pending request, in one statement;
    locked (FOR UPDATE) on PostgreSQL in two: the order first, then the rest. A join in
    the locking statement would give the other tables' rows as they were before the wait
    for the lock; the second statement reads them after it. (SQLite's write transactions
    hold the database from BEGIN IMMEDIATE on, so one statement is enough there.)"""
    params = {"order_id": order_id}
    if lock and session.get_bind().dialect.name != "sqlite":
        found = session.exec(_LOCKED, params=params).first()
        rows = [(*found, *contents) for contents in session.exec(_CONTENTS, params=params)] \
            if found is not None else []
    else:
        rows = session.exec(_WHOLE, params=params).all()
    if not rows:
        raise Refused("unknown_order", f"There is no order {order_id}. "
                      "Run `orderdesk orders list` to see the orders.")
    order, shop, buyer = rows[0][:3]
    packages = {package.id: package for _, _, _, package, _, _ in rows if package is not None}
    lines = {line.id: line for *_, line, _ in rows if line is not None}
    pending = next((request for *_, request in rows if request is not None), None)
    return OrderState(order, shop, buyer, [packages[k] for k in sorted(packages)],
                      [lines[k] for k in sorted(lines)], pending)


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def cancellation_view(session: Session, record: Cancellation) -> dict:
    lines = session.exec(select(CancellationLine).where(
        CancellationLine.cancellation_id == record.id).order_by(CancellationLine.id)).all()
    return cancellation_dict(record, lines)


def cancellation_dict(record, lines) -> dict:
    """A cancellation and its lines (anything with their columns as attributes) as the
    CLI's JSON and the screens show it."""
    return {
        "id": record.id, "order_id": record.order_id, "type": record.type, "role": record.role,
        "scope": record.scope, "package_id": record.package_id, "status": record.status,
        "reason": record.reason, "reason_text": rules.REASON_TEXT[record.reason],
        "reject_reason": record.reject_reason,
        "lines": [{"line_id": l.line_id, "quantity": l.quantity, "refund": l.refund_subtotal + l.refund_tax,
                   "refund_subtotal": l.refund_subtotal, "refund_tax": l.refund_tax} for l in lines],
        "refund": {"subtotal": record.refund_subtotal, "shipping": record.refund_shipping,
                   "tax": record.refund_tax, "total": record.refund_total},
        "idempotency_key": record.idempotency_key,
        "created_at": iso(record.created_at), "updated_at": iso(record.updated_at),
        "deadline_at": iso(record.deadline_at),
    }
