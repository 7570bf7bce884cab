"""The seller's To Ship board: read models that page from SQL (seed 003, issue 4).

Paging is by keyset on (created_at, id), newest first, over the indexes
`ix_orders_shop_status_created` (one status) and `ix_orders_shop_created` (every
status): a tab with several statuses asks each status for one page from its own
index range and merges them, so no query sorts more than a page, whichever page
it is and however many orders the shop has. A page of cards is then loaded in
three queries (orders with buyer and request columns, packages, lines), never
one per order.

The product filter (seed 003: "filter the orders to include specific products")
keeps orders with at least one line of a chosen SKU (an EXISTS probe on
`ix_order_lines_sku_order` per candidate order).

Search finds an order by its full ID, the end of its ID (at least 4 digits), a
buyer (username or name, from its start) or a package's tracking number.

The cancel wizard's figures come from `cancel_preview` (core.refunds), never
from a screen.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, select

from core import refunds, rules, words
from core.queries.cards import (
    PAGE, REFUNDED, TAB_STATUSES, BoardCounts, BoardFilter, BoardShop, Key, LineCard, OrderCard, PackageCard,
)
from core.results import Refused
from core.state import OrderState, load_order
from core.models import Buyer, Cancellation, Order, OrderLine, Package, Product, Shop

LARGE = 100_000


def is_large(session: Session) -> bool:
    """More than LARGE orders in the database? (SQLite: the newest rowid, one index step.)"""
    if session.get_bind().dialect.name == "sqlite":
        n = session.connection().exec_driver_sql("SELECT max(rowid) FROM orders").scalar() or 0
    else:
        n = session.exec(select(func.count()).select_from(select(Order.id).limit(LARGE + 1).subquery())).one()
    return n > LARGE


# -- the shop ---------------------------------------------------------------------
def shop_by_name(session: Session, name: str) -> Shop | None:
    return session.exec(select(Shop).where(Shop.name == name)).first()


def board_shop(session: Session, name: str) -> BoardShop | None:
    """The shop a board opens on (None: no such shop)."""
    shop = shop_by_name(session, name)
    return BoardShop(shop.id, shop.name, is_large(session)) if shop else None


def shop_skus(session: Session, shop_id: int) -> list[tuple[str, str]]:
    """The shop's products (SKU, title) for the product filter."""
    return [tuple(row) for row in session.exec(
        select(Product.sku, Product.title).where(Product.shop_id == shop_id).order_by(Product.sku)).all()]


def counts(session: Session, shop_id: int, skus: Iterable[str] = ()) -> BoardCounts:
    """Orders per status and per tab, and the pending buyer requests. All the shop's
    orders (one pass over its index range), or with the product filter on only those
    the board shows: with a line of one of `skus` (from those lines up, on
    `ix_order_lines_sku_order`, so a narrow filter counts few rows). The requests are
    the shop's, whatever the filter: the seller answers every one."""
    by_status = dict.fromkeys(rules.ORDER_STATUSES, 0)
    if skus:
        query = (select(Order.status, func.count(func.distinct(Order.id))).select_from(OrderLine)
                 .join(Order, Order.id == OrderLine.order_id)
                 .where(OrderLine.sku.in_(sorted(skus)), Order.shop_id == shop_id))
    else:
        query = select(Order.status, func.count()).where(Order.shop_id == shop_id)
    by_status.update(dict(session.exec(query.group_by(Order.status)).all()))
    by_tab = {tab: (sum(by_status.values()) if statuses is None else sum(by_status[s] for s in statuses))
              for tab, statuses in TAB_STATUSES.items()}
    requests = session.exec(
        select(func.count()).select_from(Cancellation).join(Order, Order.id == Cancellation.order_id)
        .where(Cancellation.status == "request_pending", Order.shop_id == shop_id)).one()
    return BoardCounts(by_status, by_tab, requests)


# -- paging -----------------------------------------------------------------------
def _keys(session: Session, flt: BoardFilter, status: str | None, *, after: Key | None,
          before: Key | None, limit: int, inclusive: bool = False) -> list[Key]:
    query = select(Order.created_at, Order.id).where(Order.shop_id == flt.shop_id)
    if status is not None:
        query = query.where(Order.status == status)
    if flt.skus:
        query = query.where(exists().where(OrderLine.order_id == Order.id,
                                           OrderLine.sku.in_(sorted(flt.skus))))
    if after is not None:
        same = Order.id <= after[1] if inclusive else Order.id < after[1]
        query = query.where(or_(Order.created_at < after[0], and_(Order.created_at == after[0], same)))
        return [tuple(r) for r in session.exec(
            query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()]
    if before is not None:
        query = query.where(or_(Order.created_at > before[0],
                                and_(Order.created_at == before[0], Order.id > before[1])))
        rows = session.exec(query.order_by(Order.created_at, Order.id).limit(limit)).all()
        return [tuple(r) for r in reversed(rows)]
    return [tuple(r) for r in session.exec(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()]


def page_keys(session: Session, flt: BoardFilter, *, after: Key | None = None,
              before: Key | None = None, at: Key | None = None, limit: int = PAGE) -> list[Key]:
    """The keys of one page, newest first: the `limit` cards after `after` (or
    from `at` on, or just before `before`, or from the top)."""
    inclusive = at is not None
    after = at if inclusive else after
    statuses = flt.statuses
    if statuses is None:
        return _keys(session, flt, None, after=after, before=before, limit=limit, inclusive=inclusive)
    parts = [_keys(session, flt, s, after=after, before=before, limit=limit, inclusive=inclusive)
             for s in statuses]
    merged = list(heapq.merge(*parts, reverse=True))
    return merged[-limit:] if before is not None else merged[:limit]


def page(session: Session, flt: BoardFilter, *, after: Key | None = None,
         before: Key | None = None, at: Key | None = None, limit: int = PAGE) -> list[OrderCard]:
    """One page of cards (see `page_keys`)."""
    return load_cards(session, [k[1] for k in page_keys(session, flt, after=after, before=before,
                                                        at=at, limit=limit)])


def load_cards(session: Session, order_ids: Iterable[str]) -> list[OrderCard]:
    """Cards for these orders, in this order, in three queries (orders with their
    buyer, refunded sum and pending request; packages; lines), as plain rows."""
    order_ids = list(dict.fromkeys(order_ids))
    if not order_ids:
        return []
    refunded = (select(func.coalesce(func.sum(Cancellation.refund_total), 0))
                .where(Cancellation.order_id == Order.id, Cancellation.status.in_(REFUNDED))
                .scalar_subquery())
    request = Cancellation.__table__.alias("request")
    rows = session.exec(
        select(Order.id, Order.status, Order.created_at, Order.ship_by, Order.currency, Order.version,
               Order.original_shipping_fee, Order.shipping_fee_seller_discount,
               Order.shipping_fee_platform_discount, Order.shipping_tax,
               Buyer.username, Buyer.name, Buyer.refusal_count, refunded,
               request.c.id, request.c.deadline_at)
        .join(Buyer, Buyer.id == Order.buyer_id)
        .outerjoin(request, and_(request.c.order_id == Order.id, request.c.status == "request_pending"))
        .where(Order.id.in_(order_ids))).all()
    packages = session.exec(select(Package.order_id, Package.id, Package.status, Package.tracking_number)
                            .where(Package.order_id.in_(order_ids)).order_by(Package.id)).all()
    lines = session.exec(select(OrderLine.order_id, OrderLine.package_id, OrderLine.id, OrderLine.sku,
                                OrderLine.title, OrderLine.quantity, OrderLine.cancelled_quantity,
                                OrderLine.unit_original_price, OrderLine.seller_discount,
                                OrderLine.platform_discount, OrderLine.tax)
                         .where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)).all()
    lines_of: dict[str, list] = {}
    for line in lines:
        lines_of.setdefault(line.order_id, []).append(line)
    packages_of: dict[str, list[PackageCard]] = {}
    for order_id, package_id, status, tracking in packages:
        own = tuple(LineCard(l.id, l.sku, l.title, l.quantity, l.cancelled_quantity)
                    for l in lines_of.get(order_id, ()) if l.package_id == package_id)
        packages_of.setdefault(order_id, []).append(PackageCard(package_id, status, tracking, own))
    cards = {}
    for r in rows:
        if r[0] in cards:
            continue
        total = refunds.order_totals(r, lines_of.get(r.id, ()))["total"]  # rows carry the fields it reads
        cards[r[0]] = OrderCard(
            id=r[0], status=r[1], created_at=r[2], ship_by=r[3], buyer=r[10], buyer_name=r[11],
            buyer_refusals=r[12], currency=r[4], total=total, refunded=r[13] or 0, version=r[5],
            packages=tuple(packages_of.get(r[0], ())), request_id=r[14], request_deadline=r[15])
    return [cards[i] for i in order_ids if i in cards]


# -- search -----------------------------------------------------------------------
def search_ids(session: Session, shop_id: int, text: str, *, limit: int = PAGE) -> list[str]:
    """Orders of the shop matching `text`: full ID, ID suffix (4+ digits), buyer
    (username or name, from its start), or tracking number; newest first."""
    text = text.strip()
    if not text:
        return []
    found: list[str] = []
    if text.isdigit():
        if len(text) >= 18:
            found += session.exec(select(Order.id).where(Order.id == text, Order.shop_id == shop_id)).all()
        elif len(text) >= 4:
            found += session.exec(
                select(Order.id).where(Order.shop_id == shop_id, Order.id.like(f"%{text}"))
                .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    tracked = session.exec(
        select(Package.order_id).join(Order, Order.id == Package.order_id)
        .where(Package.tracking_number == text.upper(), Order.shop_id == shop_id).limit(limit)).all()
    found += tracked
    if not text.isdigit() and len(text) >= 2:
        prefix = text.replace("%", "").replace("_", "").lower()
        buyer_ids = session.exec(select(Buyer.id).where(or_(
            func.lower(Buyer.username).like(f"{prefix}%"), func.lower(Buyer.name).like(f"{prefix}%")))
            .limit(200)).all()
        if buyer_ids:
            # few buyers: their own index ranges (ix_orders_buyer_created), then a small sort;
            # many (a short prefix): walk the shop's range newest first until the page is full
            in_shop = (Order.shop_id + 0 == shop_id) if len(buyer_ids) <= 20 else (Order.shop_id == shop_id)
            found += session.exec(
                select(Order.id).where(Order.buyer_id.in_(buyer_ids), in_shop)
                .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    return list(dict.fromkeys(found))[:limit]


def scanned_order(session: Session, shop_id: int, text: str) -> str | None:
    """A scanned (or typed) order ID: the full ID, or an ID suffix matching one order.
    A scan appended to other text counts by its last 18 digits."""
    text = text.strip()
    digits = text[-18:] if len(text) >= 18 and text[-18:].isdigit() else text
    if not digits.isdigit() or len(digits) < 4:
        return None
    ids = search_ids(session, shop_id, digits, limit=2)
    return ids[0] if len(ids) == 1 else None


# -- one order for the action menu, the cancel wizard, split, pack ---------------------
ACTIONS = {  # the order card's action menu (seed 003), in its order
    "cancel": "Cancel order",
    "pack": "Pack",
    "handover": "Hand over to carrier",
    "split": "Split into packages",
    "details": "Details",
}
SPLIT_WHY_NOT = "Only a package Awaiting Shipment with two or more units can be split."


@dataclass(frozen=True, slots=True)
class Choice:
    """May this be chosen, and if not, why (what a person reads)."""

    allowed: bool
    why_not: str | None = None


@dataclass(frozen=True, slots=True)
class ActionChoice:
    """One entry of the order card's action menu."""

    action: str
    label: str
    why_not: str | None  # None: allowed

    @property
    def allowed(self) -> bool:
        return self.why_not is None


@dataclass(frozen=True, slots=True)
class LineChoice:
    """A line as the cancel or split step shows it: may it be chosen, how many, why not."""

    id: str
    package_id: str
    sku: str
    title: str
    quantity: int
    cancelled_quantity: int
    allowed: bool
    max_quantity: int
    why_not: str | None


@dataclass(frozen=True, slots=True)
class PackageChoice:
    """A package to pick for an action, with what is in it (the picker shows it)."""

    id: str
    status: str
    tracking_number: str | None
    allowed: bool
    why_not: str | None
    lines: tuple[LineRow, ...] = ()

    @property
    def live_units(self) -> int:
        return sum(l.live for l in self.lines)


@dataclass(frozen=True, slots=True)
class OrderHead:
    """The order's own figures (what core.refunds reads of an order)."""

    id: str
    status: str
    currency: str
    version: int
    paid_at: datetime | None
    original_shipping_fee: int
    shipping_fee_seller_discount: int
    shipping_fee_platform_discount: int
    shipping_tax: int


@dataclass(frozen=True, slots=True)
class PackageRow:
    id: str
    status: str
    tracking_number: str | None


@dataclass(frozen=True, slots=True)
class LineRow:
    """A line with its prices (what core.refunds reads of a line)."""

    id: str
    package_id: str
    sku: str
    title: str
    quantity: int
    cancelled_quantity: int
    unit_original_price: int
    seller_discount: int
    platform_discount: int
    tax: int

    @property
    def live(self) -> int:
        return self.quantity - self.cancelled_quantity


@dataclass(frozen=True, slots=True)
class CancelPreview:
    """What a seller's cancellation would cancel and refund, as reviewed (step 4)."""

    scope: str  # order | package | items
    package_id: str | None
    quantities: Mapping[str, int]
    refund: refunds.RefundBreakdown
    whole: bool = False  # nothing live is left in the order afterwards
    shipping_note: str = refunds.SHIPPING_NOTE
    left: words.Left = words.Left()  # what is still live in the order afterwards

    @property
    def summary(self) -> str:
        """What it does, as the buyer is told it too: "2 items cancelled, 3 still to ship"."""
        return words.cancelled_words(sum(self.quantities.values()), self.left)

    @property
    def note(self) -> str | None:
        """The shipping note, when it applies: shipping stays with the order until the
        last unit is cancelled (DOMAIN.md)."""
        return None if self.whole else self.shipping_note


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as read at one moment (its version), with every verdict the seller's
    screens show: which actions, reasons, packages and lines may be chosen, and why
    not. Computed by core.rules when read; a screen only reads it."""

    order: OrderHead
    packages: tuple[PackageRow, ...]
    lines: tuple[LineRow, ...]
    actions: tuple[ActionChoice, ...]
    seller_reasons: Mapping[str, str]  # reason -> text, those that fit the order
    reject_reasons: Mapping[str, str]  # for a buyer's request
    whole_order: Choice
    package_choices: tuple[PackageChoice, ...]
    item_lines: tuple[LineChoice, ...]  # item cancellation by line, whatever the reason
    items_reason: Mapping[str, Choice]  # seller reason -> may it cancel by item (seed 003: Out of Stock)
    logistics: Mapping[str, tuple[PackageChoice, ...]]  # pack | handover -> packages
    split_sources: tuple[PackageChoice, ...]
    split_lines: Mapping[str, tuple[LineChoice, ...]]  # package -> its lines, for a split

    @property
    def version(self) -> int:
        return self.order.version

    def why_not(self, action: str) -> str | None:
        """Why the action menu's `action` can't be done now (None: it can)."""
        return next(a.why_not for a in self.actions if a.action == action)

    def live_units(self, package_id: str | None = None) -> int:
        return sum(l.live for l in self.lines if package_id is None or l.package_id == package_id)

    def item_choices(self, reason: str | None = "out_of_stock") -> tuple[LineChoice, ...]:
        """Seed 003: lines that may not be cancelled by item are greyed out with why;
        with a reason that can't cancel by item, every line says so."""
        fits = self.items_reason.get(reason, Choice(True)) if reason else Choice(True)
        if fits.allowed:
            return self.item_lines
        return tuple(LineChoice(c.id, c.package_id, c.sku, c.title, c.quantity, c.cancelled_quantity,
                                False, 0, c.why_not if not c.allowed else fits.why_not)
                     for c in self.item_lines)

    def items_allowed(self, reason: str) -> Choice:
        """May this reason cancel by item here at all?"""
        fits = self.items_reason.get(reason, Choice(False, "Not a seller's reason."))
        if not fits.allowed:
            return fits
        if not any(c.allowed for c in self.item_lines):
            return Choice(False, "No item of this order can be cancelled by item now; cancel the whole "
                          "order or a package instead.")
        return fits

    def preview(self, scope: str, *, package_id: str | None = None,
                items: Mapping[str, int] | None = None) -> CancelPreview:
        """The units a cancellation of this scope takes and the refund it gives
        (core.refunds.refund_for), the same figure `services.seller_cancel` computes."""
        if scope == "order":
            quantities = {l.id: l.live for l in self.lines if l.live}
        elif scope == "package":
            quantities = {l.id: l.live for l in self.lines if l.package_id == package_id and l.live}
        else:
            quantities = {k: v for k, v in (items or {}).items() if v}
        live = self.live_units()
        return CancelPreview(scope, package_id, quantities, refunds.refund_for(self.order, self.lines, quantities),
                             whole=live > 0 and sum(quantities.values()) == live,
                             left=rules.left_after(self.packages, self.lines, quantities))


def cancel_preview(snap: OrderSnapshot, scope: str, *, package_id: str | None = None,
                   items: Mapping[str, int] | None = None) -> CancelPreview:
    return snap.preview(scope, package_id=package_id, items=items)


def snapshot(session: Session, order_id: str) -> OrderSnapshot | None:
    """One order and every verdict on it (None: no such order)."""
    try:
        state = load_order(session, order_id, lock=False)
    except Refused:
        return None
    return _snapshot(state)


def _snapshot(state: OrderState) -> OrderSnapshot:
    order, packages, lines = state.order, state.packages, state.lines
    by_id = {p.id: p for p in packages}
    head = OrderHead(order.id, order.status, order.currency, order.version, order.paid_at,
                     order.original_shipping_fee, order.shipping_fee_seller_discount,
                     order.shipping_fee_platform_discount, order.shipping_tax)
    rows = tuple(LineRow(l.id, l.package_id, l.sku, l.title, l.quantity, l.cancelled_quantity,
                         l.unit_original_price, l.seller_discount, l.platform_discount, l.tax) for l in lines)

    def package_choice(p, verdict) -> PackageChoice:
        return PackageChoice(p.id, p.status, p.tracking_number, verdict.allowed, verdict.why_not,
                             tuple(r for r in rows if r.package_id == p.id))

    def line_choice(l, allowed: bool, most: int, why: str | None) -> LineChoice:
        return LineChoice(l.id, l.package_id, l.sku, l.title, l.quantity, l.cancelled_quantity,
                          allowed, most if allowed else 0, why)

    whole = rules.seller_cancel_order(order)
    package_choices = tuple(package_choice(p, rules.seller_cancel_package(order, p)) for p in packages)
    item_lines = []
    for line in lines:
        v = rules.item_cancel(order, by_id[line.package_id], line)
        item_lines.append(line_choice(line, v.allowed, v.max_quantity or 0, v.why_not))
    items_reason = {}
    for reason in rules.reasons_for("seller"):
        v = rules.reason_fits("seller", reason, order.status, scope="items")
        items_reason[reason] = Choice(v.allowed, v.why_not)
    logistics = {action: tuple(package_choice(p, rules.logistics(action, order, p)) for p in packages)
                 for action in ("pack", "handover")}
    split_sources, split_lines = [], {}
    for p in packages:
        own = [l for l in lines if l.package_id == p.id]
        ok = p.status == "awaiting_shipment" and sum(l.quantity - l.cancelled_quantity for l in own) > 1
        split_sources.append(package_choice(p, Choice(ok, None if ok else SPLIT_WHY_NOT)))
        choices = []
        for line in own:
            live = line.quantity - line.cancelled_quantity
            v = rules.split_line(order, p, line, max(live, 1))
            allowed = v.allowed and live > 0
            choices.append(line_choice(line, allowed, live,
                                       v.why_not if not v.allowed else (None if live else "All units are cancelled.")))
        split_lines[p.id] = tuple(choices)

    def first_why(choices, otherwise: str) -> str | None:
        if any(c.allowed for c in choices):
            return None
        return next((c.why_not for c in choices if c.why_not), otherwise)

    can_cancel = whole.allowed or any(c.allowed for c in package_choices)
    actions = tuple(ActionChoice(action, label, why) for action, label, why in (
        ("cancel", ACTIONS["cancel"], None if can_cancel else whole.why_not),
        ("pack", ACTIONS["pack"], first_why(logistics["pack"], "Nothing to do.")),
        ("handover", ACTIONS["handover"], first_why(logistics["handover"], "Nothing to do.")),
        ("split", ACTIONS["split"], first_why(split_sources, "Nothing to split.")),
        ("details", ACTIONS["details"], None),
    ))
    return OrderSnapshot(
        order=head, packages=tuple(PackageRow(p.id, p.status, p.tracking_number) for p in packages), lines=rows,
        actions=actions, seller_reasons=rules.reasons_for("seller", order, packages),
        reject_reasons=rules.reasons_for("reject", order, packages), whole_order=Choice(whole.allowed, whole.why_not),
        package_choices=package_choices, item_lines=tuple(item_lines), items_reason=items_reason,
        logistics=logistics, split_sources=tuple(split_sources), split_lines=split_lines)


@dataclass(frozen=True, slots=True)
class CancelDraft:
    """The cancel wizard's choices so far, against the order as first read (`snap`)."""

    shop: str
    snap: OrderSnapshot
    idempotency_key: str  # one per draft: a Submit sent twice cancels once
    reason: str | None = None
    scope: str | None = None  # order | package | items
    package_id: str | None = None
    items: Mapping[str, int] = field(default_factory=dict)

    @property
    def order_id(self) -> str:
        return self.snap.order.id

    @property
    def preview(self) -> CancelPreview:
        return self.snap.preview(self.scope, package_id=self.package_id,
                                 items=self.items if self.scope == "items" else None)


def order_version(session: Session, order_id: str) -> int | None:
    """The order's version now (None: gone): has it changed since it was read?"""
    return session.exec(select(Order.version).where(Order.id == order_id)).first()
