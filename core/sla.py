"""The SLA clock in SQL: which orders reach one of their deadlines (core.rules,
`sla_deadlines`) by a given time. One place for the settle scan (core.services, what
is due now) and the board (core.queries.board, what is due soon), so both find the same
orders; the rules decide each one again on the order itself.

Every condition is bounded on an index: an order is due for payment once created
before the time minus the shop's payment window (`ix_orders_shop_status_created`); a
package to pack once paid before the time minus the dispatch window (paid >= created,
so the same index bounds it: in a shop whose clock runs few orders that old are still
unpacked); a packed one once its order's ship_by is before the time
(`ix_orders_shop_status_ship_by`). The windows are the shop's, so callers give the
bounds per shop. The EXISTS probes (`ix_packages_order_id`) keep out Partially Shipping
orders whose waiting package is of the other kind.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, and_, exists, literal_column, or_

from core.models import Order, Package

UNPAID = ("unpaid",)
UNPACKED = ("on_hold", "awaiting_shipment", "partially_shipping")  # may hold a package to pack
UNCOLLECTED = ("awaiting_shipment", "awaiting_collection", "partially_shipping")  # ...or one packed


def constant(word: str):
    """A status (or other fixed word) written into the SQL rather than bound: the
    statement is the same text every time (no list of parameters to expand per run) and
    PostgreSQL plans it with its statistics for that status even once it is prepared."""
    assert word.replace("_", "").isalnum(), word
    return literal_column(f"'{word}'", String)


def status_is(*statuses: str):
    """`Order.status` is one of `statuses` (constants, `constant`)."""
    if len(statuses) == 1:
        return Order.status == constant(statuses[0])
    return Order.status.in_([constant(s) for s in statuses])


def clocked(*conditions):
    """The conditions, for orders whose SLA clock runs here (models.Order.sla_clock)."""
    return and_(Order.sla_clock.is_(True), *conditions)


def waiting(status: str):
    """The order has a package in `status`."""
    return exists().where(Package.order_id == Order.id, Package.status == constant(status))


def unpaid_by(created_before):
    """Unpaid, created by `created_before` (the time minus the shop's payment window)."""
    return clocked(status_is(*UNPAID), Order.created_at <= created_before)


def unpacked_by(paid_before):
    """A package to pack, paid by `paid_before` (the time minus the shop's dispatch window)."""
    return clocked(status_is(*UNPACKED), Order.created_at <= paid_before,
                   Order.paid_at <= paid_before, waiting("awaiting_shipment"))


def uncollected_by(when):
    """A packed package, its order's ship-by by `when`."""
    return clocked(status_is(*UNCOLLECTED), Order.ship_by <= when, waiting("awaiting_collection"))


def to_ship_due_by(pack_within_hours: int, when: datetime):
    """An order of a shop with this dispatch window that has a package to pack or to hand
    over whose deadline is by `when` (the board's "due soon")."""
    return or_(unpacked_by(when - timedelta(hours=pack_within_hours)), uncollected_by(when))
