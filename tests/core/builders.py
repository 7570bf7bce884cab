"""Builders for the core tests' orders and databases (used by conftest.py and the tests).

Orders are described as small Python specs, written to a TOML fixture in the
test's tmp_path and loaded through `core.demo.load_demo` into a fresh SQLite
database, so they go through the same loader (and, for `then` steps, the same
services) as the demo data. Times are fixed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import SQLModel, select

from core.queries import orders as queries
from core.queries import outbox as outbox_queries
from core.clock import parse_instant
from core.db import Database
from core.demo import load_demo
from core.models import Buyer, Cancellation, Order, OrderLine, Package, Product
from tests.databases import fresh_url

CLOCK = "2026-11-20T12:00:00Z"
NOW = parse_instant(CLOCK)
CREATED = "2026-11-20T07:59:00Z"
PAID = "2026-11-20T08:00:00Z"  # hold window (60 min) long over at CLOCK
PAID_ON_HOLD = "2026-11-20T11:30:00Z"  # still inside the hold window at CLOCK

SHOP = "Lumen Home"
OTHER_SHOP = "Pine & Co"
BUYER = "mia"
OTHER_BUYER = "noah"
STOCK = 10


def oid(n: int) -> str:
    return f"576{n:015d}"


def pid(n: int) -> str:
    return f"115{n:015d}"


def lid(n: int) -> str:
    return f"172{n:015d}"


def line(n: int, sku: str, quantity: int, **kw) -> dict:
    return {"id": lid(n), "sku": sku, "quantity": quantity, **kw}


def package(n: int, *lines: dict, status: str = "awaiting_shipment") -> dict:
    return {"id": pid(n), "status": status, "lines": list(lines)}


def order(n: int, *packages: dict, buyer: str = BUYER, shop: str = SHOP, paid: str | None = PAID,
          created: str = CREATED, shipping_fee: int = 599, shipping_tax: int = 50,
          then: list[dict] | None = None, **kw) -> dict:
    spec = {"id": oid(n), "shop": shop, "buyer": buyer, "created": created,
            "shipping_fee": shipping_fee, "shipping_tax": shipping_tax,
            "packages": list(packages), **kw}
    if paid is not None:
        spec["paid"] = paid
    if then:
        spec["then"] = then
    return spec


def simple_order(n: int = 1, *, status: str = "awaiting_shipment", paid: str | None = PAID,
                 **kw) -> dict:
    """One package holding MUG x3 (a $1.00 seller discount, $2.90 tax) and LAMP x1 ($3.00 tax)."""
    return order(n, package(n, line(10 * n + 1, "MUG", 3, seller_discount=100, tax=290),
                            line(10 * n + 2, "LAMP", 1, tax=300), status=status), paid=paid, **kw)


def split_order(n: int = 1, *, second: str = "awaiting_collection", first: str = "awaiting_shipment",
                **kw) -> dict:
    """Two packages: MUG x3 + LAMP x1 in the first, VASE x2 in the second."""
    return order(n,
                 package(10 * n + 1, line(10 * n + 1, "MUG", 3, seller_discount=100, tax=290),
                         line(10 * n + 2, "LAMP", 1, tax=300), status=first),
                 package(10 * n + 2, line(10 * n + 3, "VASE", 2, platform_discount=50, tax=200),
                         status=second), **kw)


# Figures of simple_order, by hand
MUG_PAID, MUG_TAX = 3 * 1000 - 100, 290
LAMP_PAID, LAMP_TAX = 3333, 300
SIMPLE_TOTAL = MUG_PAID + LAMP_PAID + 599 + MUG_TAX + LAMP_TAX + 50  # 7472


# -- TOML ----------------------------------------------------------------------
def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(fixture: dict) -> str:
    out = []
    for key, value in fixture.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"{key} = [\n" + "".join(f"  {_toml_value(v)},\n" for v in value) + "]")
        else:
            out.append(f"{key} = {_toml_value(value)}")
    return "\n".join(out) + "\n"


def fixture_for(orders, *, shop_settings: dict | None = None, stock: int = STOCK) -> dict:
    return {
        "clock": CLOCK,
        "shops": [{"name": SHOP, "email": "orders@lumen.example", **(shop_settings or {})},
                  {"name": OTHER_SHOP, "email": "hello@pine.example"}],
        "products": [
            {"shop": SHOP, "sku": "MUG", "title": "Stoneware Mug", "price": 1000, "stock": stock},
            {"shop": SHOP, "sku": "LAMP", "title": "Desk Lamp", "price": 3333, "stock": stock},
            {"shop": SHOP, "sku": "VASE", "title": "Glass Vase", "price": 2500, "stock": stock},
            {"shop": OTHER_SHOP, "sku": "TEA", "title": "Green Tea", "price": 800, "stock": stock},
        ],
        "buyers": [{"username": BUYER, "name": "Mia Chen", "email": "mia@example.com",
                    "address": "1 Elm St, Springfield"},
                   {"username": OTHER_BUYER, "name": "Noah Ito", "email": "noah@example.com",
                    "address": "9 Oak Ave, Shelbyville"}],
        "orders": list(orders),
    }


# -- the world a test works on -------------------------------------------------------
@dataclass
class World:
    db: Database
    path: Path

    def view(self, order_id: str, now=NOW) -> dict:
        with self.db.read() as s:
            return queries.order_view(s, order_id, now)

    def order(self, order_id: str) -> Order:
        with self.db.read() as s:
            return s.get(Order, order_id)

    def package(self, package_id: str) -> Package:
        with self.db.read() as s:
            return s.get(Package, package_id)

    def line(self, line_id: str) -> OrderLine:
        with self.db.read() as s:
            return s.get(OrderLine, line_id)

    def stock(self, sku: str) -> int:
        with self.db.read() as s:
            return s.exec(select(Product.stock).where(Product.sku == sku)).one()

    def buyer(self, username: str = BUYER) -> Buyer:
        with self.db.read() as s:
            return s.exec(select(Buyer).where(Buyer.username == username)).one()

    def cancellations(self, order_id: str) -> list[Cancellation]:
        with self.db.read() as s:
            return list(s.exec(select(Cancellation).where(Cancellation.order_id == order_id)
                               .order_by(Cancellation.created_at, Cancellation.id)))

    def count(self, table: str, **where) -> int:
        model = SQLModel.metadata.tables[table]
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(model.c[column] == value)
        with self.db.read() as s:
            return s.exec(query).one()

    def counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in SQLModel.metadata.tables}

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table, in primary-key order."""
        out = {}
        with self.db.engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                keys = ", ".join(c.name for c in table.primary_key.columns)
                rows = conn.execute(text(f"SELECT * FROM {table.name} ORDER BY {keys}")).all()
                out[table.name] = [tuple(row) for row in rows]
        return out

    def notifications(self, username: str = BUYER) -> list[dict]:
        with self.db.read() as s:
            return queries.notifications(s, username)

    def outbox(self) -> list[dict]:
        with self.db.read() as s:
            return [email.as_dict() for email in outbox_queries.emails(s)]

    def events(self, order_id: str, kind: str | None = None) -> list[dict]:
        timeline = self.view(order_id)["timeline"]
        return [e for e in timeline if kind is None or e["kind"] == kind]


def build_world(directory: Path, orders, **kw) -> World:
    path = directory / "fixture.toml"
    path.write_text(to_toml(fixture_for(orders, **kw)))
    db = Database(fresh_url(directory))
    result = load_demo(db, path=path)
    assert result.ok, result
    return World(db, path)
