"""Commands: each one transaction that either does everything or nothing.

Every command takes plain arguments (IDs, keys, quantities, `now`) and returns a
`Success` with its record or a `Refusal` with a stable code and a message a
person can act on. The order row is locked first (SELECT ... FOR UPDATE on
PostgreSQL; BEGIN IMMEDIATE on SQLite), then the rules are asked, then the
effects are written together: `core.effects` computes them (the same rows the demo
and synthetic data write) and `_write` writes them with SQLAlchemy Core, a statement per
table and kind, no ORM flush and no re-read.

Concurrency: callers that drew a screen pass the `expected_version` they saw. If
the order changed since, the rules are asked again: when they no longer allow the
action the answer is "Cancellation of order failed" (code `cancellation_failed`)
with what happened; when they do but the refund differs from the one the seller
reviewed (`expected_refund`), the answer is `conflict`, never a silent other figure.

Idempotency: a cancellation command given a key that was used before returns the
first result and changes nothing (a retry after a lost response never cancels twice).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, literal_column, true, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, select

from core import effects, refunds, rules, sla
from core.clock import advanced, current_time, set_stored_clock
from core.db import Database, pipeline
from core.effects import fingerprint  # noqa: F401  (the name callers know)
from core.ids import new_id
from core.models import (
    Buyer, Cancellation, Notification, Order, OrderEvent, OrderLine, Package, PackageClaim, Product, Shop,
)
from core.money import format_money
from core.results import Refusal, Refused, Result, Success
from core.state import OrderState, cancellation_dict, cancellation_view, load_order
from core.words import plural


def command(fn=None, *, settles: bool = True):
    """Run `fn(session, ...)` as one write transaction; `Refused` rolls it back.

    A command that `settles` first lets time do its work (`settle`) in the same
    transaction, so it sees holds ended and overdue requests approved; when the
    command is refused, that is rolled back too and the database is unchanged."""
    if fn is None:
        return functools.partial(command, settles=settles)

    @functools.wraps(fn)
    def run(db: Database, *args, **kwargs) -> Result:
        try:
            with db.write() as session:
                if settles and kwargs.get("now") is not None:
                    settle(session, kwargs["now"])
                out = fn(session, *args, **kwargs)
        except Refused as refused:
            return refused.refusal
        except IntegrityError as exc:
            if "idempotency_key" in str(exc):
                return Refusal("idempotency_key_reused",
                               "That idempotency key was already used for another order. "
                               "Use a new key for a new cancellation.")
            raise
        return out if isinstance(out, Success) else Success(out)

    return run


def _check_buyer(state: OrderState, user: str | None) -> None:
    """CONTRACT.md: a buyer can never act on someone else's order."""
    if user is not None and user != state.buyer.username:
        raise Refused("forbidden", f"Order {state.order.id} is not {user}'s order; "
                      "a buyer can only act on their own orders.")


def _check_shop(state: OrderState, shop: str | None) -> None:
    if shop is not None and shop != state.shop.name:
        raise Refused("forbidden", f"Order {state.order.id} belongs to another shop; "
                      f"{shop} can only act on its own orders.")


def _refuse(state: OrderState, verdict: rules.Verdict, expected_version: int | None) -> Refused:
    """A refusal; seed 000's "Cancellation of order failed" when the order moved on."""
    if expected_version is not None and expected_version != state.order.version:
        return Refused(
            "cancellation_failed",
            f"Cancellation of order failed: the order changed since you opened it and is now "
            f"{rules.STATUS_LABELS[state.order.status]}. {verdict.why_not}",
            status=state.order.status, version=state.order.version, next_step=verdict.next_step,
        )
    return Refused(verdict.code, verdict.why_not, status=state.order.status, next_step=verdict.next_step)


def _require(state: OrderState, verdict: rules.Verdict, expected_version: int | None = None) -> None:
    if not verdict.allowed:
        raise _refuse(state, verdict, expected_version)


def _require_reason(state: OrderState, actor: str, reason: str, scope: str = "order") -> None:
    verdict = rules.reason_fits(actor, reason, state.order.status, scope=scope)
    if not verdict.allowed:
        raise Refused(verdict.code, verdict.why_not)


def _replay(session: Session, key: str | None, order_id: str, asked: str) -> Success | None:
    """The first result when `key` was used before for this same request."""
    if key is None:
        return None
    earlier = session.exec(select(Cancellation).where(Cancellation.idempotency_key == key)).first()
    if earlier is None:
        return None
    if earlier.order_id != order_id:
        raise Refused("idempotency_key_reused", "That idempotency key was already used for "
                      f"order {earlier.order_id}. Use a new key for a new cancellation.")
    if earlier.request_fingerprint not in (None, asked):  # None: made before fingerprints
        raise Refused("idempotency_key_reused", "That idempotency key was already used for a "
                      f"different cancellation of this order ({earlier.id}: {earlier.scope}, "
                      f"{rules.REASON_TEXT.get(earlier.reason, earlier.reason)}, as {earlier.role}). "
                      "Use a new key for a new cancellation.", cancellation_id=earlier.id)
    return Success(cancellation_view(session, earlier), "This cancellation was already done.",
                   replayed=True)


def _event(session: Session, order: Order, now: datetime, actor: str, kind: str, **detail) -> None:
    session.add(OrderEvent(order_id=order.id, at=now, actor=actor, kind=kind,
                           detail=json.dumps(detail, sort_keys=True)))


def _touch(state: OrderState, now: datetime) -> None:
    """Re-derive the order's status from its packages and bump its version
    (for the commands that change the loaded objects themselves)."""
    for column, value in effects.order_touched(state, now).items():
        setattr(state.order, column, value)


# -- writing effects -------------------------------------------------------------
_TABLES = SQLModel.metadata.tables
_INSERTED_FIRST = ("cancellations",)  # parents of the other inserted rows


@functools.cache
def _sql(kind: str, table: str, columns: tuple[str, ...], marker: str) -> str:
    if kind == "insert":
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    if kind == "update":
        return f"UPDATE {table} SET {', '.join(f'{c} = {marker}' for c in columns)} WHERE id = {marker}"
    # an increment, in the database itself, so two stations changing the same product's
    # stock (or buyer's refusal count) at once never lose one of the changes
    return f"UPDATE {table} SET {columns[0]} = {columns[0]} + {marker} WHERE id = {marker}"


@functools.cache
def _binders(dialect, table: str, columns: tuple[str, ...]) -> tuple:
    """Per column, how the dialect stores a value (e.g. SQLite's text for a time), or None."""
    return tuple(_TABLES[table].c[c].type.dialect_impl(dialect).bind_processor(dialect)
                 for c in columns)


def statements(writes: effects.Writes, dialect) -> list[tuple[str, list[tuple]]]:
    """The SQL and parameters that write `writes`, in order (parents first): one statement
    per table and set of columns, executemany. Plain SQL with the dialect's own
    conversions, since SQLAlchemy's per-statement work costs more than a short statement
    itself on SQLite (bench/core_throughput.py runs the same statements on raw sqlite3)."""
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    out = []

    def add(kind, table, columns, rows):
        binders = _binders(dialect, table, columns if kind != "increment" else ())
        if any(binders):
            rows = [tuple(bind(v) if bind is not None and v is not None else v
                          for bind, v in zip(binders, row)) + row[len(binders):] for row in rows]
        out.append((_sql(kind, table, columns, marker), rows))

    def inserts(table):
        if rows := writes.inserts.get(table):
            columns = tuple(rows[0])
            add("insert", table, columns, [tuple(row[c] for c in columns) for row in rows])

    for table in _INSERTED_FIRST:
        inserts(table)
    for table, rows in writes.updates.items():
        by_columns: dict[tuple, list[tuple]] = {}
        for row_id, values in rows.items():
            by_columns.setdefault(tuple(values), []).append((*values.values(), row_id))
        for columns, params in by_columns.items():
            add("update", table, columns, params)
    for table, column, more in (("products", "stock", writes.restock),
                                ("buyers", "refusal_count", writes.refusals)):
        if more:  # in id order: two stations lock rows in the same order, never a deadlock
            add("increment", table, (column,), [(n, key) for key, n in sorted(more.items())])
    for table in writes.inserts:
        if table not in _INSERTED_FIRST:
            inserts(table)
    return out


def _write(session: Session, state: OrderState | None, writes: effects.Writes) -> None:
    """Write `writes` in the caller's transaction (`statements`), then give the loaded
    objects their new values (not dirty, so nothing is written twice) instead of reading
    them back."""
    if session.new or session.dirty:  # what the command changed on the objects goes first
        session.flush()
    conn = session.connection()
    with pipeline(conn):
        for sql, rows in statements(writes, conn.dialect):
            conn.exec_driver_sql(sql, rows if len(rows) > 1 else rows[0])
    if state is not None:
        effects.apply(state, writes, assign=set_committed_value)


def _written_cancellation(writes: effects.Writes, record: Cancellation | None) -> dict:
    """The cancellation as `cancellation_view` shows it, from what was just written."""
    if record is None:
        record = SimpleNamespace(**writes.inserts["cancellations"][0])
    return cancellation_dict(record, [SimpleNamespace(**line)
                                      for line in writes.inserts.get("cancellation_lines", ())])


# -- the cancellation itself ---------------------------------------------------
def _cancel_units(session: Session, state: OrderState, quantities: Mapping[str, int], *,
                  now: datetime, role: str, scope: str, reason: str, actor: str,
                  idempotency_key: str | None = None, asked: str | None = None,
                  package_id: str | None = None, expected_refund: int | None = None,
                  record: Cancellation | None = None, auto_approved: bool = False) -> dict:
    """Every effect of a successful cancellation (core.effects), in the caller's
    transaction; returns the cancellation as `cancellation_view` shows it."""
    order = state.order
    refund = refunds.refund_for(order, state.lines, quantities)
    if expected_refund is not None and expected_refund != refund.total:
        raise Refused(
            "conflict",
            f"The order changed since you reviewed it: the refund is now "
            f"{format_money(refund.total, order.currency)}, not "
            f"{format_money(expected_refund, order.currency)}. Review the refund again.",
            refund=refund.as_dict(), version=order.version, status=order.status)
    if auto_approved:
        writes = effects.auto_approval(state, record, refund, now=now)
    else:
        writes = effects.cancellation(
            state, refund, now=now, role=role, scope=scope, reason=reason, actor=actor,
            cancellation_id=record.id if record is not None else new_id("cancellation"),
            package_id=package_id, request=record, idempotency_key=idempotency_key, asked=asked)
    _write(session, state, writes)
    return _written_cancellation(writes, record)


def _restock(session: Session, product_id: int, units: int) -> None:
    """Change stock in the database itself (stock = stock + units)."""
    _write(session, None, effects.Writes(restock={product_id: units}))


def _all_live_units(state: OrderState, package_id: str | None = None) -> dict[str, int]:
    return {line.id: line.quantity - line.cancelled_quantity for line in state.lines
            if line.quantity > line.cancelled_quantity
            and (package_id is None or line.package_id == package_id)}


def _requested_units(state: OrderState) -> dict[str, int]:
    """The units a buyer's request asks to cancel (rules.requested_packages)."""
    asked = {p.id for p in rules.requested_packages(state.order, state.packages)}
    return {line.id: line.quantity - line.cancelled_quantity for line in state.lines
            if line.quantity > line.cancelled_quantity and line.package_id in asked}


def _unknown_reason(reason: str, actor: str) -> None:
    if reason not in rules.REASON_TEXT:
        raise Refused("unknown_reason", f"There is no cancellation reason {reason!r}. "
                      f"Run `orderdesk reasons --as {actor}` to see the reasons.")


# -- buyer ----------------------------------------------------------------------
@command
def buyer_cancel(session: Session, order_id: str, reason: str, *, now: datetime,
                 user: str | None = None, app_version: str | None = None,
                 idempotency_key: str | None = None, expected_version: int | None = None):
    """Seed 000: Cancel → reason → Send. Whole order, at once, while it isn't packed;
    after the shop's auto-approve window it becomes a request instead."""
    _unknown_reason(reason, "buyer")
    state = load_order(session, order_id)
    _check_buyer(state, user)
    asked = effects.buyer_asked(reason)
    if replay := _replay(session, idempotency_key, order_id, asked):
        return replay
    try:
        verdict = rules.buyer_cancel(state.order, state.shop, now, packages=state.packages,
                                     app_version=app_version, request_pending=state.pending is not None)
    except ValueError as exc:
        raise Refused("bad_input", str(exc)) from None
    _require(state, verdict, expected_version)
    _require_reason(state, "buyer", reason)
    if verdict.mode == "request":
        return _open_request(session, state, reason, now=now, idempotency_key=idempotency_key,
                             asked=asked)
    view = _cancel_units(session, state, _all_live_units(state), now=now, role="buyer",
                         scope="order", reason=reason, actor="buyer",
                         idempotency_key=idempotency_key, asked=asked)
    return Success(view, "Order cancelled.")


def _open_request(session, state: OrderState, reason: str, *, now, idempotency_key, asked):
    writes = effects.request_opened(state, request_id=new_id("cancellation"), reason=reason,
                                    now=now, idempotency_key=idempotency_key, asked=asked)
    _write(session, state, writes)
    return Success(_written_cancellation(writes, None),
                   "Cancellation requested: the seller has 24 hours to answer.")


@command
def request_cancellation(session: Session, order_id: str, reason: str, *, now: datetime,
                         user: str | None = None, idempotency_key: str | None = None,
                         expected_version: int | None = None):
    """Seed 000: a packed order can only be cancelled by asking the seller ("Contact seller")."""
    _unknown_reason(reason, "buyer")
    state = load_order(session, order_id)
    _check_buyer(state, user)
    asked = effects.buyer_asked(reason)
    if replay := _replay(session, idempotency_key, order_id, asked):
        return replay
    _require(state, rules.buyer_request(state.order, packages=state.packages,
                                        request_pending=state.pending is not None), expected_version)
    _require_reason(state, "buyer", reason)
    return _open_request(session, state, reason, now=now, idempotency_key=idempotency_key, asked=asked)


@command
def refuse_delivery(session: Session, package_id: str, *, now: datetime, user: str | None = None):
    """Seed 000: an order in transit is cancelled only by refusing it at the door.
    The package goes back; the buyer's refusal count (the seller's caution mark) goes up."""
    state = _load_by_package(session, package_id)
    _check_buyer(state, user)
    package = state.package(package_id)
    _require(state, rules.refuse_delivery(state.order, package))
    _write(session, state, effects.delivery_refused(state, package, now=now))
    return Success(package_view(package), "Delivery refused.")


@command
def buy_again(session: Session, order_id: str, *, now: datetime, user: str | None = None,
              quantities: Mapping[str, int] | None = None, address: str | None = None):
    """Seed 000: after cancelling, place a new order with the same items (quantities
    and address editable). The new order is paid at once and starts on hold."""
    state = load_order(session, order_id, lock=False)
    _check_buyer(state, user)
    if state.order.status != "cancelled":
        raise Refused("not_cancelled", "Buy again is offered for cancelled orders; "
                      f"this order is {rules.STATUS_LABELS[state.order.status]}.")
    wanted: dict[str, int] = {}
    for line in state.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    for sku, qty in (quantities or {}).items():
        if sku not in wanted:
            raise Refused("unknown_line", f"Order {order_id} has no item {sku}; "
                          f"its items: {', '.join(wanted)}.")
        if not isinstance(qty, int) or qty < 0:
            raise Refused("bad_quantity", f"The quantity for {sku} must be a whole number, 0 or more.")
        wanted[sku] = qty
    wanted = {sku: qty for sku, qty in wanted.items() if qty}
    if not wanted:
        raise Refused("bad_quantity", "Choose at least one item to buy again.")
    old = state.order
    order = Order(id=new_id("order"), shop_id=old.shop_id, buyer_id=old.buyer_id, status="on_hold",
                  currency=old.currency, created_at=now, paid_at=now,
                  hold_until=now + timedelta(minutes=state.shop.hold_window_minutes),
                  ship_by=now + timedelta(hours=state.shop.ship_within_hours),
                  recipient=old.recipient, address=address or old.address,
                  original_shipping_fee=old.original_shipping_fee,
                  shipping_fee_seller_discount=old.shipping_fee_seller_discount,
                  shipping_fee_platform_discount=old.shipping_fee_platform_discount,
                  shipping_tax=old.shipping_tax, updated_at=now)
    package = Package(id=new_id("package"), order_id=order.id, status="awaiting_shipment")
    session.add(order)
    session.add(package)
    session.flush()
    for sku, qty in wanted.items():
        product = session.exec(select(Product).where(Product.shop_id == old.shop_id,
                                                     Product.sku == sku).with_for_update()).first()
        if product is None:
            raise Refused("product_gone", f"{sku} is no longer sold by {state.shop.name}.")
        if product.stock < qty:
            raise Refused("out_of_stock", f"Only {product.stock} of {product.title} ({sku}) left; "
                          f"lower the quantity to {product.stock} or less.")
        _restock(session, product.id, -qty)
        original = next(line for line in state.lines if line.sku == sku)
        session.add(OrderLine(id=new_id("line"), order_id=order.id, package_id=package.id,
                              product_id=product.id, sku=sku, title=product.title, quantity=qty,
                              unit_original_price=product.price,
                              tax=refunds.rebought_tax(original, product.price * qty)))
    _event(session, order, now, "buyer", "placed", bought_again_from=old.id)
    return Success({"id": order.id, "status": order.status}, f"New order {order.id} placed.")


# -- seller ---------------------------------------------------------------------
@command
def seller_cancel(session: Session, order_id: str, reason: str, *, now: datetime,
                  shop: str | None = None, package_id: str | None = None,
                  items: Mapping[str, int] | None = None, idempotency_key: str | None = None,
                  expected_version: int | None = None, expected_refund: int | None = None):
    """Seed 003: cancel the whole order, one package, or (Out of Stock only) some
    units of items in Awaiting Shipment packages."""
    _unknown_reason(reason, "seller")
    if items is not None and package_id:
        raise Refused("bad_input", "Give either items or a package, not both.")
    state = load_order(session, order_id)
    _check_shop(state, shop)
    # items={} is an empty selection, refused below; never a whole-order cancel
    scope = "items" if items is not None else "package" if package_id else "order"
    asked = effects.seller_asked(scope, reason, package_id, items)
    if replay := _replay(session, idempotency_key, order_id, asked):
        return replay
    if scope == "order":
        _require(state, rules.seller_cancel_order(state.order), expected_version)
        quantities = _all_live_units(state)
    elif scope == "package":
        _require(state, rules.seller_cancel_package(state.order, state.package(package_id)),
                 expected_version)
        quantities = _all_live_units(state, package_id)
    else:
        quantities = _item_quantities(state, items, expected_version)
    _require_reason(state, "seller", reason, scope)
    view = _cancel_units(session, state, quantities, now=now, role="seller", scope=scope,
                         reason=reason, actor="seller", idempotency_key=idempotency_key, asked=asked,
                         package_id=package_id, expected_refund=expected_refund)
    return Success(view, "Cancelled; the customer's email is in the outbox.")


def _item_quantities(state: OrderState, items: Mapping[str, int], expected_version) -> dict[str, int]:
    lines = {line.id: line for line in state.lines}
    if not items:
        raise Refused("bad_quantity", "Choose at least one item and how many of its units to cancel.")
    quantities = {}
    for line_id, qty in items.items():
        line = lines.get(line_id)
        if line is None:
            raise Refused("unknown_line", f"Order {state.order.id} has no line {line_id}. "
                          f"Its lines: {', '.join(lines)}.")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise Refused("bad_quantity", f"The quantity for line {line_id} must be a whole "
                          f"number of 1 or more, not {qty!r}.")
        verdict = rules.item_cancel(state.order, state.package_of(line), line)
        _require(state, verdict, expected_version)
        if qty > verdict.max_quantity:
            raise Refused("bad_quantity", f"Line {line_id} ({line.title}) has "
                          f"{plural(verdict.max_quantity, 'unit')} that can be cancelled; {qty} is too many.",
                          max_quantity=verdict.max_quantity)
        quantities[line_id] = qty
    return quantities


def _load_request(session: Session, cancellation_id: str) -> tuple[Cancellation, OrderState]:
    """The request and its order, read after the order is locked (so never stale)."""
    order_id = session.exec(select(Cancellation.order_id).where(Cancellation.id == cancellation_id)).first()
    if order_id is None:
        raise Refused("unknown_request", f"There is no cancellation request {cancellation_id}. "
                      "Run `orderdesk requests list` to see the pending ones.")
    state = load_order(session, order_id)
    request = state.pending if state.pending is not None and state.pending.id == cancellation_id \
        else session.get(Cancellation, cancellation_id)
    if request.status != "request_pending":
        raise Refused("request_answered", f"Request {cancellation_id} was already answered "
                      f"(it is {request.status}).", status=request.status)
    return request, state


@command
def approve_request(session: Session, cancellation_id: str, *, now: datetime,
                    shop: str | None = None, actor: str = "seller", expected_refund: int | None = None):
    """The seller approves a buyer's request: what it asks for (the whole order, or what
    has not been collected of a Partially Shipping order) is cancelled with the buyer's
    reason. `expected_refund`: the refund the seller confirmed (else `conflict`)."""
    request, state = _load_request(session, cancellation_id)
    _check_shop(state, shop)
    state.pending = request
    _require(state, rules.request_approval(state.order, state.packages))
    view = _cancel_units(session, state, _requested_units(state), now=now, role="buyer",
                         scope="order", reason=request.reason, actor=actor, record=request,
                         expected_refund=expected_refund)
    return Success(view, "Request approved; the order is cancelled." if state.order.status == "cancelled"
                   else "Request approved; what had not been shipped is cancelled.")


@command
def reject_request(session: Session, cancellation_id: str, reason: str, *, now: datetime,
                   shop: str | None = None):
    """The seller rejects a buyer's request with a reject reason."""
    request, state = _load_request(session, cancellation_id)
    _check_shop(state, shop)
    verdict = rules.reject_reason_fits(reason, state.order, state.packages)
    if not verdict.allowed:
        raise Refused(verdict.code, verdict.why_not)
    _close_request(session, state, request, reason, now=now, actor="seller")
    return Success(cancellation_view(session, request), "Request rejected; the buyer is told why.")


def _close_request(session, state: OrderState, request: Cancellation, reject_reason: str, *,
                   now: datetime, actor: str) -> None:
    _write(session, state, effects.request_closed(state, request, reject_reason, now=now, actor=actor))


# -- the buyer's Inbox ------------------------------------------------------------
@command(settles=False)
def mark_read(session: Session, notification_id: int, *, now: datetime, user: str):
    """The buyer read a message of their Inbox: it stops counting as unread (once: the
    first reading's time is kept). Only the buyer's own messages."""
    found = session.exec(select(Notification, Buyer.username).join(Buyer, Buyer.id == Notification.buyer_id)
                         .where(Notification.id == notification_id)).first()
    if found is None or found[1] != user:
        raise Refused("unknown_notification", f"{user} has no message {notification_id}.")
    note = found[0]
    if note.read_at is None:
        note.read_at = now
    return Success({"id": note.id, "read": True}, "Read.")


# -- logistics ------------------------------------------------------------------
def _load_by_package(session: Session, package_id: str) -> OrderState:
    """The package's order, read after it is locked (so never stale)."""
    order_id = session.exec(select(Package.order_id).where(Package.id == package_id)).first()
    if order_id is None:
        raise Refused("unknown_package", f"There is no package {package_id}. "
                      "`orderdesk orders show ORDER_ID` lists an order's packages.")
    return load_order(session, order_id)


def _move_package(session, package_id: str, action: str, *, now: datetime, shop: str | None,
                  station: str | None = None):
    state = _load_by_package(session, package_id)
    _check_shop(state, shop)
    package = state.package(package_id)
    _require(state, rules.logistics(action, state.order, package))
    if action == "pack":  # another station's claim refuses it; packing ends the claim
        claim = session.get(PackageClaim, package_id)
        _require_claim(claim, package, station, now)
        if claim is not None:
            session.delete(claim)
    package.status = rules.next_package_status(action)
    return state, package


@command
def claim_package(session: Session, package_id: str, *, now: datetime, station: str,
                  shop: str | None = None, take_over: bool = False):
    """A station opens a package to pack it: it claims it (or renews its own claim), so the
    other stations see where it is being packed and cannot pack it (rules.pack_claim).
    `take_over`, after a person confirmed it, moves another station's claim here (an audit
    event says from where). The order is locked first, as for every command, so two
    stations claiming at once are served one after the other: exactly one gets it. A claim
    changes no order (its version stays: open screens elsewhere stay valid)."""
    state = _load_by_package(session, package_id)
    _check_shop(state, shop)
    package = state.package(package_id)
    _require(state, rules.logistics("pack", state.order, package))
    claim = session.get(PackageClaim, package_id)
    _require_claim(claim, package, station, now, take_over=take_over)
    held = rules.claim_holds(claim, package, now)
    if claim is None:
        claim = PackageClaim(package_id=package_id, station=station, claimed_at=now, active_at=now)
        session.add(claim)
    else:
        if held and claim.station != station:
            _event(session, state.order, now, "seller", "claim_taken_over", package_id=package_id,
                   station=station, from_station=claim.station)
        if not held or claim.station != station:
            claim.station, claim.claimed_at = station, now
        claim.active_at = now
    return Success(claim_view(claim), f"Package {package_id} is being packed at {station}.")


def _require_claim(claim: PackageClaim | None, package: Package, station: str | None, now: datetime,
                   *, take_over: bool = False) -> None:
    """rules.pack_claim, refused with where the package is being packed (`station`, and
    `active_at`: its station's last activity) for a screen to say it its own way."""
    verdict = rules.pack_claim(claim, package, station, now, take_over=take_over)
    if not verdict.allowed:
        raise Refused(verdict.code, verdict.why_not, status=package.status, next_step=verdict.next_step,
                      station=claim.station, active_at=claim.active_at.isoformat())


def claim_view(claim: PackageClaim) -> dict:
    return {"package_id": claim.package_id, "station": claim.station,
            "claimed_at": claim.claimed_at.isoformat(), "active_at": claim.active_at.isoformat(),
            "lapses_at": (claim.active_at + rules.CLAIM_IDLE).isoformat()}


@command
def pack(session: Session, package_id: str, *, now: datetime, shop: str | None = None,
         station: str | None = None):
    """Pack / arrange shipment: Awaiting Shipment → Awaiting Collection. Refused while
    another station's claim holds the package (`station`: the one packing; None: none)."""
    state, package = _move_package(session, package_id, "pack", now=now, shop=shop, station=station)
    package.packed_at = now
    package.tracking_number = package.tracking_number or f"TT{package.id[-12:]}"
    _touch(state, now)
    _event(session, state.order, now, "seller", "packed", package_id=package_id)
    return Success(package_view(package), "Packed: waiting for the carrier.")


@command
def handover(session: Session, package_id: str, *, now: datetime, shop: str | None = None):
    """Hand over to the carrier: → In Transit. A pending buyer request is rejected
    by the system (shipping counts as a rejection)."""
    state, package = _move_package(session, package_id, "handover", now=now, shop=shop)
    package.collected_at = now
    _touch(state, now)
    _event(session, state.order, now, "seller", "handed_over", package_id=package_id)
    if state.pending is not None:
        _close_request(session, state, state.pending, "already_shipped", now=now, actor="system")
    return Success(package_view(package), "Handed over to the carrier.")


@command
def deliver(session: Session, package_id: str, *, now: datetime, shop: str | None = None):
    """Mark a package delivered."""
    state, package = _move_package(session, package_id, "deliver", now=now, shop=shop)
    package.delivered_at = now
    _touch(state, now)
    _event(session, state.order, now, "system", "delivered", package_id=package_id)
    return Success(package_view(package), "Delivered.")


@command
def split_package(session: Session, package_id: str, moves: Mapping[str, int], *, now: datetime,
                  shop: str | None = None):
    """Split: move units of some lines (line id -> units) into a new package.
    A line moved in part becomes two lines of the same SKU; its discounts and tax are
    divided exactly as the refund rule counts units (refunds.divide_line), so every
    later refund is >= 0 and all of them add up to what was paid."""
    state = _load_by_package(session, package_id)
    _check_shop(state, shop)
    source = state.package(package_id)
    own = {line.id: line for line in state.lines if line.package_id == package_id}
    if not moves:
        raise Refused("bad_quantity", "Choose at least one item and how many units go to the new package.")
    for line_id, qty in moves.items():
        if line_id not in own:
            raise Refused("unknown_line", f"Package {package_id} has no line {line_id}. "
                          f"Its lines: {', '.join(own)}.")
        if not isinstance(qty, int) or isinstance(qty, bool):
            raise Refused("bad_quantity", f"The quantity for line {line_id} must be a whole number.")
        verdict = rules.split_line(state.order, source, own[line_id], qty)
        if not verdict.allowed:
            raise Refused("bad_quantity" if verdict.code == "bad_quantity" else verdict.code,
                          verdict.why_not)
    staying = sum(l.quantity - l.cancelled_quantity for l in own.values()) - sum(moves.values())
    if staying <= 0:
        raise Refused("nothing_left", "Leave at least one unit in the original package; "
                      "moving everything would just rename it.")
    package = Package(id=new_id("package"), order_id=state.order.id, status="awaiting_shipment")
    session.add(package)
    session.flush()
    for line_id, qty in moves.items():
        line = own[line_id]
        live = line.quantity - line.cancelled_quantity
        if qty == live:
            line.package_id = package.id
            continue
        # A line with cancelled units moves whole (rules.split_line), so this one has
        # none: its first units stay, the last `qty` move; its money is divided exactly
        # as the refund rule counts units.
        stays, moved = refunds.divide_line(line, [live - qty, qty])
        line.quantity = live - qty
        for name, value in stays.items():
            setattr(line, name, value)
        session.add(OrderLine(id=new_id("line"), order_id=line.order_id, package_id=package.id,
                              product_id=line.product_id, sku=line.sku, title=line.title,
                              quantity=qty, unit_original_price=line.unit_original_price, **moved))
    state.packages.append(package)
    _touch(state, now)
    _event(session, state.order, now, "seller", "split", from_package=package_id,
           new_package=package.id, moves=dict(moves))
    return Success(package_view(package), f"Split: new package {package.id}.")


@command
def receive_return(session: Session, package_id: str, *, now: datetime, shop: str | None = None,
                   expected_refund: int | None = None):
    """A refused package is back: the system cancels its units ("Package rejected") and refunds
    them. `expected_refund`: the refund the seller confirmed (else `conflict`)."""
    state = _load_by_package(session, package_id)
    _check_shop(state, shop)
    package = state.package(package_id)
    _require(state, rules.logistics("receive_return", state.order, package))
    view = _cancel_units(session, state, _all_live_units(state, package_id), now=now,
                         role="system", scope="package", reason="package_rejected",
                         actor="system", package_id=package_id, expected_refund=expected_refund)
    return Success(view, "Return received; its items are refunded.")


def package_view(package: Package) -> dict:
    return {"id": package.id, "order_id": package.order_id, "status": package.status,
            "tracking_number": package.tracking_number}


# -- time -----------------------------------------------------------------------
def settle(session: Session, now: datetime, *, limit: int = 1000) -> dict[str, int]:
    """What time alone does, in the caller's transaction, recorded as the system's
    events: hold windows end; unanswered requests past their deadline are approved
    by the system; the SLA clock cancels orders and packages past their deadlines
    (`_sla_cancel`); delivered orders complete after the return window. Each order is
    locked and checked again first, so two stations settling at once do it once.
    Returns counts."""
    done = {"released": 0, "auto_approved": 0, "auto_cancelled": 0, "completed": 0}
    due = _due(session, now, limit)
    for order_id in due["held"]:
        state = load_order(session, order_id)
        if state.order.status != "on_hold" or state.order.hold_until > now:
            continue  # another station got here first
        _touch(state, now)
        _event(session, state.order, now, "system", "hold_ended")
        done["released"] += 1
    for request_id in due["overdue"]:
        try:
            request, state = _load_request(session, request_id)
        except Refused:
            continue  # answered meanwhile
        state.pending = request
        if rules.request_approval(state.order, state.packages).allowed:
            _cancel_units(session, state, _requested_units(state), now=now, role="buyer",
                          scope="order", reason=request.reason, actor="system", record=request,
                          auto_approved=True)
            done["auto_approved"] += 1
    for order_id in due["sla"]:
        state = load_order(session, order_id)
        done["auto_cancelled"] += _sla_cancel(session, state, now)
        if order_id not in due["finished"]:  # what was left of it was delivered long ago
            done["completed"] += _complete(session, state, now)
    for order_id in due["finished"]:
        done["completed"] += _complete(session, load_order(session, order_id), now)
    return done


def _complete(session: Session, state: OrderState, now: datetime) -> bool:
    """A delivered order past its return window completes (False: not yet, or not any more)."""
    if state.order.status != "delivered" or state.order.completes_at > now:
        return False
    state.order.completed_at = now
    _touch(state, now)
    _event(session, state.order, now, "system", "completed")
    return True


def _sla_cancel(session: Session, state: OrderState, now: datetime) -> int:
    """The SLA clock (rules.sla_overdue) on one locked order: a full system cancellation
    (role `system`: refund, restock, email, notification, audit event; core.effects) of
    what is past its deadline. Everything live that is due at once is one cancellation of
    the whole order, with the reason of the deadline that passed first; otherwise each
    due package is cancelled on its own (scope `package`). Nothing due (another station
    got here first, or the order moved on): nothing. Returns the cancellations made."""
    made = 0
    while overdue := rules.sla_overdue(state.order, state.shop, state.packages, now):
        due_ids = {package_id for deadline in overdue for package_id in deadline.package_ids}
        live = {p.id for p in state.packages if p.status != "cancelled"}
        whole = due_ids == live
        package_id = None if whole else overdue[0].package_ids[0]
        units = _all_live_units(state, package_id)
        if not units:  # a package with nothing live left is not the clock's to cancel
            break
        _cancel_units(session, state, units, now=now, role="system",
                      scope="order" if whole else "package", reason=overdue[0].reason,
                      actor="system", package_id=package_id)
        made += 1
    return made


@command(settles=False)
def process_due(session: Session, *, now: datetime, limit: int = 1000):
    """`settle` as a transaction of its own (the app's scheduler, `orderdesk worker`,
    read commands)."""
    return settle(session, now, limit=limit)


@command(settles=False)
def advance_clock(session: Session, *, by: timedelta):
    """Move the database's own clock forward and let time do its work, in one transaction."""
    new = advanced(current_time(session), by)  # BadTime past the range of times
    set_stored_clock(session, new)
    return {"now": new.isoformat(), **settle(session, new)}


_TIME = Order.__table__.c.hold_until.type


def _due_parts(now):
    """The parts of the settle scan that do not depend on a shop."""
    return [("held", Order.id, Order.hold_until, (sla.status_is("on_hold"), Order.hold_until <= now)),
            ("overdue", Cancellation.id, Cancellation.deadline_at,
             (Cancellation.status == sla.constant("request_pending"), Cancellation.deadline_at <= now)),
            ("finished", Order.id, Order.completes_at,
             (sla.status_is("delivered"), Order.completes_at <= now))]


def _sla_parts(now, shop_id, unpaid_before, unpacked_before):
    """The SLA clock's parts for one shop (core.sla: its windows give the bounds)."""
    shop = Order.shop_id == shop_id
    return [("sla", Order.id, Order.created_at, (shop, sla.unpaid_by(unpaid_before))),
            ("sla", Order.id, None, (shop, sla.unpacked_by(unpacked_before))),
            ("sla", Order.id, None, (shop, sla.uncollected_by(now)))]


def _limited(part, limit):
    """One part's first `limit` rows in the order of the index that bounds it (the most
    overdue first; by id where no single index order serves), so the database reads just
    those index entries, never a table scan in id order."""
    kind, column, by, where = part
    return (select(sla.constant(kind).label("kind"), column.label("id")).where(*where)
            .order_by(*(by, column) if by is not None else (column,)).limit(limit))


@functools.cache
def _due_statement(shops: int | None):
    """Built once (every command runs it). `now` and `limit` are parameters; the statuses
    are constants in the SQL, so it is the same text every time and PostgreSQL plans it
    with its statistics even once the statement is prepared.

    `shops` None (PostgreSQL): each shop's SLA bounds come from the shops table itself, a
    LATERAL subquery per shop, so one statement does it all. Otherwise (SQLite, which has
    no LATERAL) one set of parts per shop, with its bounds as parameters (shop{n},
    unpaid{n}, unpacked{n}) read first."""
    now, limit = bindparam("now", type_=_TIME), bindparam("limit")
    parts = [_limited(part, limit).subquery() for part in _due_parts(now)]
    queries = [select(part.c.kind, part.c.id) for part in parts]
    if shops is None:
        shop = Shop.__table__.alias("shop")
        hours = literal_column("interval '1 hour'")
        for part in _sla_parts(now, shop.c.id, now - shop.c.pay_within_hours * hours,
                               now - shop.c.pack_within_hours * hours):
            each = _limited(part, limit).lateral()
            queries.append(select(each.c.kind, each.c.id).select_from(shop.join(each, true())))
    else:
        for n in range(shops):
            for part in _sla_parts(now, bindparam(f"shop{n}"), bindparam(f"unpaid{n}", type_=_TIME),
                                   bindparam(f"unpacked{n}", type_=_TIME)):
                queries.append(select(_limited(part, limit).subquery().c))
    return union_all(*queries)


@functools.cache
def _driver_sql(dialect, shops: int | None) -> tuple[str, tuple, tuple, dict]:
    """`_due_statement` as the driver's SQL, compiled once per dialect and number of shops,
    with its parameters' names in order and how the dialect stores each: a command runs it
    without SQLAlchemy's per-statement work (about as long as the query itself on SQLite)."""
    compiled = _due_statement(shops).compile(dialect=dialect)
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    binders = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                    for name in names)
    fixed = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
    return compiled.string, names, binders, fixed  # fixed: e.g. SQLite's OFFSET 0


_SHOP_WINDOWS = str(select(Shop.id, Shop.pay_within_hours, Shop.pack_within_hours))  # no parameters


def _due(session: Session, now: datetime, limit: int) -> dict[str, list[str]]:
    """What `settle` has to do (every command asks): orders whose hold ended ("held"),
    requests past their deadline ("overdue"), orders past an SLA deadline ("sla"),
    delivered orders past their return window ("finished"), at most `limit` of each (per
    shop and deadline for "sla"), the most overdue first, each kind's ids sorted. One
    statement on PostgreSQL; on SQLite two: the shops' SLA windows first."""
    due: dict[str, list[str]] = {"held": [], "overdue": [], "sla": [], "finished": []}
    conn = session.connection()
    params = {"now": now, "limit": limit}
    shops = None
    if conn.dialect.name != "postgresql":
        windows = conn.exec_driver_sql(_SHOP_WINDOWS).all()
        shops = len(windows)
        for n, (shop_id, pay, pack) in enumerate(windows):
            params.update({f"shop{n}": shop_id, f"unpaid{n}": now - timedelta(hours=pay),
                           f"unpacked{n}": now - timedelta(hours=pack)})
    sql, names, binders, fixed = _driver_sql(conn.dialect, shops)
    params = {**fixed, **params}
    values = [bind(params[name]) if bind is not None else params[name]
              for name, bind in zip(names, binders)]
    for kind, row_id in conn.exec_driver_sql(
            sql, tuple(values) if conn.dialect.positional else dict(zip(names, values))):
        due[kind].append(row_id)
    for kind, ids in due.items():
        due[kind] = sorted(set(ids))
    return due


def has_due(db: Database, now: datetime) -> bool:
    """A cheap read: is there anything for `settle` to do?"""
    with db.read() as session:
        return any(_due(session, now, 1).values())
