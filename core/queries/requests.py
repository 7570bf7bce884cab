"""Buyers' cancellation requests waiting for a seller: the requests screen and
`orderdesk requests list` read the same rows (`Request.as_dict()` is the CLI's JSON,
../shared/CONTRACT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from core import rules
from core.models import Buyer, Cancellation, CancellationLine, Order, Shop
from core.state import iso


@dataclass(frozen=True, slots=True)
class RequestLine:
    line_id: str
    quantity: int
    refund_subtotal: int
    refund_tax: int

    def as_dict(self) -> dict:
        return {"line_id": self.line_id, "quantity": self.quantity,
                "refund": self.refund_subtotal + self.refund_tax,
                "refund_subtotal": self.refund_subtotal, "refund_tax": self.refund_tax}


@dataclass(frozen=True, slots=True)
class Request:
    """A cancellation request, with the order's status and buyer (what the screen shows)."""

    id: str
    order_id: str
    type: str
    role: str
    scope: str
    package_id: str | None
    status: str
    reason: str
    reject_reason: str | None
    lines: tuple[RequestLine, ...]
    refund_subtotal: int
    refund_shipping: int
    refund_tax: int
    refund_total: int
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    order_status: str
    buyer: str
    buyer_name: str

    @property
    def reason_text(self) -> str:
        return rules.REASON_TEXT[self.reason]

    def as_dict(self) -> dict:
        """The contract's cancellation object (core.state.cancellation_view)."""
        return {
            "id": self.id, "order_id": self.order_id, "type": self.type, "role": self.role,
            "scope": self.scope, "package_id": self.package_id, "status": self.status,
            "reason": self.reason, "reason_text": self.reason_text, "reject_reason": self.reject_reason,
            "lines": [line.as_dict() for line in self.lines],
            "refund": {"subtotal": self.refund_subtotal, "shipping": self.refund_shipping,
                       "tax": self.refund_tax, "total": self.refund_total},
            "idempotency_key": self.idempotency_key,
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "deadline_at": iso(self.deadline_at),
        }


def requests(session: Session, *, shop: str | None = None, status: str = "request_pending") -> list[Request]:
    """Requests in `status` (pending: waiting for the seller), of one shop or all, the
    nearest deadline first; in two queries (the requests, their lines)."""
    query = (select(Cancellation, Order.status, Buyer.username, Buyer.name)
             .join(Order, Order.id == Cancellation.order_id).join(Buyer, Buyer.id == Order.buyer_id)
             .where(Cancellation.status == status))
    if shop is not None:
        query = query.join(Shop, Shop.id == Order.shop_id).where(Shop.name == shop)
    rows = session.exec(query.order_by(Cancellation.deadline_at, Cancellation.id)).all()
    lines_of: dict[str, list[RequestLine]] = {}
    if rows:
        for l in session.exec(select(CancellationLine).where(
                CancellationLine.cancellation_id.in_([c.id for c, *_ in rows])).order_by(CancellationLine.id)):
            lines_of.setdefault(l.cancellation_id, []).append(
                RequestLine(l.line_id, l.quantity, l.refund_subtotal, l.refund_tax))
    return [Request(c.id, c.order_id, c.type, c.role, c.scope, c.package_id, c.status, c.reason, c.reject_reason,
                    tuple(lines_of.get(c.id, ())), c.refund_subtotal, c.refund_shipping, c.refund_tax,
                    c.refund_total, c.idempotency_key, c.created_at, c.updated_at, c.deadline_at,
                    order_status, username, name)
            for c, order_status, username, name in rows]
