"""One order, whole, as the seller reads it (the order Details screen): what it holds
(packages and their lines), what it cost and what went back, the buyer and their
standing, a pending request, every cancellation with its refund, the timeline, and what
the seller may do now. In words a person reads (status labels, reason texts, "2 items
cancelled, 3 still to ship"), never the internal keys; `as_dict()` for JSON.

Decisions where the spec is silent: the timeline is oldest first (it is read as a
story); the buyer's standing is a caution from the first refused delivery on (the same
mark the board's card shows); times are kept as instants and the screen writes them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session, select

from core import refunds, rules, words
from core.models import Cancellation, CancellationLine, OrderEvent
from core.queries.board import ActionChoice, snapshot
from core.queries.cards import REFUNDED
from core.results import Refused
from core.state import load_order

ACTORS = {"buyer": "the buyer", "seller": "the shop", "system": "the system"}
CANCELLATION_STATUS = {  # a cancellation record's status, as the seller reads it
    "success": "done", "complete": "done", "request_pending": "asked, waiting for your answer",
    "closed": "closed", "failed": "failed",
}


@dataclass(frozen=True, slots=True)
class DetailLine:
    id: str
    sku: str
    title: str
    quantity: int
    cancelled: int
    paid: int  # what the buyer paid for the line (minor units), tax apart

    @property
    def live(self) -> int:
        return self.quantity - self.cancelled


@dataclass(frozen=True, slots=True)
class DetailPackage:
    id: str
    status: str  # as read: "Awaiting Shipment"
    tracking_number: str | None
    lines: tuple[DetailLine, ...]

    @property
    def units(self) -> str:
        return words.plural(sum(l.live for l in self.lines), "unit")


@dataclass(frozen=True, slots=True)
class DetailCancellation:
    at: datetime
    by: str  # "the shop", "the buyer", "the system"
    what: str  # "The whole order", "Package 1158…", "Some items"
    reason: str
    status: str
    summary: str  # what it did, as the buyer is told it too ("1 item cancelled, 2 still to ship")
    refund_total: int
    refund_subtotal: int
    refund_shipping: int
    refund_tax: int
    items: tuple[str, ...]  # "1 × Glass Pantry Jars, Set of 3 (LH-JAR-SET)"


@dataclass(frozen=True, slots=True)
class DetailEvent:
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class OrderDetails:
    id: str
    status: str
    shop: str
    currency: str
    version: int
    created_at: datetime
    paid_at: datetime | None
    hold_until: datetime | None
    ship_by: datetime | None
    recipient: str
    address: str
    buyer: str
    buyer_name: str
    buyer_refusals: int
    standing: str  # "Good standing", or the caution the seller should read
    packages: tuple[DetailPackage, ...]
    subtotal: int
    shipping: int
    tax: int
    total: int
    refunded: int
    request: str | None  # the buyer's pending request, in words, with its deadline apart
    request_deadline: datetime | None
    cancellations: tuple[DetailCancellation, ...]
    timeline: tuple[DetailEvent, ...]
    actions: tuple[ActionChoice, ...]  # the order card's actions, each allowed or why not

    def as_dict(self) -> dict:
        out = asdict(self)
        for key, value in list(out.items()):
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        for group in ("cancellations", "timeline"):
            for row in out[group]:
                row["at"] = row["at"].isoformat()
        return out


def standing(refusals: int) -> str:
    """The buyer's standing, as a caution when they have refused deliveries (seed 000)."""
    if not refusals:
        return "Good standing: no refused deliveries"
    return f"Caution: refused {words.plural(refusals, 'delivery', 'deliveries')}"


def event_text(kind: str, detail: dict, actor: str) -> str:
    """One timeline event in the seller's words."""
    package = detail.get("package_id")
    reason = rules.REASON_TEXT.get(detail.get("reason", ""), detail.get("reason", ""))
    match kind:
        case "placed":
            return "Order placed" + (" (bought again)" if detail.get("bought_again_from") else "")
        case "paid":
            return "Paid"
        case "hold_ended":
            return "Hold ended: ready to ship"
        case "packed":
            return f"Package {package} packed"
        case "handed_over":
            return f"Package {package} handed to the carrier"
        case "delivered":
            return f"Package {package} delivered"
        case "completed":
            return "Completed: the return window is over"
        case "split":
            return f"Package {detail.get('from_package')} split: new package {detail.get('new_package')}"
        case "cancelled":
            return f"{words.cancelled_event_words(detail)} by {ACTORS.get(actor, actor)} ({reason})"
        case "cancellation_requested":
            return f"The buyer asked to cancel ({reason})"
        case "request_rejected":
            return f"The buyer's request was declined ({reason})"
        case "request_auto_approved":
            return "The buyer's request was approved by the system: no answer within 24 hours"
        case "delivery_refused":
            return f"The buyer refused package {package} at delivery"
        case "imported":
            return "Imported from a Seller Center export"
    return kind.replace("_", " ").capitalize()


def _what(record, packages: dict[str, int]) -> str:
    if record.scope == "package":
        return f"Package {packages.get(record.package_id, '?')}: {record.package_id}"
    return {"order": "The whole order", "items": "Some items"}.get(record.scope, record.scope)


def order_details(session: Session, order_id: str) -> OrderDetails | None:
    """The order's details (None: no such order)."""
    try:
        state = load_order(session, order_id, lock=False)
    except Refused:
        return None
    order, lines, packages = state.order, state.lines, state.packages
    cancellations = session.exec(select(Cancellation).where(Cancellation.order_id == order_id)
                                 .order_by(Cancellation.created_at, Cancellation.id)).all()
    parts = session.exec(select(CancellationLine).join(Cancellation, Cancellation.id == CancellationLine.cancellation_id)
                         .where(Cancellation.order_id == order_id).order_by(CancellationLine.id)).all()
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id)
                          .order_by(OrderEvent.at, OrderEvent.id)).all()
    line_of = {l.id: l for l in lines}
    number = {p.id: n for n, p in enumerate(packages, 1)}
    told = {}  # cancellation id -> its event's detail: what it left, as counted when it was made
    for e in events:
        if e.kind == "cancelled":
            detail = json.loads(e.detail or "{}")
            told[detail.get("cancellation_id")] = detail

    def cancellation(record) -> DetailCancellation:
        own = [p for p in parts if p.cancellation_id == record.id]
        detail = told.get(record.id, {})
        summary = words.cancelled_event_words(detail) if "units" in detail else \
            words.cancelled_words(sum(p.quantity for p in own), None)  # recorded before events counted
        return DetailCancellation(
            record.created_at, ACTORS.get(record.role, record.role), _what(record, number),
            rules.REASON_TEXT[record.reason], CANCELLATION_STATUS.get(record.status, record.status), summary,
            record.refund_total, record.refund_subtotal, record.refund_shipping, record.refund_tax,
            tuple(f"{p.quantity} × {line_of[p.line_id].title} ({line_of[p.line_id].sku})" for p in own
                  if p.line_id in line_of))

    done = [c for c in cancellations if c.status != "request_pending"]
    pending = state.pending
    totals = refunds.order_totals(order, lines)
    return OrderDetails(
        id=order.id, status=rules.STATUS_LABELS[order.status], shop=state.shop.name, currency=order.currency,
        version=order.version, created_at=order.created_at, paid_at=order.paid_at, hold_until=order.hold_until,
        ship_by=order.ship_by, recipient=order.recipient, address=order.address,
        buyer=state.buyer.username, buyer_name=state.buyer.name, buyer_refusals=state.buyer.refusal_count,
        standing=standing(state.buyer.refusal_count),
        packages=tuple(DetailPackage(p.id, rules.STATUS_LABELS[p.status], p.tracking_number, tuple(
            DetailLine(l.id, l.sku, l.title, l.quantity, l.cancelled_quantity, refunds.line_paid(l))
            for l in lines if l.package_id == p.id)) for p in packages),
        subtotal=totals["subtotal"], shipping=totals["shipping"], tax=totals["tax"], total=totals["total"],
        refunded=sum(c.refund_total for c in done if c.status in REFUNDED),
        request=(f"The buyer asks to cancel: {rules.REASON_TEXT[pending.reason]}" if pending else None),
        request_deadline=pending.deadline_at if pending else None,
        cancellations=tuple(cancellation(c) for c in done),
        timeline=tuple(DetailEvent(e.at, event_text(e.kind, json.loads(e.detail or "{}"), e.actor)) for e in events),
        actions=snapshot(session, order_id).actions)
