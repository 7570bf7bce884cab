"""Read models of orders: what the CLI and the screens show, typed and frozen, with the
verdicts (what each side may do now, and why not) decided here by core.rules; `as_dict()`
is the contract's JSON (CONTRACT.md).

The board pages by keyset on (created_at, id) over indexed columns, newest first,
so a page costs the same on the millionth order as on the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from core import refunds, rules
from core.results import Refusal
from core.queries.model import ReadModel, internal
from core.state import cancellation_view, iso, load_order
from core.models import (
    Buyer, Cancellation, Notification, Order, OrderEvent, OrderLine,
    Package, Shop,
)

BUYER_TABS = {  # the buyer app's "Your orders" tabs
    "to_pay": ("unpaid",),
    "to_ship": ("on_hold", "awaiting_shipment", "awaiting_collection"),
    "shipped": ("partially_shipping", "in_transit"),
    "delivered": ("delivered", "completed"),
    "cancelled": ("cancelled",),
    "all": rules.ORDER_STATUSES,
}


@dataclass(frozen=True, slots=True)
class ItemCancel(ReadModel):
    """Whether the seller may cancel units of a line now (seed 003), and why not."""

    allowed: bool
    max_quantity: int | None
    why_not: str | None


@dataclass(frozen=True, slots=True)
class OrderLineView(ReadModel):
    id: str
    sku: str
    title: str
    quantity: int
    cancelled_quantity: int
    package_id: str
    unit_original_price: int
    seller_discount: int
    platform_discount: int
    tax: int
    paid: int
    item_cancel: ItemCancel


@dataclass(frozen=True, slots=True)
class PackageView(ReadModel):
    id: str
    status: str
    tracking_number: str | None
    line_ids: tuple[str, ...]
    status_text: str = internal()
    refusable: bool = internal()  # the buyer may refuse it now (it is on its way)


@dataclass(frozen=True, slots=True)
class Totals(ReadModel):
    """What the buyer paid at checkout; `refunded`, the sum of the refunds so far."""

    subtotal: int
    shipping: int
    tax: int
    total: int
    refunded: int


@dataclass(frozen=True, slots=True)
class CancellationLineView(ReadModel):
    line_id: str
    quantity: int
    refund: int
    refund_subtotal: int
    refund_tax: int


@dataclass(frozen=True, slots=True)
class Refund(ReadModel):
    subtotal: int
    shipping: int
    tax: int
    total: int


@dataclass(frozen=True, slots=True)
class CancellationView(ReadModel):
    """A cancellation record (core.state.cancellation_view's JSON, typed)."""

    id: str
    order_id: str
    type: str
    role: str
    scope: str
    package_id: str | None
    status: str
    reason: str
    reason_text: str
    reject_reason: str | None
    lines: tuple[CancellationLineView, ...]
    refund: Refund
    idempotency_key: str | None
    created_at: str | None
    updated_at: str | None
    deadline_at: str | None
    reject_reason_text: str | None = internal(default=None)

    @classmethod
    def of(cls, record: dict) -> CancellationView:
        return cls(**{**record, "lines": tuple(CancellationLineView(**l) for l in record["lines"]),
                      "refund": Refund(**record["refund"]),
                      "reject_reason_text": rules.REASON_TEXT.get(record["reject_reason"])})


@dataclass(frozen=True, slots=True)
class TimelineEvent(ReadModel):
    at: str | None
    actor: str
    kind: str
    detail: tuple[tuple[str, object], ...] = ()

    def as_dict(self) -> dict:
        return {"at": self.at, "actor": self.actor, "kind": self.kind, **dict(self.detail)}


@dataclass(frozen=True, slots=True)
class Actions(ReadModel):
    """What each side may do to the order now (core.rules)."""

    buyer: tuple[str, ...]
    seller: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BuyerCancel(ReadModel):
    """The buyer's Cancel order, for this app's version (core.rules.buyer_cancel): allowed
    ("cancel" at once, or a "request" the seller answers), or why not and the way out."""

    allowed: bool
    mode: str | None = None
    why_not: str | None = None
    next_step: str | None = None  # contact_seller | refuse_delivery | update_app | buy_again


@dataclass(frozen=True, slots=True)
class AutoCancel(ReadModel):
    """An auto-cancellation ahead (core.rules.sla_deadlines): why, when, and which packages."""

    reason: str
    at: str | None
    package_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderView(ReadModel):
    """One order, whole: lines with their item-cancel eligibility, packages, totals, what
    each side may do now, cancellations and the timeline (CONTRACT.md: `orders show`)."""

    id: str
    status: str
    status_text: str
    buyer: str
    buyer_name: str
    buyer_refusals: int
    shop: str
    currency: str
    version: int
    created_at: str | None
    paid_at: str | None
    hold_until: str | None
    ship_by: str | None
    auto_cancel: tuple[AutoCancel, ...]  # the SLA clock: what cancels the order if nothing happens, soonest first
    recipient: str
    address: str
    totals: Totals
    lines: tuple[OrderLineView, ...]
    packages: tuple[PackageView, ...]
    actions: Actions
    pending_request: CancellationView | None
    cancellations: tuple[CancellationView, ...]
    timeline: tuple[TimelineEvent, ...]
    buyer_cancel: BuyerCancel = internal()
    buyer_reasons: tuple[tuple[str, str], ...] = internal()  # (key, text): those that fit now

    def titles(self) -> dict[str, str]:
        """Each line's title by its ID."""
        return {line.id: line.title for line in self.lines}


def read_order(session: Session, order_id: str, now: datetime, *,
               app_version: str | None = None) -> OrderView | None:
    """One order, whole, with the verdicts, as the buyer's app of `app_version` (None: any
    version) and the seller see it; None if there is no such order."""
    order = session.get(Order, order_id)
    if order is None:
        return None
    shop, buyer = session.get(Shop, order.shop_id), session.get(Buyer, order.buyer_id)
    packages = session.exec(select(Package).where(Package.order_id == order_id).order_by(Package.id)).all()
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)).all()
    cancellations = [CancellationView.of(cancellation_view(session, c)) for c in session.exec(
        select(Cancellation).where(Cancellation.order_id == order_id)
        .order_by(Cancellation.created_at, Cancellation.id)).all()]
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id)
                          .order_by(OrderEvent.at, OrderEvent.id)).all()
    by_package = {p.id: p for p in packages}
    pending = next((c for c in cancellations if c.status == "request_pending"), None)
    totals = refunds.order_totals(order, lines)
    refunded = sum(c.refund.total for c in cancellations if c.status in ("success", "complete"))
    try:
        verdict = rules.buyer_cancel(order, shop, now, packages=packages, app_version=app_version,
                                     request_pending=pending is not None)
    except ValueError as exc:  # an --app-version that isn't a version
        verdict = rules.Verdict(False, "bad_input", str(exc))
    return OrderView(
        id=order.id, status=order.status, status_text=rules.STATUS_LABELS[order.status],
        buyer=buyer.username, buyer_name=buyer.name, buyer_refusals=buyer.refusal_count,
        shop=shop.name, currency=order.currency, version=order.version,
        created_at=iso(order.created_at), paid_at=iso(order.paid_at),
        hold_until=iso(order.hold_until), ship_by=iso(order.ship_by),
        auto_cancel=tuple(AutoCancel(d.reason, iso(d.at), tuple(d.package_ids))
                          for d in rules.sla_deadlines(order, shop, packages)),
        recipient=order.recipient, address=order.address,
        totals=Totals(**totals, refunded=refunded),
        lines=tuple(OrderLineView(
            id=l.id, sku=l.sku, title=l.title, quantity=l.quantity,
            cancelled_quantity=l.cancelled_quantity, package_id=l.package_id,
            unit_original_price=l.unit_original_price, seller_discount=l.seller_discount,
            platform_discount=l.platform_discount, tax=l.tax, paid=refunds.line_paid(l),
            item_cancel=ItemCancel(**rules.item_cancel(order, by_package[l.package_id], l).as_dict()),
        ) for l in lines),
        packages=tuple(PackageView(
            id=p.id, status=p.status, tracking_number=p.tracking_number,
            line_ids=tuple(l.id for l in lines if l.package_id == p.id),
            status_text=rules.STATUS_LABELS[p.status], refusable=rules.refuse_delivery(order, p).allowed,
        ) for p in packages),
        actions=Actions(
            buyer=tuple(rules.buyer_actions(order, shop, packages, now, request_pending=pending is not None)),
            seller=tuple(rules.seller_actions(order, packages, lines))),
        pending_request=pending,
        cancellations=tuple(cancellations),
        timeline=tuple(TimelineEvent(iso(e.at), e.actor, e.kind, tuple(json.loads(e.detail or "{}").items()))
                       for e in events),
        buyer_cancel=BuyerCancel(verdict.allowed, verdict.mode, verdict.why_not, verdict.next_step),
        buyer_reasons=tuple(rules.reasons_for("buyer", order, packages).items()),
    )


def order_view(session: Session, order_id: str, now: datetime) -> dict | None:
    """One order as the contract's JSON (`read_order(...).as_dict()`), for scripts and tests."""
    view = read_order(session, order_id, now)
    return view.as_dict() if view else None


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


def read_orders(session: Session, now: datetime, *, statuses=None, sku=None, buyer=None, shop=None,
                limit: int = 50, app_version: str | None = None) -> list[OrderView]:
    """Orders, newest first, each whole (CONTRACT.md `orders list`)."""
    query = _filtered(select(Order.id), statuses=statuses, sku=sku, buyer=buyer, shop=shop)
    ids = session.exec(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    return [read_order(session, order_id, now, app_version=app_version) for order_id in ids]


def list_orders(session: Session, now: datetime, **filters) -> list[dict]:
    """`read_orders` as the contract's JSON."""
    return [view.as_dict() for view in read_orders(session, now, **filters)]


def status_counts(session: Session, shop_id: int | None = None) -> dict[str, int]:
    query = select(Order.status, func.count()).group_by(Order.status)
    if shop_id is not None:
        query = query.where(Order.shop_id == shop_id)
    counts = dict.fromkeys(rules.ORDER_STATUSES, 0)
    counts.update(dict(session.exec(query).all()))
    return counts


def buyer_orders(session: Session, username: str, tab: str = "all", now: datetime | None = None,
                 limit: int = 100) -> list[dict]:
    """A buyer's orders for one "Your orders" tab, newest first (the contract's JSON)."""
    return list_orders(session, now, statuses=BUYER_TABS[tab], buyer=username, limit=limit)


@dataclass(frozen=True, slots=True)
class Notice(ReadModel):
    """A notification in the buyer's Inbox."""

    id: int
    order_id: str | None
    title: str
    body: str
    created_at: str | None
    read: bool


def read_notices(session: Session, username: str) -> list[Notice]:
    """A buyer's notifications, newest first."""
    query = select(Notification).join(Buyer, Buyer.id == Notification.buyer_id) \
        .where(Buyer.username == username).order_by(Notification.created_at.desc(), Notification.id.desc())
    return [Notice(n.id, n.order_id, n.title, n.body, iso(n.created_at), n.read_at is not None)
            for n in session.exec(query).all()]


def notifications(session: Session, username: str) -> list[dict]:
    """`read_notices` as JSON."""
    return [notice.as_dict() for notice in read_notices(session, username)]


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


def reasons_for(session: Session, actor: str, order_id: str) -> dict[str, str]:
    """The reasons (key: text) that fit this actor and this order now."""
    state = load_order(session, order_id, lock=False)
    return rules.reasons_for(actor, state.order, state.packages)
