"""The seller's To Ship board: read models that page from SQL (seed 003, issue 4).

Paging is by keyset on (created_at, id), newest first, over the indexes
`ix_orders_shop_status_created` (one status) and `ix_orders_shop_created` (every
status); To Ship by default on (ship_by, id), the most urgent first (issue 15), over
`ix_orders_shop_status_ship_by`. A tab with several statuses asks each status for one
page from its own index range and merges them, so no query sorts more than a page,
whichever page it is and however many orders the shop has. (Every To Ship order is
paid, so it has a ship-by.) To Ship's "due soon" filter keeps the orders whose SLA
deadline (core.sla) is within rules.SLA_AMBER. A page of cards is then loaded in
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
from types import SimpleNamespace

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, select

from core import refunds, rules, sla, words
from core.queries.cards import (
    PAGE, REFUNDED, TAB_STATUSES, BoardCounts, BoardFilter, BoardShop, ClaimCard, Key, LineCard, OrderCard,
    PackageCard,
)
from core.results import Refused
from core.state import OrderState, load_order
from core.models import Buyer, Cancellation, Order, OrderLine, Package, PackageClaim, Product, Shop

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


def _due_soon(session: Session, shop_id: int, now: datetime):
    """To Ship's "due soon": an SLA deadline within rules.SLA_AMBER of `now` (or past)."""
    pack_within = session.exec(select(Shop.pack_within_hours).where(Shop.id == shop_id)).one()
    return sla.to_ship_due_by(pack_within, now + rules.SLA_AMBER)


def counts(session: Session, shop_id: int, now: datetime | None = None, skus: Iterable[str] = ()) -> BoardCounts:
    """Orders per status and per tab, the pending buyer requests, and (given `now`) the To
    Ship orders due soon. All the shop's orders (one pass over its index range), or with
    the product filter on only those the board shows: with a line of one of `skus` (from
    those lines up, on `ix_order_lines_sku_order`, so a narrow filter counts few rows). The
    requests are the shop's, whatever the filter: the seller answers every one."""
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
    due = select(func.count()).select_from(Order).where(
        Order.shop_id == shop_id, Order.status.in_(TAB_STATUSES["to_ship"]))
    if skus:
        due = due.where(exists().where(OrderLine.order_id == Order.id, OrderLine.sku.in_(sorted(skus))))
    due_soon = 0 if now is None else session.exec(due.where(_due_soon(session, shop_id, now))).one()
    return BoardCounts(by_status, by_tab, requests, due_soon)


# -- paging -----------------------------------------------------------------------
def _keys(session: Session, flt: BoardFilter, status: str | None, *, after: Key | None,
          before: Key | None, limit: int, inclusive: bool = False, due=None) -> list[Key]:
    """One status's keys in the board's order: newest first by (created_at, id), or, when
    the filter is `urgent`, by (ship_by, id) the earliest first."""
    column = Order.ship_by if flt.urgent else Order.created_at
    query = select(column, Order.id).where(Order.shop_id == flt.shop_id)
    if status is not None:
        query = query.where(Order.status == status)
    if flt.urgent:
        query = query.where(Order.ship_by.is_not(None))
    if due is not None:
        query = query.where(due)
    if flt.skus:
        query = query.where(exists().where(OrderLine.order_id == Order.id,
                                           OrderLine.sku.in_(sorted(flt.skus))))
    forward = (column.asc(), Order.id.asc()) if flt.urgent else (column.desc(), Order.id.desc())
    backward = (column.desc(), Order.id.desc()) if flt.urgent else (column.asc(), Order.id.asc())

    def beyond(key: Key, *, ahead: bool, same_too: bool = False):
        later = ahead == flt.urgent  # the board's next cards have a later (urgent) or earlier key
        same = (Order.id >= key[1] if same_too else Order.id > key[1]) if later else \
            (Order.id <= key[1] if same_too else Order.id < key[1])
        return or_(column > key[0] if later else column < key[0], and_(column == key[0], same))

    if after is not None:
        query = query.where(beyond(after, ahead=True, same_too=inclusive))
    elif before is not None:
        rows = session.exec(query.where(beyond(before, ahead=False)).order_by(*backward).limit(limit)).all()
        return [tuple(r) for r in reversed(rows)]
    return [tuple(r) for r in session.exec(query.order_by(*forward).limit(limit)).all()]


def page_keys(session: Session, flt: BoardFilter, *, after: Key | None = None,
              before: Key | None = None, at: Key | None = None, limit: int = PAGE,
              now: datetime | None = None) -> list[Key]:
    """The keys of one page in the board's order: the `limit` cards after `after` (or
    from `at` on, or just before `before`, or from the top). `now`: for "due soon"."""
    inclusive = at is not None
    after = at if inclusive else after
    due = _due_soon(session, flt.shop_id, now) if flt.due_soon and now is not None else None
    statuses = flt.statuses
    if statuses is None:
        return _keys(session, flt, None, after=after, before=before, limit=limit, inclusive=inclusive)
    parts = [_keys(session, flt, s, after=after, before=before, limit=limit, inclusive=inclusive, due=due)
             for s in statuses]
    merged = list(heapq.merge(*parts, reverse=not flt.urgent))
    return merged[-limit:] if before is not None else merged[:limit]


def page(session: Session, flt: BoardFilter, *, after: Key | None = None,
         before: Key | None = None, at: Key | None = None, limit: int = PAGE,
         now: datetime | None = None) -> list[OrderCard]:
    """One page of cards (see `page_keys`)."""
    keys = page_keys(session, flt, after=after, before=before, at=at, limit=limit, now=now)
    return load_cards(session, [k[1] for k in keys], urgent=flt.urgent)


def load_cards(session: Session, order_ids: Iterable[str], *, urgent: bool = False) -> list[OrderCard]:
    """Cards for these orders, in this order, in three queries (orders with their
    buyer, refunded sum, pending request and shop's SLA windows; packages; lines), as
    plain rows; each with its next SLA deadline (rules.sla_deadlines). `urgent`: their
    keys are (ship_by, id)."""
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
               request.c.id, request.c.deadline_at,
               Order.paid_at, Order.sla_clock, Shop.pay_within_hours, Shop.pack_within_hours)
        .join(Buyer, Buyer.id == Order.buyer_id).join(Shop, Shop.id == Order.shop_id)
        .outerjoin(request, and_(request.c.order_id == Order.id, request.c.status == "request_pending"))
        .where(Order.id.in_(order_ids))).all()
    packages = session.exec(select(Package.order_id, Package.id, Package.status, Package.tracking_number,
                                   PackageClaim.station, PackageClaim.active_at)
                            .outerjoin(PackageClaim, PackageClaim.package_id == Package.id)
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
    for order_id, package_id, status, tracking, station, active_at in packages:
        own = tuple(LineCard(l.id, l.sku, l.title, l.quantity, l.cancelled_quantity)
                    for l in lines_of.get(order_id, ()) if l.package_id == package_id)
        claim = ClaimCard(station, active_at) if station is not None else None
        packages_of.setdefault(order_id, []).append(PackageCard(package_id, status, tracking, own, claim))
    cards = {}
    for r in rows:
        if r[0] in cards:
            continue
        total = refunds.order_totals(r, lines_of.get(r.id, ()))["total"]  # rows carry the fields it reads
        own = tuple(packages_of.get(r[0], ()))
        deadline = next(iter(rules.sla_deadlines(
            r, SimpleNamespace(pay_within_hours=r.pay_within_hours, pack_within_hours=r.pack_within_hours),
            own)), None)
        cards[r[0]] = OrderCard(
            id=r[0], status=r[1], created_at=r[2], ship_by=r[3], buyer=r[10], buyer_name=r[11],
            buyer_refusals=r[12], currency=r[4], total=total, refunded=r[13] or 0, version=r[5],
            packages=own, request_id=r[14], request_deadline=r[15],
            auto_cancel_at=deadline and deadline.at, auto_cancel_reason=deadline and deadline.reason,
            urgent=urgent)
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


# -- one order for the action menu, the cancel wizard, split, pack ---------------------
ACTIONS = {  # the order card's action menu (seed 003), in its order
    "cancel": "Cancel order",
    "pack": "Pack",
    "handover": "Hand over to carrier",
    "deliver": "Mark delivered",
    "receive_return": "Receive returned package",
    "split": "Split into packages",
    "details": "Details",
}
MOVES = ("pack", "handover", "deliver", "receive_return")  # the logistics actions (rules.logistics)
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
    logistics: Mapping[str, tuple[PackageChoice, ...]]  # MOVES -> packages
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
                 for action in MOVES}
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
        *((move, ACTIONS[move], first_why(logistics[move], "Nothing to do.")) for move in MOVES[1:]),
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
