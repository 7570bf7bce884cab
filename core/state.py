"""An order's whole state, read in one place: for a command (locked, `FOR UPDATE`) or for a
read model (unlocked). Both sides use it; neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def load_order(session: Session, order_id: str, *, lock: bool = True) -> OrderState:
    """Two statements: the order (locked: FOR UPDATE on PostgreSQL) with its shop and
    buyer; then its packages, lines and pending request. The second is a statement of its
    own so that on PostgreSQL it reads after the lock was granted: a join in the locking
    statement would give the other tables' rows as they were before the wait."""
    query = (select(Order, Shop, Buyer).join(Shop, Shop.id == Order.shop_id)
             .join(Buyer, Buyer.id == Order.buyer_id).where(Order.id == order_id))
    if lock:
        query = query.with_for_update(of=Order)
    found = session.exec(query).first()
    if found is None:
        raise Refused("unknown_order", f"There is no order {order_id}. "
                      "Run `orderdesk orders list` to see the orders.")
    order, shop, buyer = found
    packages: dict[str, Package] = {}
    lines: dict[str, OrderLine] = {}
    pending = None
    for package, line, request in session.exec(
            select(Package, OrderLine, Cancellation)
            .outerjoin(OrderLine, OrderLine.package_id == Package.id)
            .outerjoin(Cancellation, (Cancellation.order_id == Package.order_id)
                       & (Cancellation.status == "request_pending"))
            .where(Package.order_id == order_id)):
        packages[package.id] = package
        if line is not None:
            lines[line.id] = line
        pending = pending or request
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
