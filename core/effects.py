"""What a cancellation writes, in one place (DOMAIN.md, "Effects of a successful
cancellation"): cancelled quantities, package and order status, the refund record and
its lines, stock, the buyer's notification, the customer email and the audit event;
and what opening, rejecting and auto-approving a request and refusing a delivery write.

Pure functions: from an order's state (anything shaped like `core.state.OrderState`:
`order`, `shop`, `buyer`, `packages`, `lines`, `pending`) and what happens, they compute
`Writes` (rows to update by id, rows to insert, stock and refusal-count increments) and
touch no database. Three writers use them, so the app, the demo and synthetic data
write the same rows (tests/core/test_effects.py proves it row by row):
- `core.services` executes them with SQLAlchemy Core (`services._write`: one statement
  per table and kind, executemany) and tells the loaded objects the new values, no re-read;
- `core.demo` replays its fixtures' history through `core.services`;
- `core.synthetic` applies the updates to its in-memory order (`apply`) and adds the
  inserts to its bulk rows.

Times: `now` is a datetime (the app) or epoch seconds (synthetic's replay); the functions
only compare times and add durations to them (`later`), so either works.
Decisions where the spec is silent: the shipping note in the email is there when the order
is not cancelled whole (shipping is refunded then; the refund review says the same); the
return window runs from the last delivered package, however the order became Delivered.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core import refunds, rules, words
from core.money import format_money

_DAY = timedelta(days=1)


def later(when, duration: timedelta):
    """`when + duration`, for a datetime or for epoch seconds."""
    return when + duration if isinstance(when, datetime) else when + int(duration.total_seconds())


def fingerprint(**request) -> str:
    """What a cancellation command asks for (actor, scope, reason, package, items),
    kept with its idempotency key so that a key reused for something else is caught."""
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:32]


@functools.cache
def buyer_asked(reason: str) -> str:
    """The fingerprint of a buyer's cancel or request (always the whole order)."""
    return fingerprint(actor="buyer", scope="order", reason=reason)


def seller_asked(scope: str, reason: str, package_id: str | None = None,
                 items: Mapping[str, int] | None = None) -> str:
    """The fingerprint of a seller's cancellation (order, package or items)."""
    if not items:
        return _seller_asked(scope, reason, package_id)
    return fingerprint(actor="seller", scope=scope, reason=reason, package_id=package_id,
                       items=dict(sorted((items or {}).items())))


@functools.lru_cache(maxsize=1024)
def _seller_asked(scope: str, reason: str, package_id: str | None) -> str:
    return fingerprint(actor="seller", scope=scope, reason=reason, package_id=package_id, items={})


@dataclass(slots=True)
class Writes:
    """Rows to write: `updates[table][row id]` = the changed columns, `inserts[table]` =
    new rows (parents first), `restock[product id]` = units back in stock,
    `refusals[buyer id]` = refused deliveries to add. Increments, not values, so two
    stations changing the same product or buyer at once never lose a change."""

    updates: dict[str, dict[object, dict]] = field(default_factory=dict)
    inserts: dict[str, list[dict]] = field(default_factory=dict)
    restock: dict[int, int] = field(default_factory=dict)
    refusals: dict[int, int] = field(default_factory=dict)

    def update(self, table: str, row_id, **values) -> None:
        self.updates.setdefault(table, {}).setdefault(row_id, {}).update(values)

    def insert(self, table: str, **row) -> None:
        self.inserts.setdefault(table, []).append(row)

    def add(self, other: Writes) -> Writes:
        """`other` after these (later values win)."""
        for table, rows in other.updates.items():
            for row_id, values in rows.items():
                self.update(table, row_id, **values)
        for table, rows in other.inserts.items():
            self.inserts.setdefault(table, []).extend(rows)
        for into, more in ((self.restock, other.restock), (self.refusals, other.refusals)):
            for key, n in more.items():
                into[key] = into.get(key, 0) + n
        return self


def apply(state, writes: Writes, assign=setattr) -> None:
    """Give the state's objects their new values (`assign(object, column, value)`), so a
    caller goes on from the new state without reading it again. A request that is no
    longer pending stops being `state.pending`."""
    for table, rows in writes.updates.items():
        for row_id, values in rows.items():
            target = _loaded(state, table, row_id)
            if target is not None:
                for column, value in values.items():
                    assign(target, column, value)
    if state.pending is not None and state.pending.status != "request_pending":
        state.pending = None


def _loaded(state, table: str, row_id):
    """The state's object for a row, if it holds one."""
    if table == "orders":
        return state.order
    if table == "cancellations":
        return state.pending if state.pending is not None and state.pending.id == row_id else None
    found = state.packages if table == "packages" else state.lines if table == "order_lines" else ()
    return next((row for row in found if row.id == row_id), None)


# -- the order --------------------------------------------------------------------
def order_touched(state, now, package_status: Mapping[str, str] | None = None,
                  completed: bool | None = None) -> dict:
    """The order's status re-derived from its packages (with `package_status`'s changes),
    its version bumped, and, once Delivered, when it completes."""
    order = state.order
    statuses = {p.id: p.status for p in state.packages}
    statuses.update(package_status or {})
    status = rules.derive_order_status(
        statuses.values(), paid=order.paid_at is not None,
        on_hold=order.hold_until is not None and now < order.hold_until,
        completed=order.completed_at is not None if completed is None else completed)
    changes = {"status": status, "version": order.version + 1, "updated_at": now}
    if status == "delivered":
        last = max((p.delivered_at for p in state.packages
                    if statuses[p.id] == "delivered" and p.delivered_at is not None), default=now)
        changes["completes_at"] = later(last, state.shop.return_window_days * _DAY)
    return changes


def event(writes: Writes, order_id: str, now, actor: str, kind: str, **detail) -> None:
    writes.insert("order_events", order_id=order_id, at=now, actor=actor, kind=kind,
                  detail=json.dumps(detail, sort_keys=True))


def notification(writes: Writes, state, now, title: str, body: str,
                 cancellation_id: str | None = None) -> None:
    writes.insert("notifications", buyer_id=state.buyer.id, order_id=state.order.id,
                  cancellation_id=cancellation_id, title=title, body=body, created_at=now,
                  read_at=None)


# -- cancellations -------------------------------------------------------------------
def cancellation(state, refund: refunds.RefundBreakdown, *, now, role: str, scope: str,
                 reason: str, actor: str, cancellation_id: str, package_id: str | None = None,
                 request=None, idempotency_key: str | None = None,
                 asked: str | None = None) -> Writes:
    """Everything a successful cancellation of `refund.lines`' units writes. `request`:
    the buyer's pending request this cancellation answers (its record becomes the
    cancellation's); otherwise a new record `cancellation_id`. A pending request left with
    nothing to ask for (the order is now cancelled whole) is closed."""
    order, writes = state.order, Writes()
    figures = {"status": "success", "updated_at": now, "refund_subtotal": refund.subtotal,
               "refund_shipping": refund.shipping, "refund_tax": refund.tax,
               "refund_total": refund.total}
    if request is not None:
        cancellation_id = request.id
        writes.update("cancellations", cancellation_id, **figures)
    else:
        writes.insert("cancellations", id=cancellation_id, order_id=order.id,
                      type="buyer_cancel" if role == "buyer" else "cancel", role=role, scope=scope,
                      package_id=package_id, reason=reason, reject_reason=None,
                      idempotency_key=idempotency_key, request_fingerprint=asked,
                      created_at=now, deadline_at=None, **figures)
    lines = {line.id: line for line in state.lines}
    cancelled = {}
    for part in refund.lines:
        line = lines[part.line_id]
        cancelled[line.id] = line.cancelled_quantity + part.quantity
        writes.update("order_lines", line.id, cancelled_quantity=cancelled[line.id])
        writes.insert("cancellation_lines", cancellation_id=cancellation_id, line_id=line.id,
                      quantity=part.quantity, refund_subtotal=part.subtotal, refund_tax=part.tax)
        if reason != "out_of_stock" and line.product_id is not None:  # units go back (DOMAIN.md)
            writes.restock[line.product_id] = writes.restock.get(line.product_id, 0) + part.quantity
    package_status = {}
    for package in state.packages:
        if package.status != "cancelled" and all(
                cancelled.get(line.id, line.cancelled_quantity) == line.quantity
                for line in state.lines if line.package_id == package.id):
            package_status[package.id] = "cancelled"
            writes.update("packages", package.id, status="cancelled")
    touched = order_touched(state, now, package_status)
    writes.update("orders", order.id, **touched)
    whole = touched["status"] == "cancelled"
    pending = state.pending
    if whole and pending is not None and pending.id != cancellation_id:  # nothing left to ask for
        writes.update("cancellations", pending.id, status="closed", updated_at=now)

    units = {part.line_id: part.quantity for part in refund.lines}
    left = rules.left_after(state.packages, state.lines, units)
    what = "Your order was cancelled" if whole else "Some items in your order were cancelled"
    money = format_money(refund.total, order.currency)
    notification(writes, state, now, words.cancelled_words(sum(units.values()), left),
                 f"{what} ({rules.REASON_TEXT[reason]}). A refund of {money} goes back to your "
                 "original payment method.", cancellation_id)
    writes.insert("outbox_emails", order_id=order.id, cancellation_id=cancellation_id,
                  message_id=f"<{cancellation_id}@orderdesk>", to_address=state.buyer.email,
                  subject=f"{what}: order {order.id}",
                  body=email_body(state, refund, role=role, reason=reason, whole=whole),
                  status="pending", attempts=0, last_error=None, created_at=now, sent_at=None)
    event(writes, order.id, now, actor, "cancelled", cancellation_id=cancellation_id, scope=scope,
          reason=reason, refund_total=refund.total, units=sum(units.values()),
          left_to_ship=left.to_ship, left_shipped=left.shipped)
    return writes


def email_body(state, refund: refunds.RefundBreakdown, *, role: str, reason: str,
               whole: bool) -> str:
    """The customer email: what was cancelled and refunded and, when the order is not
    cancelled whole, what is still coming (each product's units left, with whether they
    are still to ship or already shipped)."""
    cur = state.order.currency
    lines = {line.id: line for line in state.lines}
    cancelling = {part.line_id: part.quantity for part in refund.lines}
    rows = [f"  {part.quantity} x {lines[part.line_id].title} ({lines[part.line_id].sku}): "
            f"{format_money(part.total, cur)}" for part in refund.lines]
    still = {}  # (title, sku, shipped): units, a product's lines in several packages said once
    for line, live, shipped in rules.still_live(state.packages, state.lines, cancelling):
        key = (line.title, line.sku, shipped)
        still[key] = still.get(key, 0) + live
    coming = [f"  {live} x {title} ({sku}): {'already shipped' if shipped else 'still to ship'}"
              for (title, sku, shipped), live in still.items()]
    return "\n".join([
        f"Hello {state.buyer.name},",
        "",
        f"{state.shop.name} cancelled the following from your order {state.order.id}:"
        if role != "buyer" else f"As you asked, we cancelled your order {state.order.id}:",
        *rows,
        "",
        *(["Still coming to you:", *coming, ""] if coming else []),
        f"Reason: {rules.REASON_TEXT[reason]}",
        (f"Refund: {format_money(refund.total, cur)} (items {format_money(refund.subtotal, cur)}, "
         f"shipping {format_money(refund.shipping, cur)}, tax {format_money(refund.tax, cur)})"),
        "" if whole else refunds.SHIPPING_NOTE,
        "The refund goes back to your original payment method.",
        "",
        f"{state.shop.name}",
    ])


def auto_approval(state, request, refund: refunds.RefundBreakdown, *, now) -> Writes:
    """Time approves an unanswered request at its deadline: the system cancels the whole
    order with the buyer's reason and says why."""
    writes = cancellation(state, refund, now=now, role="buyer", scope="order",
                          reason=request.reason, actor="system", cancellation_id=request.id,
                          request=request)
    event(writes, state.order.id, now, "system", "request_auto_approved",
          cancellation_id=request.id, reason="seller_no_response")
    return writes


# -- requests -----------------------------------------------------------------------
def request_opened(state, *, request_id: str, reason: str, now, idempotency_key: str | None = None,
                   asked: str | None = None) -> Writes:
    """The buyer asks the seller to cancel ("Contact seller"); the seller has
    rules.REQUEST_DEADLINE to answer."""
    writes = Writes()
    writes.insert("cancellations", id=request_id, order_id=state.order.id, type="buyer_cancel",
                  role="buyer", scope="order", package_id=None, reason=reason,
                  status="request_pending", reject_reason=None, refund_subtotal=0,
                  refund_shipping=0, refund_tax=0, refund_total=0, idempotency_key=idempotency_key,
                  request_fingerprint=asked, created_at=now, updated_at=now,
                  deadline_at=later(now, rules.REQUEST_DEADLINE))
    writes.update("orders", state.order.id, **order_touched(state, now))
    event(writes, state.order.id, now, "buyer", "cancellation_requested", cancellation_id=request_id,
          reason=reason)
    return writes


def request_closed(state, request, reject_reason: str, *, now, actor: str) -> Writes:
    """The request is rejected (by the seller, or by the system when the order ships);
    the buyer is told why."""
    writes = Writes()
    writes.update("cancellations", request.id, status="closed", reject_reason=reject_reason,
                  updated_at=now)
    writes.update("orders", state.order.id, **order_touched(state, now))
    event(writes, state.order.id, now, actor, "request_rejected", cancellation_id=request.id,
          reason=reject_reason)
    notification(writes, state, now, "Cancellation request declined",
                 f"Your request to cancel order {state.order.id} was declined: "
                 f"{rules.REASON_TEXT[reject_reason]}.", request.id)
    return writes


# -- delivery refused -----------------------------------------------------------------
def delivery_refused(state, package, *, now) -> Writes:
    """Seed 000: the buyer refuses the package at the door; it goes back, and the buyer's
    refusal count (the seller's caution mark) goes up."""
    writes = Writes()
    writes.update("packages", package.id, status="returned", returned_at=now)
    writes.refusals[state.buyer.id] = 1
    writes.update("orders", state.order.id,
                  **order_touched(state, now, {package.id: "returned"}))
    event(writes, state.order.id, now, "buyer", "delivery_refused", package_id=package.id)
    notification(writes, state, now, "Delivery refused",
                 f"You refused package {package.id}. When it is back with the seller, its items "
                 "are cancelled and refunded.")
    return writes
