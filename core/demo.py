"""Load the demo fixtures (`data/demo/demo.toml`) in one transaction.

The file describes shops, products, buyers and orders as they stand, packages in
their statuses; an order's `then` list is history replayed through the real
services (partial cancellations, requests, refusals), so refunds, stock, emails
and events are exactly what the app itself would have written. IDs and the
clock are fixed, so every load is identical.

Never destroying real data: loading over a database that holds anything is refused
(`not_empty`) unless `reset`; and even with `reset` it is refused (`not_demo_data`,
with the counts that would be lost) unless the database holds only demo data, or
`force` is given. Demo data is what this loader wrote: it marks the database
(setting `dataset` = `demo`) and every shop in it is one of the fixture's shops. A
database from before the mark counts as demo data when it carries a stored clock
(only the demo and `clock advance` set one) and only the fixture's shops.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, SQLModel, select

from core import ids, rules, services
from core.clock import CLOCK_KEY, parse_instant, set_stored_clock
from core.db import Database
from core.models import (
    Buyer, Cancellation, Order, OrderEvent, OrderLine, Package, Product, Setting, Shop,
)
from core.paths import data_dir
from core.results import Refusal, Refused, Success


class DemoError(Exception):
    pass


def demo_file():
    return data_dir() / "demo" / "demo.toml"


DATASET_KEY = "dataset"  # settings row the demo loader writes: "demo"


def load_demo(db: Database, *, reset: bool = False, force: bool = False, path=None) -> Success | Refusal:
    """Load the fixtures in one transaction. `reset` replaces demo data; `force` also
    replaces data that is not the demo's (the caller has asked the person first)."""
    fixture = tomllib.loads((path or demo_file()).read_text())
    try:
        with db.write() as session:
            held = holdings(session)
            if held:
                if not reset:
                    raise Refused("not_empty", "This database already has data. Use "
                                  "`orderdesk seed demo --reset` to replace it with the demo data.")
                if not force and not is_demo_data(session, fixture):
                    raise Refused("not_demo_data", not_demo_message(held), would_lose=held)
                wipe(session)
            with ids.deterministic(20231019):
                counts = _load(session, fixture)
    except Refused as refused:
        return refused.refusal
    return Success(counts, f"Demo data loaded: {counts['orders']} orders, clock at {fixture['clock']}.")


def holdings(session: Session) -> dict[str, int]:
    """What the database holds, by kind (empty when there is nothing to lose)."""
    counts = {name: session.exec(select(func.count()).select_from(table)).one()
              for name, table in (("shops", Shop), ("buyers", Buyer), ("orders", Order),
                                  ("cancellations", Cancellation))}
    return counts if any(counts.values()) else {}


def is_demo_data(session: Session, fixture: dict | None = None) -> bool:
    """Only what the demo loader wrote (see the module docstring)."""
    fixture = fixture or tomllib.loads(demo_file().read_text())
    demo_shops = {spec["name"] for spec in fixture["shops"]}
    shops = set(session.exec(select(Shop.name)).all())
    if not shops <= demo_shops:
        return False
    marked = session.get(Setting, DATASET_KEY)
    if marked is not None:
        return marked.value == "demo"
    return session.get(Setting, CLOCK_KEY) is not None


def describe(held: dict[str, int]) -> str:
    """"3 shops, 1 buyer, 40 orders": what `holdings` found, in words."""
    return ", ".join(f"{n:,} {name if n != 1 else name[:-1]}" for name, n in held.items() if n)


def not_demo_message(held: dict[str, int]) -> str:
    return (f"This database holds data that is not the demo's: {describe(held)} would be lost. Nothing was "
            "changed. Give the demo a file of its own (`orderdesk --db demo.db demo`), or add --force "
            "only if you really mean to replace this data.")


def wipe(session: Session) -> None:
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name != "alembic_version":
            session.exec(delete(table))


_SERVICES = {
    "buyer_cancel": lambda s, o, a, now: services.buyer_cancel.__wrapped__(s, o.id, a["reason"], now=now),
    "request": lambda s, o, a, now: services.request_cancellation.__wrapped__(s, o.id, a["reason"], now=now),
    "cancel_order": lambda s, o, a, now: services.seller_cancel.__wrapped__(s, o.id, a["reason"], now=now),
    "cancel_package": lambda s, o, a, now: services.seller_cancel.__wrapped__(
        s, o.id, a["reason"], package_id=a["package"], now=now),
    "cancel_items": lambda s, o, a, now: services.seller_cancel.__wrapped__(
        s, o.id, "out_of_stock", items=a["items"], now=now),
    "reject": lambda s, o, a, now: services.reject_request.__wrapped__(s, _pending(s, o), a["reason"], now=now),
    "approve": lambda s, o, a, now: services.approve_request.__wrapped__(s, _pending(s, o), now=now),
    "pack": lambda s, o, a, now: services.pack.__wrapped__(s, a["package"], now=now),
    "handover": lambda s, o, a, now: services.handover.__wrapped__(s, a["package"], now=now),
    "deliver": lambda s, o, a, now: services.deliver.__wrapped__(s, a["package"], now=now),
    "refuse": lambda s, o, a, now: services.refuse_delivery.__wrapped__(s, a["package"], now=now),
    "receive_return": lambda s, o, a, now: services.receive_return.__wrapped__(s, a["package"], now=now),
}


def _pending(session, order):
    state = services.load_order(session, order.id)
    return state.pending.id


def _load(session: Session, fx: dict) -> dict:
    clock = parse_instant(fx["clock"])
    set_stored_clock(session, clock)
    session.add(Setting(key=DATASET_KEY, value="demo"))
    shops = {}
    for spec in fx["shops"]:
        shop = Shop(**spec)
        session.add(shop)
        shops[shop.name] = shop
    session.flush()
    products = {}
    for spec in fx["products"]:
        spec = dict(spec)
        shop = shops[spec.pop("shop")]
        product = Product(shop_id=shop.id, **spec)
        session.add(product)
        products[(shop.name, product.sku)] = product
    buyers = {}
    for spec in fx["buyers"]:
        buyer = Buyer(**spec)
        session.add(buyer)
        buyers[buyer.username] = buyer
    session.flush()
    for spec in fx["orders"]:
        _add_order(session, spec, shops, products, buyers, clock)
    return {"shops": len(shops), "products": len(products), "buyers": len(buyers),
            "orders": len(fx["orders"])}


def _add_order(session, spec, shops, products, buyers, clock):
    shop, buyer = shops[spec["shop"]], buyers[spec["buyer"]]
    created = parse_instant(spec["created"])
    paid = parse_instant(spec["paid"]) if "paid" in spec else None
    hold_until = paid + timedelta(minutes=shop.hold_window_minutes) if paid else None
    order = Order(
        id=spec["id"], shop_id=shop.id, buyer_id=buyer.id, status="unpaid", currency=shop.currency,
        created_at=created, paid_at=paid, hold_until=hold_until,
        ship_by=paid + timedelta(hours=shop.ship_within_hours) if paid else None,
        recipient=spec.get("recipient", buyer.name), address=spec.get("address", buyer.address),
        original_shipping_fee=spec.get("shipping_fee", 0),
        shipping_fee_seller_discount=spec.get("shipping_seller_discount", 0),
        shipping_fee_platform_discount=spec.get("shipping_platform_discount", 0),
        shipping_tax=spec.get("shipping_tax", 0), updated_at=created)
    session.add(order)
    session.flush()
    session.add(OrderEvent(order_id=order.id, at=created, actor="buyer", kind="placed", detail="{}"))
    statuses = []
    for n, pk in enumerate(spec["packages"]):
        status = pk.get("status", "awaiting_shipment")
        step = timedelta(hours=2 + n)
        package = Package(id=pk["id"], order_id=order.id, status=status,
                          tracking_number=pk.get("tracking"),
                          shipping_provider=pk.get("carrier", "USPS" if status != "awaiting_shipment" else None))
        base = paid or created
        if status != "awaiting_shipment":
            package.packed_at = base + step
            package.tracking_number = package.tracking_number or f"TT{package.id[-12:]}"
        if status in rules.COLLECTED:
            package.collected_at = base + 2 * step
        if status in ("delivered", "returned"):
            package.delivered_at = base + 24 * step if status == "delivered" else None
            package.returned_at = base + 24 * step if status == "returned" else None
        session.add(package)
        session.flush()
        statuses.append(status)
        for line in pk["lines"]:
            product = products[(shop.name, line["sku"])]
            session.add(OrderLine(
                id=line["id"], order_id=order.id, package_id=package.id, product_id=product.id,
                sku=product.sku, title=product.title, quantity=line["quantity"],
                unit_original_price=line.get("price", product.price),
                seller_discount=line.get("seller_discount", 0),
                platform_discount=line.get("platform_discount", 0), tax=line.get("tax", 0)))
        if package.delivered_at:
            order.completes_at = package.delivered_at + timedelta(days=shop.return_window_days)
    if order.completes_at and order.completes_at <= clock and all(s == "delivered" for s in statuses):
        order.completed_at = order.completes_at
    order.status = rules.derive_order_status(
        statuses, paid=paid is not None, on_hold=hold_until is not None and clock < hold_until,
        completed=order.completed_at is not None)
    session.flush()
    for action in spec.get("then", []):
        try:
            _SERVICES[action["do"]](session, order, action, parse_instant(action["at"]))
        except Refused as refused:  # a broken fixture: say which order and step
            raise DemoError(f"demo order {order.id}: {action['do']} was refused: "
                            f"{refused.refusal.message}") from None
        session.flush()
