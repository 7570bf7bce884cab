"""The buyer app's read models (seed 000): the Profile, Your orders by tab, the Inbox and
one order. Every query here takes `(session, now)` first and the rest by keyword, so a
screen hands `functools.partial(query, ...)` to `tui.work.read`.

Your orders and the Profile read a few set-wise statements (not one order at a time):
a buyer with a thousand orders costs the same four round trips as one with three.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from core import refunds, rules
from core.models import Buyer, Cancellation, Notification, Order, OrderLine
from core.queries.model import ReadModel
from core.queries.orders import BUYER_TABS, Notice, OrderView, read_notices, read_order

REFUNDED = ("success", "complete")  # a cancellation whose refund was paid


def tab_counts(statuses: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """How many orders each "Your orders" tab holds, from the count of each status."""
    return tuple((tab, sum(statuses.get(s, 0) for s in members)) for tab, members in BUYER_TABS.items())


@dataclass(frozen=True, slots=True)
class BuyerProfile(ReadModel):
    username: str
    name: str
    address: str
    refusals: int  # deliveries refused: sellers see a caution mark
    tabs: tuple[tuple[str, int], ...]  # (tab, orders in it)
    unread: int  # notifications not read yet


@dataclass(frozen=True, slots=True)
class OrderRow(ReadModel):
    """One order in Your orders."""

    id: str
    status: str
    status_text: str
    currency: str
    total: int
    refunded: int
    request_pending: bool
    items: tuple[tuple[int, str], ...]  # (quantity, title)


@dataclass(frozen=True, slots=True)
class YourOrders(ReadModel):
    rows: tuple[OrderRow, ...]  # every tab's, newest first

    def in_tab(self, tab: str) -> tuple[OrderRow, ...]:
        return tuple(row for row in self.rows if row.status in BUYER_TABS[tab])

    def count(self, tab: str) -> int:
        return len(self.in_tab(tab))


@dataclass(frozen=True, slots=True)
class Inbox(ReadModel):
    notices: tuple[Notice, ...]  # newest first

    @property
    def unread(self) -> int:
        return sum(1 for notice in self.notices if not notice.read)


def profile(session: Session, now: datetime, *, username: str) -> BuyerProfile | None:
    buyer = session.exec(select(Buyer).where(Buyer.username == username)).first()
    if buyer is None:
        return None
    statuses = dict(session.exec(select(Order.status, func.count()).where(Order.buyer_id == buyer.id)
                                 .group_by(Order.status)).all())
    unread = session.exec(select(func.count()).select_from(Notification).where(
        Notification.buyer_id == buyer.id, Notification.read_at.is_(None))).one()
    return BuyerProfile(buyer.username, buyer.name, buyer.address, buyer.refusal_count,
                        tab_counts(statuses), unread)


def your_orders(session: Session, now: datetime, *, username: str, limit: int = 1000) -> YourOrders:
    """The buyer's orders, newest first, with what each row of Your orders shows."""
    orders = session.exec(select(Order).join(Buyer, Buyer.id == Order.buyer_id)
                          .where(Buyer.username == username)
                          .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    ids = [order.id for order in orders]
    lines, refunded, pending = defaultdict(list), defaultdict(int), set()
    if ids:
        for line in session.exec(select(OrderLine).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.id)):
            lines[line.order_id].append(line)
        for order_id, status, refund in session.exec(
                select(Cancellation.order_id, Cancellation.status, Cancellation.refund_total)
                .where(Cancellation.order_id.in_(ids))):
            if status in REFUNDED:
                refunded[order_id] += refund
            elif status == "request_pending":
                pending.add(order_id)
    return YourOrders(tuple(
        OrderRow(o.id, o.status, rules.STATUS_LABELS[o.status], o.currency,
                 refunds.order_totals(o, lines[o.id])["total"], refunded[o.id], o.id in pending,
                 tuple((line.quantity, line.title) for line in lines[o.id]))
        for o in orders))


def inbox(session: Session, now: datetime, *, username: str) -> Inbox:
    return Inbox(tuple(read_notices(session, username)))


def order(session: Session, now: datetime, *, order_id: str, app_version: str | None = None) -> OrderView | None:
    """One order as the buyer's app of `app_version` sees it (core.queries.orders.read_order)."""
    return read_order(session, order_id, now, app_version=app_version)
