"""Read models: what screens and the CLI show. Plain dicts, JSON-ready (CONTRACT.md).

The board pages by keyset on (created_at, id) over indexed columns, newest first,
so a page costs the same on the millionth order as on the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from core import refunds, rules
from core.queries.cards import TAB_STATUSES
from core.results import Refusal
from core.state import iso, cancellation_view
from core.models import (
    Buyer, Cancellation, Notification, Order, OrderEvent, OrderLine,
    OutboxEmail, Package, Shop,
)

BUYER_TABS = {  # the buyer app's "Your orders" tabs
    "to_pay": ("unpaid",),
    "to_ship": ("on_hold", "awaiting_shipment", "awaiting_collection"),
    "shipped": ("partially_shipping", "in_transit"),
    "delivered": ("delivered", "completed"),
    "cancelled": ("cancelled",),
    "all": rules.ORDER_STATUSES,
}
# the seller centre's tabs, To Ship first: the board's own (one definition)
SELLER_TABS = {tab: statuses or rules.ORDER_STATUSES for tab, statuses in TAB_STATUSES.items()}


def order_view(session: Session, order_id: str, now: datetime) -> dict | None:
    """One order, whole: lines with their item-cancel eligibility, packages, totals,
    what each side may do now, cancellations and the timeline."""
    order = session.get(Order, order_id)
    if order is None:
        return None
    shop, buyer = session.get(Shop, order.shop_id), session.get(Buyer, order.buyer_id)
    packages = session.exec(select(Package).where(Package.order_id == order_id).order_by(Package.id)).all()
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)).all()
    cancellations = session.exec(select(Cancellation).where(Cancellation.order_id == order_id)
                                 .order_by(Cancellation.created_at, Cancellation.id)).all()
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id)
                          .order_by(OrderEvent.at, OrderEvent.id)).all()
    by_package = {p.id: p for p in packages}
    pending = next((c for c in cancellations if c.status == "request_pending"), None)
    totals = refunds.order_totals(order, lines)
    totals["refunded"] = sum(c.refund_total for c in cancellations if c.status in ("success", "complete"))
    return {
        "id": order.id, "status": order.status, "status_text": rules.STATUS_LABELS[order.status],
        "buyer": buyer.username, "buyer_name": buyer.name, "buyer_refusals": buyer.refusal_count,
        "shop": shop.name, "currency": order.currency, "version": order.version,
        "created_at": iso(order.created_at), "paid_at": iso(order.paid_at),
        "hold_until": iso(order.hold_until), "ship_by": iso(order.ship_by),
        "auto_cancel": [{"reason": d.reason, "at": iso(d.at), "package_ids": list(d.package_ids)}
                        for d in rules.sla_deadlines(order, shop, packages)],  # the SLA clock, soonest first
        "recipient": order.recipient, "address": order.address,
        "totals": totals,
        "lines": [{
            "id": l.id, "sku": l.sku, "title": l.title, "quantity": l.quantity,
            "cancelled_quantity": l.cancelled_quantity, "package_id": l.package_id,
            "unit_original_price": l.unit_original_price, "seller_discount": l.seller_discount,
            "platform_discount": l.platform_discount, "tax": l.tax, "paid": refunds.line_paid(l),
            "item_cancel": rules.item_cancel(order, by_package[l.package_id], l).as_dict(),
        } for l in lines],
        "packages": [{"id": p.id, "status": p.status, "tracking_number": p.tracking_number,
                      "line_ids": [l.id for l in lines if l.package_id == p.id]} for p in packages],
        "actions": {
            "buyer": rules.buyer_actions(order, shop, packages, now, request_pending=pending is not None),
            "seller": rules.seller_actions(order, packages, lines),
        },
        "pending_request": cancellation_view(session, pending) if pending else None,
        "cancellations": [cancellation_view(session, c) for c in cancellations],
        "timeline": [{"at": iso(e.at), "actor": e.actor, "kind": e.kind, **json.loads(e.detail or "{}")}
                     for e in events],
    }


def find_order_id(session: Session, text: str) -> str | None:
    """An order by its full ID or, when unique, by the end of it (DOMAIN.md: searchable by suffix)."""
    text = text.strip()
    if session.get(Order, text) is not None:
        return text
    if not text.isdigit() or len(text) < 4:
        return None
    found = session.exec(select(Order.id).where(Order.id.like(f"%{text}")).limit(2)).all()
    return found[0] if len(found) == 1 else None


def _filtered(query, *, statuses=None, sku=None, buyer=None, shop=None):
    if statuses:
        query = query.where(Order.status.in_(list(statuses)))
    if sku:
        skus = [sku] if isinstance(sku, str) else list(sku)
        query = query.where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku.in_(skus))))
    if buyer:
        query = query.where(Order.buyer_id == select(Buyer.id).where(Buyer.username == buyer).scalar_subquery())
    if shop:
        query = query.where(Order.shop_id == select(Shop.id).where(Shop.name == shop).scalar_subquery())
    return query


def list_orders(session: Session, now: datetime, *, statuses=None, sku=None, buyer=None, shop=None,
                limit: int = 50) -> list[dict]:
    """Orders, newest first, each whole (CONTRACT.md `orders list`)."""
    query = _filtered(select(Order.id), statuses=statuses, sku=sku, buyer=buyer, shop=shop)
    ids = session.exec(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    return [order_view(session, order_id, now) for order_id in ids]


@dataclass(frozen=True)
class BoardPage:
    rows: list[dict]
    cursor: tuple[datetime, str] | None  # pass back as `after` for the next page


def board_page(session: Session, shop_id: int, *, statuses=None, skus=None,
               after: tuple[datetime, str] | None = None, limit: int = 50) -> BoardPage:
    """One page of a shop's orders, newest first, by keyset on (created_at, id)."""
    query = _filtered(select(Order).where(Order.shop_id == shop_id), statuses=statuses, sku=skus)
    if after is not None:
        created, order_id = after
        query = query.where(or_(Order.created_at < created,
                                and_(Order.created_at == created, Order.id < order_id)))
    orders = session.exec(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    rows = [{"id": o.id, "status": o.status, "created_at": o.created_at, "buyer_id": o.buyer_id,
             "ship_by": o.ship_by, "version": o.version} for o in orders]
    cursor = (orders[-1].created_at, orders[-1].id) if len(orders) == limit else None
    return BoardPage(rows, cursor)


def status_counts(session: Session, shop_id: int | None = None) -> dict[str, int]:
    query = select(Order.status, func.count()).group_by(Order.status)
    if shop_id is not None:
        query = query.where(Order.shop_id == shop_id)
    counts = dict.fromkeys(rules.ORDER_STATUSES, 0)
    counts.update(dict(session.exec(query).all()))
    return counts


def buyer_orders(session: Session, username: str, tab: str = "all", now: datetime | None = None,
                 limit: int = 100) -> list[dict]:
    """A buyer's orders for one "Your orders" tab, newest first."""
    return list_orders(session, now, statuses=BUYER_TABS[tab], buyer=username, limit=limit)


def requests_list(session: Session, *, shop: str | None = None, status: str = "request_pending") -> list[dict]:
    query = select(Cancellation).where(Cancellation.status == status)
    if shop:
        query = query.join(Order, Order.id == Cancellation.order_id).join(Shop, Shop.id == Order.shop_id) \
            .where(Shop.name == shop)
    return [cancellation_view(session, c) for c in
            session.exec(query.order_by(Cancellation.deadline_at, Cancellation.id)).all()]


def outbox_list(session: Session, *, status: str | None = None, limit: int = 200,
                now: datetime | None = None) -> list[dict]:
    """Emails, newest first. `unknown`: a `sending` email whose sender let go or vanished
    (rules.email_unknown, judged at `now`, default the real clock); `problem`: what a
    person must know and do for a failed or unknown one."""
    now = now or datetime.now(UTC)
    query = select(OutboxEmail)
    if status:
        query = query.where(OutboxEmail.status == status)
    emails = session.exec(query.order_by(OutboxEmail.id.desc()).limit(limit)).all()
    return [{"id": e.id, "order_id": e.order_id, "cancellation_id": e.cancellation_id,
             "message_id": e.message_id, "to": e.to_address, "subject": e.subject, "body": e.body,
             "status": e.status, "attempts": e.attempts, "last_error": e.last_error,
             "next_attempt_at": iso(e.next_attempt_at), "claimed_at": iso(e.claimed_at),
             "unknown": rules.email_unknown(e, now), "problem": rules.email_problem(e, now),
             "created_at": iso(e.created_at), "sent_at": iso(e.sent_at)} for e in emails]


def notifications(session: Session, username: str) -> list[dict]:
    query = select(Notification).join(Buyer, Buyer.id == Notification.buyer_id) \
        .where(Buyer.username == username).order_by(Notification.created_at.desc(), Notification.id.desc())
    return [{"id": n.id, "order_id": n.order_id, "title": n.title, "body": n.body,
             "created_at": iso(n.created_at), "read": n.read_at is not None}
            for n in session.exec(query).all()]


def shops(session: Session) -> list[Shop]:
    return list(session.exec(select(Shop).order_by(Shop.name)).all())


def buyers(session: Session) -> list[Buyer]:
    return list(session.exec(select(Buyer).order_by(Buyer.username)).all())


def start_identity(session: Session, role: str, name: str | None = None) -> str | Refusal:
    """Whom `orderdesk seller` or `orderdesk buyer` opens as: the shop (by name) or buyer
    (by username) given, else the first one."""
    if role == "seller":
        noun, names = "shop", [s.name for s in shops(session)]
    else:
        noun, names = "buyer", [b.username for b in buyers(session)]
    if not names:
        return Refusal("empty_database", f"The database has no {noun} yet: load the demo data with "
                                         "`orderdesk seed demo`, or orders with `orderdesk import tiktok FILE`.")
    if name is None:
        return names[0]
    if name not in names:
        return Refusal(f"unknown_{role if role == 'buyer' else 'shop'}",
                       f"There is no {noun} {name!r}. {noun.capitalize()}s: {', '.join(names)}.")
    return name
