"""Synthetic orders in bulk: `orderdesk seed synthetic --orders N [--seed S]`.

`generate(db, n, seed=..., now=...)` adds N realistic orders placed over the 90
days before `now`, in one write transaction, fast (bench/seed_synthetic.py: the
target is 20,000 orders/s into a SQLite file).

What an order looks like, and why:
- Reference data: shops, products and buyers already in the database are reused
  (so it runs after `seed demo`); an empty database first gets 3 shops, 200
  products and 5,000 buyers.
- Each order lives a timeline: placed, paid (a few are never paid yet), the
  shop's hold window, packed, handed to the carrier, delivered, completed after
  the shop's return window. About 10% are split into 2 packages; the second
  package ships days later (a back-ordered item), so recent split orders show
  packages in different statuses. Whatever of that timeline lies before `now`
  has happened; the rest hasn't. So old orders are completed, delivered or
  cancelled and recent ones wait for shipment or collection, the newest are
  unpaid or on hold (hold_until = paid_at + the shop's hold window, as for every
  paid order).
- Some orders are cancelled on the way, as the app would have done it: a buyer's
  cancel before packing (or, past a shop's auto-approve window, a request), a
  seller's whole-order or (split orders) one-package cancel, Out of Stock item
  cancels, buyer requests ("Contact seller") that the seller approves or
  rejects, that time auto-approves or handing over rejects, refused deliveries
  that come back and are cancelled by the system ("Package rejected"). Each
  step is checked against `core.rules` at its moment and skipped if the rules
  would refuse it. Refunds come from `core.refunds.refund_for`, so every
  cancelled order's refunds add up to what the buyer paid. Refusals come from a
  few buyers (those who refused before and ~3% more), whose refusal count goes up.
- `completes_at` is the order's last delivery plus the shop's return window, as
  the app sets it (core.effects), also when the order became Delivered later by
  cancelling a package. `completed_at` = `completes_at` once past.
- Every effect a real cancellation (request, refusal) writes is written, by the
  app's own `core.effects`: the record and its lines (with the request's
  fingerprint), cancelled quantities, package and order status, the buyer's
  notification, the customer email, and the order's events (its timeline). As
  history, the emails were already sent and notifications older than a day read.
  `Order.status` is `rules.derive_order_status` of the packages at `now`.
  tests/core/test_effects.py proves the rows are the app's. Before core.effects,
  this module wrote its own and differed from the app: the email's shipping note
  (here when no shipping was refunded, in the app when the order was not cancelled
  whole: they differ for free-shipping orders cancelled whole), `completes_at`
  (here the time the order became Delivered, in the app the last delivery), and
  no request fingerprint.
- Not modelled: stock. Products keep the stock they have (it is what is left to
  sell now); placing and cancelling synthetic orders does not move it.

Determinism: the same seed, order count and `now` on the same reference data
give the same rows. IDs are TikTok-style 18-digit strings with core.ids'
prefixes; each run takes, per kind, a block of the ID space that holds no
existing row (checked with one range query), so runs never collide with each
other or with the demo data. Within a run IDs grow with `created_at`.

Speed (bench/seed_synthetic.py): rows are plain tuples, built in chunks of
1,000 orders, with times already in the text SQLAlchemy's SQLite DATETIME stores
(checked against SQLAlchemy before use). On SQLite, from 10,000 orders on Linux
with 2+ CPUs, forked worker processes build segments of chunks into scratch
SQLite files (plain tables, in /dev/shm) while this process ATTACHes each in turn
and copies it with one INSERT ... SELECT per table: the writer runs no Python per
row. Otherwise this process builds the rows and gives them to the driver's
executemany; other databases get SQLAlchemy Core inserts. Whichever way, the rows
are the same. The garbage collector is paused (millions of tuples, no cycles) and
SQLite's page cache is raised for the transaction, so index pages are not spilled
and rewritten half-way. All of it is one write transaction (BEGIN IMMEDIATE on
SQLite, as core.db's writes).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from heapq import heappop, heappush
from random import Random

from sqlalchemy import bindparam, func, select, text, update
from sqlmodel import SQLModel

from core import effects, refunds, rules
from core.db import Database, bulk_cache
from core.models import Buyer, Order, Product, Shop
from core.ids import PREFIX

CHUNK = 1_000  # orders per chunk: the unit of generation and of determinism
DAYS = 90
WORKERS_MIN_ORDERS = 10_000  # below this, worker processes cost more than they save
_DAY = 86_400
_HOUR = 3_600
_DEADLINE = int(rules.REQUEST_DEADLINE.total_seconds())

# -- columns, in the order the generator builds rows --------------------------
COLUMNS = {
    "orders": ("id", "shop_id", "buyer_id", "status", "currency", "created_at", "paid_at",
               "hold_until", "ship_by", "completes_at", "completed_at", "recipient", "address",
               "original_shipping_fee", "shipping_fee_seller_discount",
               "shipping_fee_platform_discount", "shipping_tax", "version", "updated_at"),
    "packages": ("id", "order_id", "status", "tracking_number", "shipping_provider", "packed_at",
                 "collected_at", "delivered_at", "returned_at"),
    "order_lines": ("id", "order_id", "package_id", "product_id", "sku", "title", "quantity",
                    "unit_original_price", "seller_discount", "platform_discount", "tax",
                    "cancelled_quantity"),
    "cancellations": ("id", "order_id", "type", "role", "scope", "package_id", "reason", "status",
                      "reject_reason", "refund_subtotal", "refund_shipping", "refund_tax",
                      "refund_total", "idempotency_key", "request_fingerprint", "created_at",
                      "updated_at", "deadline_at"),
    "cancellation_lines": ("cancellation_id", "line_id", "quantity", "refund_subtotal", "refund_tax"),
    "notifications": ("buyer_id", "order_id", "cancellation_id", "title", "body", "created_at",
                      "read_at"),
    "outbox_emails": ("order_id", "cancellation_id", "message_id", "to_address", "subject", "body",
                      "status", "attempts", "last_error", "created_at", "sent_at"),
    "order_events": ("order_id", "at", "actor", "kind", "detail"),
}
TABLES = tuple(COLUMNS)  # insertion order: parents first
_TIME_COLUMNS = frozenset({
    "created_at", "paid_at", "hold_until", "ship_by", "completes_at", "completed_at", "updated_at",
    "packed_at", "collected_at", "delivered_at", "returned_at", "deadline_at", "read_at", "sent_at",
    "at"})
_TIMES_AT = {table: tuple(i for i, column in enumerate(columns) if column in _TIME_COLUMNS)
             for table, columns in COLUMNS.items()}
# The most rows of a kind one order can have, and the spacing of IDs (IDs are
# spaced by 1..ID_STRIDE so they don't look like a counter).
PER_ORDER = {"order": 1, "package": 2, "line": 5, "cancellation": 3}
ID_STRIDE = 9


# -- reference data -----------------------------------------------------------
_STATES = {  # state: (combined sales tax in basis points, taxes shipping), approximate
    "CA": (885, False), "TX": (820, True), "NY": (852, True), "FL": (702, False),
    "WA": (938, True), "IL": (886, False), "PA": (634, True), "OH": (724, True),
    "GA": (738, True), "NC": (700, True), "MI": (600, True), "NJ": (660, True),
    "VA": (577, False), "AZ": (837, False), "MA": (625, False), "TN": (955, True),
    "CO": (781, False), "MN": (749, True), "OR": (0, False), "NV": (823, False),
}
_CITIES = {
    "CA": [("Los Angeles", "900"), ("San Diego", "921"), ("San Jose", "951"), ("Sacramento", "958")],
    "TX": [("Houston", "770"), ("Austin", "787"), ("Dallas", "752"), ("San Antonio", "782")],
    "NY": [("Brooklyn", "112"), ("Buffalo", "142"), ("Rochester", "146")],
    "FL": [("Miami", "331"), ("Orlando", "328"), ("Tampa", "336")],
    "WA": [("Seattle", "981"), ("Spokane", "992"), ("Tacoma", "984")],
    "IL": [("Chicago", "606"), ("Naperville", "605")],
    "PA": [("Philadelphia", "191"), ("Pittsburgh", "152")],
    "OH": [("Columbus", "432"), ("Cleveland", "441")], "GA": [("Atlanta", "303"), ("Savannah", "314")],
    "NC": [("Charlotte", "282"), ("Raleigh", "276")],
    "MI": [("Detroit", "482"), ("Grand Rapids", "495")],
    "NJ": [("Newark", "071"), ("Jersey City", "073")],
    "VA": [("Richmond", "232"), ("Arlington", "222")],
    "AZ": [("Phoenix", "850"), ("Tucson", "857")], "MA": [("Boston", "021"), ("Worcester", "016")],
    "TN": [("Nashville", "372"), ("Memphis", "381")], "CO": [("Denver", "802"), ("Boulder", "803")],
    "MN": [("Minneapolis", "554"), ("Saint Paul", "551")],
    "OR": [("Portland", "972"), ("Eugene", "974")],
    "NV": [("Las Vegas", "891"), ("Reno", "895")],
}
_STATE_WEIGHTS = {"CA": 12, "TX": 9, "NY": 7, "FL": 7, "WA": 3, "IL": 4, "PA": 4, "OH": 4, "GA": 3,
                  "NC": 3, "MI": 3, "NJ": 3, "VA": 3, "AZ": 2, "MA": 2, "TN": 2, "CO": 2, "MN": 2,
                  "OR": 1, "NV": 1}
_FIRST = ("Olivia Liam Emma Noah Ava Elijah Sophia James Isabella William Mia Benjamin Amelia Lucas "
          "Harper Henry Evelyn Theo Abigail Jack Emily Levi Ella Mateo Avery Daniel Sofia Sebastian "
          "Camila Aiden Aria Jackson Scarlett Logan Luna Owen Chloe Samuel Layla Ethan Zoe Leo Nora "
          "Wyatt Lily Carter Hannah Julian Grace Jayden Priya Diego Mei Omar Fatima Kenji Aaliyah "
          "Andre Ximena Tyrone Yuki Malik Ana Hiro Jasmine Carlos").split()
_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
         "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
         "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
         "Nguyen Hill "
         "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Kim Chen "
         "Singh Okafor Cohen Murphy Rossi Tanaka Silva Novak Park").split()
_STREETS = ("Maple Oak Pine Cedar Elm Lake Hill Park Washington Lincoln Sunset Ridge Highland River "
            "Meadow Forest Spring Willow Chestnut Valley Church Mill Franklin Jefferson "
            "Madison").split()
_STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl")

_SHOPS = [  # name, email, hold minutes, auto-approve hours, ship within hours, return days, catalogue
    ("Juniper & Oak Home", "orders@juniper-oak.example.com", 60, None, 72, 30, "home"),
    ("Voltline Gadgets", "support@voltline.example.com", 60, None, 48, 30, "tech"),
    ("Petal Lab Beauty", "hello@petallab.example.com", 30, 1, 72, 7, "beauty"),
]
_CATALOGUE = {  # prefix, items (title, base price in cents), variants
    "home": ("JO", [("Stoneware Mug 12 oz", 1499), ("Linen Table Runner 72 in", 2899),
                    ("Soy Candle 8 oz", 1899), ("Bamboo Cutting Board Set", 3499),
                    ("Chunky Knit Throw 50x60 in", 4999), ("Glass Storage Jars, Set of 4", 2699),
                    ("Waffle Bath Towel", 2199), ("Ceramic Planter 6 in", 2399),
                    ("Pour-Over Coffee Dripper", 2599), ("Velvet Cushion Cover 18 in", 1699),
                    ("Cast Iron Skillet 10 in", 3999), ("Reed Diffuser 100 ml", 2299)],
             ["Sand", "Sage", "Charcoal", "Oat", "Terracotta", "Ivory"]),
    "tech": ("VL", [("Fast Charger 30W USB-C", 1999), ("Braided USB-C Cable 6 ft", 1299),
                    ("Power Bank 10000 mAh", 2999), ("Wireless Earbuds", 4999),
                    ("Magnetic Phone Mount", 1899), ("Clear Phone Case", 1499),
                    ("Smart LED Strip 16 ft", 2799), ("Bluetooth Speaker Mini", 3999),
                    ("Laptop Stand Aluminium", 3499), ("Ring Light 10 in", 2499),
                    ("Screen Protector 2-Pack", 999), ("Smart Plug 4-Pack", 2599)],
             ["Black", "White", "Graphite", "Blue", "Pink", "Green"]),
    "beauty": ("PL", [("Hydrating Serum 30 ml", 2899), ("Lip Oil", 1499), ("Clay Mask 100 g", 2199),
                      ("Vitamin C Cream 50 ml", 3299), ("Micellar Water 400 ml", 1299),
                      ("Setting Spray 100 ml", 1899), ("Eyeshadow Palette 12", 3499),
                      ("Body Butter 200 g", 2399), ("Hair Repair Mask", 2699),
                      ("Mineral Sunscreen SPF 50", 2499), ("Brow Gel", 1399), ("Jade Roller", 1999)],
               ["Original", "Rose", "Unscented", "Travel Size", "Nude", "Berry"]),
}
_CARRIERS = ("USPS", "UPS", "FedEx")

_BUYER_REASON_WEIGHTS = {"no_longer_needed": 30, "better_price": 14, "bought_by_mistake": 14,
                         "change_address": 10, "incorrect_address": 5, "change_payment": 3,
                         "discount_not_expected": 5, "high_shipping_fee": 4, "forgot_coupon": 6,
                         "dont_want_to_wait": 5, "not_shipped_on_time": 6, "add_items": 6}
_SELLER_REASONS = (("out_of_stock", 45), ("unable_to_deliver", 25), ("pricing_error", 15),
                   ("buyer_requested", 15))
_PACKAGE_REASONS = (("out_of_stock", 70), ("unable_to_deliver", 30))


def _table(pairs) -> list:
    """A lookup list for weighted choices: table[int(random() * len(table))]."""
    out = []
    for value, weight in pairs:
        out.extend([value] * weight)
    return out


# -- time formats -------------------------------------------------------------
class _SqliteTime:
    """Integer epoch seconds -> the text SQLAlchemy's SQLite DATETIME stores for the
    same aware UTC datetime ("2026-11-20 09:30:00.000000"), without a datetime per
    value: a day's text plus one of 86,400 times of day."""

    _time_of_day: list[str] = []

    def __init__(self):
        if not _SqliteTime._time_of_day:
            minutes = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
            seconds = [f"{s:02d}.000000" for s in range(60)]
            _SqliteTime._time_of_day = [hm + sec for hm in minutes for sec in seconds]
        self.tod = _SqliteTime._time_of_day
        self.days: dict[int, str] = {}

    def day(self, d: int) -> str:
        text = self.days.get(d)
        if text is None:
            text = self.days[d] = (datetime(1970, 1, 1) + timedelta(days=d)).strftime("%Y-%m-%d ")
        return text

    def cover(self, first: int, last: int) -> dict[int, str]:
        """Fill in the days of [first, last] (epoch seconds) so callers can index directly."""
        for d in range(first // _DAY, last // _DAY + 1):
            self.day(d)
        return self.days

    def __call__(self, t: int) -> str:
        d, r = divmod(t, _DAY)
        return (self.days.get(d) or self.day(d)) + self.tod[r]


def _aware(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


# -- the plan: everything a chunk needs, picklable -------------------------------
class _Plan:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class _Line:
    """An order line while a timeline is replayed (the attributes refunds/rules read)."""

    __slots__ = COLUMNS["order_lines"]

    def __init__(self, row: list):
        (self.id, self.order_id, self.package_id, self.product_id, self.sku, self.title,
         self.quantity, self.unit_original_price, self.seller_discount, self.platform_discount,
         self.tax, self.cancelled_quantity) = row

    def row(self) -> tuple:
        return (self.id, self.order_id, self.package_id, self.product_id, self.sku, self.title,
                self.quantity, self.unit_original_price, self.seller_discount,
                self.platform_discount, self.tax, self.cancelled_quantity)


class _Package:
    __slots__ = ("id", "status", "tracking_number", "shipping_provider", "packed_at",
                 "collected_at", "delivered_at", "returned_at", "lines")

    def __init__(self, package_id: str, lines: list[_Line]):
        self.id = package_id
        self.status = "awaiting_shipment"
        self.tracking_number = self.shipping_provider = None
        self.packed_at = self.collected_at = self.delivered_at = self.returned_at = None
        self.lines = lines


class _Order:
    """The order while its timeline is replayed (the attributes rules, refunds and
    core.effects read)."""

    __slots__ = ("id", "status", "currency", "paid_at", "hold_until", "original_shipping_fee",
                 "shipping_fee_seller_discount", "shipping_fee_platform_discount", "shipping_tax",
                 "completed_at", "completes_at", "version", "updated_at")


class _OrderView:
    __slots__ = ("status", "paid_at")

    def __init__(self, status, paid_at):
        self.status, self.paid_at = status, paid_at


class _ShopView:
    """The shop as rules and core.effects read it."""

    __slots__ = ("name", "auto_approve_hours", "min_app_version", "return_window_days")

    def __init__(self, shop: tuple):
        (_, self.name, _, _, self.auto_approve_hours, self.min_app_version, _,
         self.return_window_days, *_) = shop


class _BuyerView:
    __slots__ = ("id", "name", "email")

    def __init__(self, buyer: tuple):
        self.id, self.name, self.email = buyer[:3]


class _Request:
    """A buyer's request while it is pending: its row, written once it is answered (or at
    the end, still pending)."""

    __slots__ = COLUMNS["cancellations"]

    def __init__(self, row: dict):
        for column in self.__slots__:
            setattr(self, column, row[column])

    def row(self) -> dict:
        return {column: getattr(self, column) for column in self.__slots__}


# -- one chunk ------------------------------------------------------------------
def _chunk(plan: _Plan, k: int) -> dict[str, list]:
    """Rows for orders [k*CHUNK, (k+1)*CHUNK): a pure function of (plan, k)."""
    return _ChunkBuilder(plan, k).build()


class _ChunkBuilder:
    def __init__(self, plan: _Plan, k: int):
        self.plan = plan
        self.k = k
        self.rng = Random(f"orderdesk-synthetic:{plan.seed}:{k}")
        self.fmt = _SqliteTime()
        longest = max((shop[7] * _DAY for shop in plan.shops), default=0) + \
            max((shop[6] * _HOUR for shop in plan.shops), default=0)
        self.days = self.fmt.cover(plan.now - (DAYS + 2) * _DAY, plan.now + longest + 2 * _DAY)
        self.rows = {name: [] for name in TABLES}
        self.rows["_refusals"] = []  # buyer ids, one per refused delivery
        # the last ID given, per kind, as a number (prefix included): chunk k has its own block
        self.ids = {kind: int(PREFIX[kind]) * 10**15 + plan.id_base[kind]
                    + k * CHUNK * PER_ORDER[kind] * ID_STRIDE for kind in PER_ORDER}

    def new_id(self, kind: str) -> str:
        n = self.ids[kind] = self.ids[kind] + 1 + int(self.rng.random() * ID_STRIDE)
        return str(n)

    def build(self) -> dict[str, list]:
        plan, rng = self.plan, self.rng
        first = self.k * CHUNK
        n = min(plan.orders, first + CHUNK) - first
        if n <= 0:
            return self.rows
        for created in _placement_times(plan, first, n, rng):
            self.order(created)
        return self.rows

    def order(self, created: int) -> None:
        """One order: who, what, how it ships and pays, then its timeline up to `now`,
        replayed event by event when something is cancelled or refused, else straight."""
        plan, R = self.plan, self.rng.random
        shop = plan.shops[plan.shop_table[int(R() * len(plan.shop_table))]]
        buyer = plan.buyers[int(R() * len(plan.buyers))]
        order_id = self.new_id("order")
        lines, items_total, split = self.lines(order_id, shop, buyer)
        fee, ship_seller, ship_platform, shipping_tax = self.shipping(items_total, buyer)
        package_ids, groups = self.packages(lines, split)
        D, T = self.days, self.fmt.tod  # epoch seconds -> text, by day and time of day
        order_row = [order_id, shop[0], buyer[0], None, shop[2], D[created // _DAY] + T[created % _DAY], None, None,
                     None, None, None, buyer[1], buyer[3], fee, ship_seller, ship_platform,
                     shipping_tax, 1, None]
        paid = self.payment(created)
        if paid > plan.now:  # not paid yet: nothing has happened but the placing
            self.unpaid(order_row, package_ids, lines)
            return
        hold_until = paid + shop[3] * 60
        ship_by = paid + shop[6] * _HOUR
        order_row[6] = D[paid // _DAY] + T[paid % _DAY]
        order_row[7] = D[hold_until // _DAY] + T[hold_until % _DAY]
        order_row[8] = D[ship_by // _DAY] + T[ship_by % _DAY]
        logistics, refused = self.logistics(package_ids, hold_until, buyer)
        scenario = _scenario(R, paid, hold_until, logistics)
        if scenario or refused:
            self.replay(order_row, created, package_ids, groups, lines, shop, buyer, paid,
                        hold_until, logistics, scenario)
        else:
            self.straight(order_row, created, package_ids, logistics, hold_until, shop[7])
            self.rows["order_lines"].extend(lines)

    def lines(self, order_id: str, shop: tuple, buyer: tuple) -> tuple[list[list], int, bool]:
        """1-4 products, 1-5 units each, discounts now and then, local sales tax; what the
        items cost; whether the order ships in two packages (DOMAIN.md: splitting may
        divide a line)."""
        plan, R = self.plan, self.rng.random
        products, product_table, tax_bp = shop[8], shop[9], buyer[4]
        n_lines = plan.n_lines_table[int(R() * len(plan.n_lines_table))]
        split = R() < 0.10
        if split and n_lines == 1 and R() < 0.6:
            n_lines = 2
        picked: list[int] = []
        for _ in range(n_lines):
            p = product_table[int(R() * len(product_table))]
            if p not in picked:
                picked.append(p)
        n_units = 2 + int(R() * 4) if split and len(picked) == 1 else 0
        lines = []
        items_total = 0
        qty_table, pct, voucher = plan.qty_table, plan.pct, plan.voucher
        for p in picked:
            product_id, sku, title, price = products[p]
            qty = n_units or qty_table[int(R() * len(qty_table))]
            gross = price * qty
            seller = gross * pct[int(R() * len(pct))] // 100 if R() < 0.22 else 0
            platform = min(gross - seller - 1, voucher[int(R() * len(voucher))]) if R() < 0.12 else 0
            paid_items = gross - seller - platform
            items_total += paid_items
            lines.append([None, order_id, None, product_id, sku, title, qty, price, seller, platform,
                          (paid_items * tax_bp + 5000) // 10000, 0])
        return lines, items_total, split

    def shipping(self, items_total: int, buyer: tuple) -> tuple[int, int, int, int]:
        """The fee, free over $35 from the seller most of the time, vouchers now and then,
        and its tax where the buyer's state taxes shipping."""
        R = self.rng.random
        fee = self.plan.fee_table[int(R() * len(self.plan.fee_table))]
        ship_seller = ship_platform = 0
        if items_total >= 3500 and R() < 0.7:
            ship_seller = fee
        elif R() < 0.15:
            ship_platform = min(fee, 300)
        tax_bp, taxes_shipping = buyer[4], buyer[5]
        shipping_tax = ((fee - ship_seller - ship_platform) * tax_bp + 5000) // 10000 \
            if taxes_shipping else 0
        return fee, ship_seller, ship_platform, shipping_tax

    def packages(self, lines: list[list], split: bool) -> tuple[list[str], list[list]]:
        """One package, or two: the lines divided between them, or one line divided in
        two lines of the same SKU (its discounts and tax divided by units). Gives the
        lines their ids and packages."""
        R = self.rng.random
        package_ids = [self.new_id("package")]
        groups = [lines]
        if split:
            package_ids.append(self.new_id("package"))
            if len(lines) > 1:
                cut = 1 + int(R() * (len(lines) - 1))
                groups = [lines[:cut], lines[cut:]]
            else:
                whole = lines[0]
                q = whole[6]
                part = 1 + int(R() * (q - 1))
                other = list(whole)
                other[6] = q - part
                for i in (8, 9, 10):  # discounts and tax, divided by units
                    other[i] = whole[i] * (q - part) // q
                    whole[i] -= other[i]
                whole[6] = part
                lines.append(other)
                groups = [[whole], [other]]
        n, stride = self.ids["line"], ID_STRIDE  # self.new_id("line") for each, inline
        for package_id, group in zip(package_ids, groups):
            for line in group:
                n += 1 + int(R() * stride)
                line[0] = str(n)
                line[2] = package_id
        self.ids["line"] = n
        return package_ids, groups

    def payment(self, created: int) -> int:
        """When it was paid: minutes after placing, or (a few, more among the newest
        orders) hours later, maybe after `now`."""
        R = self.rng.random
        fresh = created > self.plan.now - 6 * _HOUR
        if R() < (0.2 if fresh else 0.05):
            return created + 1800 + int(R() * 20 * _HOUR)
        return created + 20 + int(R() * 280)

    def unpaid(self, order_row: list, package_ids: list[str], lines: list[list]) -> None:
        order_row[3] = rules.derive_order_status(["awaiting_shipment"] * len(package_ids), paid=False)
        order_row[18] = order_row[5]
        self.rows["orders"].append(order_row)
        for package_id in package_ids:
            self.rows["packages"].append((package_id, order_row[0], "awaiting_shipment", None, None,
                                          None, None, None, None))
        self.rows["order_lines"].extend(lines)
        self.rows["order_events"].append((order_row[0], order_row[5], "buyer", "placed", "{}"))

    def logistics(self, package_ids: list[str], hold_until: int, buyer: tuple) -> tuple[list, bool]:
        """Per package: packed, collected, arrived, and (refused at the door) back."""
        R, refuse_p = self.rng.random, buyer[6]
        logistics = []
        refused = False
        for n in range(len(package_ids)):
            if n:  # the second package of a split order: a back-ordered item
                pack = logistics[0][0] + 6 * _HOUR + int(R() * 96 * _HOUR)
            else:
                pack = hold_until + 1800 + int(R() * R() * 60 * _HOUR)
            collect = pack + _HOUR + int(R() * 30 * _HOUR)
            arrive = collect + _DAY + int(R() ** 1.5 * 6 * _DAY)
            back = None
            if refuse_p and R() < refuse_p:  # refused at the door; back days later
                back = arrive + 2 * _DAY + int(R() * 5 * _DAY)
                refused = True
            logistics.append((pack, collect, arrive, back))
        return logistics, refused

    def straight(self, order_row: list, created: int, package_ids: list[str], logistics: list,
                 hold_until: int, return_days: int) -> None:
        """The common case, nothing cancelled: each package as far as it got by now."""
        now, D, T = self.plan.now, self.days, self.fmt.tod
        order_id = order_row[0]
        events = self.rows["order_events"]
        events.append((order_id, order_row[5], "buyer", "placed", "{}"))
        version, updated = 1, created
        statuses = []
        package_rows = self.rows["packages"]
        for package_id, (pack, collect, arrive, _) in zip(package_ids, logistics):
            if pack > now:
                statuses.append("awaiting_shipment")
                package_rows.append((package_id, order_id, "awaiting_shipment", None, None,
                                     None, None, None, None))
                continue
            detail = '{"package_id": "' + package_id + '"}'
            carrier = _CARRIERS[int(package_id[-2:]) % 3]
            packed = D[pack // _DAY] + T[pack % _DAY]
            events.append((order_id, packed, "seller", "packed", detail))
            collected = delivered = None
            status, last = "awaiting_collection", pack
            if collect <= now:
                collected = D[collect // _DAY] + T[collect % _DAY]
                events.append((order_id, collected, "seller", "handed_over", detail))
                status, last = "in_transit", collect
                if arrive <= now:
                    delivered = D[arrive // _DAY] + T[arrive % _DAY]
                    events.append((order_id, delivered, "system", "delivered", detail))
                    status, last = "delivered", arrive
            version += 1 + (collected is not None) + (delivered is not None)
            updated = max(updated, last)
            statuses.append(status)
            package_rows.append((package_id, order_id, status, _tracking(carrier, package_id),
                                 carrier, packed, collected, delivered, None))
        completed = False
        if statuses.count("delivered") == len(statuses):
            completes = updated + return_days * _DAY  # the last delivery + the return window
            order_row[9] = D[completes // _DAY] + T[completes % _DAY]
            if completes <= now:
                completed = True
                order_row[10] = order_row[9]
                events.append((order_id, order_row[9], "system", "completed", "{}"))
                version += 1
                updated = completes
        order_row[3] = rules.derive_order_status(statuses, paid=True, on_hold=now < hold_until,
                                                 completed=completed)
        order_row[17] = version
        order_row[18] = D[updated // _DAY] + T[updated % _DAY]
        self.rows["orders"].append(order_row)

    def replay(self, order_row, created, package_ids, groups, lines, shop, buyer, paid,
               hold_until, logistics, scenario) -> None:
        """An order with a cancellation or a refusal: its timeline replayed event by event."""
        o = _Order()
        (o.id, o.currency, o.paid_at, o.hold_until) = order_row[0], order_row[4], paid, hold_until
        o.status = "on_hold"
        (o.original_shipping_fee, o.shipping_fee_seller_discount,
         o.shipping_fee_platform_discount, o.shipping_tax) = order_row[13:17]
        o.completed_at = o.completes_at = None
        o.version, o.updated_at = 1, created
        by_row = {id(row): _Line(row) for row in lines}
        packages = [_Package(package_id, [by_row[id(row)] for row in group])
                    for package_id, group in zip(package_ids, groups)]
        state = _Replay(self, o, packages, [by_row[id(row)] for row in lines], shop, buyer)
        state.at(created, 0, "placed")
        for package, (pack, collect, arrive, back) in zip(packages, logistics):
            state.at(pack, 1, "pack", package)
            state.at(collect, 1, "collect", package)
            if back is None:
                state.at(arrive, 1, "deliver", package)
            else:
                state.at(arrive, 1, "refuse", package)
                state.at(back, 1, "return", package)
        for t, kind, n in scenario:
            state.at(t, 2, kind, packages[n] if n is not None else None)
        state.run(self.plan.now)
        state.finish(order_row)


def _placement_times(plan: _Plan, first: int, n: int, rng: Random) -> list[int]:
    """When orders [first, first + n) were placed, oldest first. The density grows a
    little towards `now` (a growing shop) and the last 6 hours are busy (a live sale),
    so the newest orders are unpaid or on hold. Quantiles are global, so chunk k
    covers its own slice of time and IDs grow with time."""
    span = DAYS * _DAY
    recent = 6 * _HOUR
    body = span - recent
    busy = plan.busy_share
    growth = plan.growth
    times = []
    for u in sorted(rng.random() for _ in range(n)):
        q = (first + u * n) / plan.orders
        if q < 1 - busy:
            x = q / (1 - busy)
            if growth:
                x = ((1 + growth * x * (2 + growth)) ** 0.5 - 1) / growth
            t = plan.now - span + int(x * body)
        else:
            t = plan.now - recent + int((q - 1 + busy) / busy * (recent - 60))
        times.append(t)
    return times


def _scenario(R, paid: int, hold_until: int, logistics: list) -> list:
    """Maybe a cancellation for this order: [(time, kind, package index or None)]."""
    if len(logistics) == 1:
        first_pack = last_pack = logistics[0][0]
        first_collect = logistics[0][1]
    else:
        first_pack = min(l[0] for l in logistics)
        last_pack = max(l[0] for l in logistics)
        first_collect = min(l[1] for l in logistics)
    out = []
    r = R()
    if r < 0.050:  # the buyer cancels before it is packed
        out.append((paid + int((first_pack - paid) * R() ** 2), "buyer_cancel", None))
    elif r < 0.068:  # the seller cancels the whole order
        out.append((hold_until + int((first_collect - hold_until) * R()), "seller_cancel", None))
    elif r < 0.083:  # "Contact seller" once it is packed; answered, or not
        if last_pack < first_collect:
            t = last_pack + int((first_collect - last_pack) * R())
            out.append((t, "request", None))
            answer = R()
            if answer < 0.6:
                out.append((t + 1800 + int(R() * 8 * _HOUR), "approve", None))
            elif answer < 0.8:
                out.append((t + 1800 + int(R() * 8 * _HOUR), "reject", None))
            else:  # nobody answers: time approves it at the deadline, unless it ships first
                out.append((t + _DEADLINE, "auto_approve", None))
    elif r < 0.103:  # Out of Stock: some units of an item, the rest ships
        out.append((hold_until + int((first_pack - hold_until) * R()), "items", None))
    if len(logistics) > 1 and R() < 0.2:  # the back-ordered package never comes
        end = min(logistics[1][1], logistics[0][2])
        out.append((hold_until + int((end - hold_until) * R()), "package_cancel", 1))
    return out


class _Replay:
    """Applies an order's timeline in order, with the app's rules, and writes what the
    app writes (core.effects). It is the order's state as core.effects reads it:
    `order`, `shop`, `buyer`, `packages`, `lines`, `pending`."""

    def __init__(self, builder: _ChunkBuilder, o: _Order, packages, lines, shop, buyer):
        self.b = builder
        self.order = o
        self.packages = packages
        self.lines = lines
        self.shop = _ShopView(shop)
        self.buyer = _BuyerView(buyer)
        self.pending: _Request | None = None
        self.queue: list[tuple] = []
        self.seq = 0

    def at(self, t: int, rank: int, kind: str, arg=None) -> None:
        """Schedule `kind` at `t` (rank orders events of the same second)."""
        self.seq += 1
        heappush(self.queue, (t, rank, self.seq, kind, arg))

    def run(self, now: int) -> None:
        queue = self.queue
        while queue and queue[0][0] <= now:
            t, _, _, kind, arg = heappop(queue)
            self.apply(t, kind, arg)

    def derive(self, t: int) -> str:
        o = self.order
        return rules.derive_order_status(
            [p.status for p in self.packages], paid=o.paid_at is not None and o.paid_at <= t,
            on_hold=o.hold_until is not None and t < o.hold_until,
            completed=o.completed_at is not None)

    def apply(self, t: int, kind: str, arg) -> None:
        o = self.order
        if kind == "placed":
            self.event(t, "buyer", "placed", "{}")
            return
        o.status = self.derive(t)
        if o.status == "cancelled":
            return
        getattr(self, "do_" + kind)(t, arg)

    # -- writing what happened ---------------------------------------------------------
    def take(self, writes: effects.Writes) -> None:
        """What the app would write: updates to this order's objects, new rows to the
        chunk (a request is kept here until it is answered: it changes later)."""
        request = self.pending
        effects.apply(self, writes)
        if request is not None and self.pending is None:  # answered: its row is final
            self.record("cancellations", request.row())
        for table, rows in writes.inserts.items():
            for row in rows:
                if table == "cancellations" and row["status"] == "request_pending":
                    self.pending = _Request(row)
                else:
                    self.record(table, row)
        self.b.rows["_refusals"].extend(writes.refusals)

    def record(self, table: str, row: dict) -> None:
        """A row into the chunk, as history: emails were sent, older notifications read."""
        b, fmt = self.b, self.b.fmt
        if table == "outbox_emails":
            row |= {"status": "sent", "attempts": 1, "sent_at": min(row["created_at"] + 30, b.plan.now)}
        elif table == "notifications":
            read = row["created_at"] + 600 + int(b.rng.random() * 2 * _DAY)
            row["read_at"] = read if read < b.plan.now - _DAY else None
        values = [row[column] for column in COLUMNS[table]]
        for i in _TIMES_AT[table]:
            if values[i] is not None:
                values[i] = fmt(values[i])
        b.rows[table].append(tuple(values))

    def touch(self, t: int) -> None:
        for column, value in effects.order_touched(self, t).items():
            setattr(self.order, column, value)

    def event(self, t: int, actor: str, kind: str, detail: str) -> None:
        """An event of the order's own timeline (placed, logistics, completed), as the
        straight path writes them."""
        self.b.rows["order_events"].append((self.order.id, self.b.fmt(t), actor, kind, detail))

    def finish(self, order_row: list) -> None:
        """After the replay: the status at `now`, completion, the order's final rows."""
        b, o, now, fmt = self.b, self.order, self.b.plan.now, self.b.fmt
        o.status = self.derive(now)
        if o.status == "delivered" and o.completes_at is not None and o.completes_at <= now:
            o.completed_at = o.completes_at
            o.status = self.derive(now)
            self.event(o.completes_at, "system", "completed", "{}")
            o.version += 1
            o.updated_at = o.completes_at
        order_row[3] = o.status
        order_row[9] = fmt(o.completes_at) if o.completes_at is not None else None
        order_row[10] = fmt(o.completed_at) if o.completed_at is not None else None
        order_row[17] = o.version
        order_row[18] = fmt(o.updated_at)
        b.rows["orders"].append(order_row)
        package_rows = b.rows["packages"]
        for p in self.packages:
            package_rows.append((
                p.id, o.id, p.status, p.tracking_number, p.shipping_provider,
                fmt(p.packed_at) if p.packed_at is not None else None,
                fmt(p.collected_at) if p.collected_at is not None else None,
                fmt(p.delivered_at) if p.delivered_at is not None else None,
                fmt(p.returned_at) if p.returned_at is not None else None))
        b.rows["order_lines"].extend(line.row() for line in self.lines)
        if self.pending is not None:  # still pending at `now`
            self.record("cancellations", self.pending.row())

    # -- logistics ------------------------------------------------------------------
    def do_pack(self, t, p: _Package) -> None:
        if not rules.logistics("pack", self.order, p).allowed:
            return
        p.status, p.packed_at = "awaiting_collection", t
        p.shipping_provider = _CARRIERS[int(p.id[-2:]) % 3]
        p.tracking_number = _tracking(p.shipping_provider, p.id)
        self.touch(t)
        self.event(t, "seller", "packed", f'{{"package_id": "{p.id}"}}')

    def do_collect(self, t, p: _Package) -> None:
        if p.status != "awaiting_collection":
            return
        p.status, p.collected_at = "in_transit", t
        self.touch(t)
        self.event(t, "seller", "handed_over", f'{{"package_id": "{p.id}"}}')
        if self.pending is not None:  # shipping counts as a rejection (DOMAIN.md)
            self.take(effects.request_closed(self, self.pending, "already_shipped", now=t,
                                             actor="system"))

    def do_deliver(self, t, p: _Package) -> None:
        if p.status != "in_transit":
            return
        p.status, p.delivered_at = "delivered", t
        self.touch(t)
        self.event(t, "system", "delivered", f'{{"package_id": "{p.id}"}}')

    def do_refuse(self, t, p: _Package) -> None:
        if rules.refuse_delivery(self.order, p).allowed:
            self.take(effects.delivery_refused(self, p, now=t))

    def do_return(self, t, p: _Package) -> None:
        if rules.logistics("receive_return", self.order, p).allowed:
            self.cancel(t, self.live(p), role="system", scope="package", reason="package_rejected",
                        actor="system", package_id=p.id)

    # -- cancellations -----------------------------------------------------------------
    def do_buyer_cancel(self, t, _) -> None:
        o, shop = self.order, self.shop
        verdict = rules.buyer_cancel(_OrderView(o.status, _aware(o.paid_at)), shop, _aware(t))
        if not verdict.allowed:
            return
        reason = self.buyer_reason(o.status)
        if verdict.mode == "request":  # past the shop's auto-approve window (DOMAIN.md)
            self.open_request(t, reason)
            self.at(t + 1800 + int(self.b.rng.random() * 12 * _HOUR), 2, "approve")
            return
        self.cancel(t, self.live(), role="buyer", scope="order", reason=reason, actor="buyer",
                    asked=effects.buyer_asked(reason))

    def do_seller_cancel(self, t, _) -> None:
        if rules.seller_cancel_order(self.order).allowed:
            reason = _pick(self.b.plan.seller_reasons, self.b.rng)
            self.cancel(t, self.live(), role="seller", scope="order", reason=reason, actor="seller",
                        asked=effects.seller_asked("order", reason))

    def do_package_cancel(self, t, p: _Package) -> None:
        if rules.seller_cancel_package(self.order, p).allowed:
            reason = _pick(self.b.plan.package_reasons, self.b.rng)
            self.cancel(t, self.live(p), role="seller", scope="package", reason=reason,
                        actor="seller", package_id=p.id,
                        asked=effects.seller_asked("package", reason, p.id))

    def do_items(self, t, _) -> None:
        """Seed 003: Out of Stock, some units of one item in an Awaiting Shipment package."""
        R = self.b.rng.random
        by_id = {p.id: p for p in self.packages}
        candidates = []
        for line in self.lines:
            verdict = rules.item_cancel(self.order, by_id[line.package_id], line)
            if not verdict.allowed:
                continue
            others = sum(l.quantity - l.cancelled_quantity for l in self.lines) - verdict.max_quantity
            most = verdict.max_quantity if others > 0 else verdict.max_quantity - 1
            if most > 0:
                candidates.append((line, most))
        if not candidates or not rules.reason_fits("seller", "out_of_stock", self.order.status,
                                                   scope="items").allowed:
            return
        line, most = candidates[int(R() * len(candidates))]
        items = {line.id: 1 + int(R() * most)}
        self.cancel(t, items, role="seller", scope="items", reason="out_of_stock", actor="seller",
                    asked=effects.seller_asked("items", "out_of_stock", items=items))

    def do_request(self, t, _) -> None:
        if rules.buyer_request(self.order, request_pending=self.pending is not None).allowed:
            self.open_request(t, self.buyer_reason(self.order.status))

    def do_approve(self, t, _) -> None:
        if self.pending is not None and rules.seller_cancel_order(self.order).allowed:
            self.cancel(t, self.live(), role="buyer", scope="order", reason=self.pending.reason,
                        actor="seller", request=self.pending)

    def do_auto_approve(self, t, _) -> None:
        if self.pending is not None and rules.seller_cancel_order(self.order).allowed:
            refund = refunds.refund_for(self.order, self.lines, self.live())
            self.take(effects.auto_approval(self, self.pending, refund, now=t))

    def do_reject(self, t, _) -> None:
        reason = "already_packed"
        if self.pending is not None and rules.reject_reason_fits(reason, self.order,
                                                                 self.packages).allowed:
            self.take(effects.request_closed(self, self.pending, reason, now=t, actor="seller"))

    # -- helpers ------------------------------------------------------------------------
    def live(self, package: _Package | None = None) -> dict[str, int]:
        lines = package.lines if package is not None else self.lines
        return {line.id: line.quantity - line.cancelled_quantity for line in lines
                if line.quantity > line.cancelled_quantity}

    def buyer_reason(self, status: str) -> str:
        fits = rules.buyer_reasons_for(status)
        table = self.b.plan.buyer_reason_tables.get(status)
        if table is None:
            table = self.b.plan.buyer_reason_tables[status] = _table(
                (key, w) for key, w in _BUYER_REASON_WEIGHTS.items() if key in fits)
        return table[int(self.b.rng.random() * len(table))]

    def open_request(self, t: int, reason: str) -> None:
        self.take(effects.request_opened(self, request_id=self.b.new_id("cancellation"),
                                         reason=reason, now=t, asked=effects.buyer_asked(reason)))

    def cancel(self, t: int, quantities: dict[str, int], *, role: str, scope: str, reason: str,
               actor: str, package_id: str | None = None, request=None,
               asked: str | None = None) -> None:
        if not quantities:
            return
        refund = refunds.refund_for(self.order, self.lines, quantities)
        self.take(effects.cancellation(
            self, refund, now=t, role=role, scope=scope, reason=reason, actor=actor,
            cancellation_id=request.id if request is not None else self.b.new_id("cancellation"),
            package_id=package_id, request=request, asked=asked))


def _pick(table: list, rng: Random):
    return table[int(rng.random() * len(table))]


def _tracking(carrier: str, package_id: str) -> str:
    digits = package_id[3:]
    if carrier == "USPS":
        return "9400111" + digits
    if carrier == "UPS":
        return "1Z" + digits[:6] + "03" + digits[6:]
    return "7" + digits[4:]


# -- the public entry ------------------------------------------------------------------
def generate(db: Database, orders: int, *, seed: int = 0, now: datetime,
             workers: int | None = None) -> dict:
    """Add `orders` synthetic orders placed over the 90 days before `now`, in one
    write transaction. Returns the counts and the seconds it took.

    `workers`: processes that build rows while this one inserts (SQLite only).
    None picks one per CPU, at most 2, when that is safe (Linux fork, no other
    threads) and worth it; 0 builds everything here. The rows are the same either way.
    """
    if orders < 0:
        raise ValueError("the number of orders must be 0 or more")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    started = time.perf_counter()
    now_s = int(now.timestamp())
    nchunks = -(-orders // CHUNK)
    nworkers = _workers(workers, nchunks, orders) if db.is_sqlite else 0
    counts = dict.fromkeys(TABLES, 0)
    refusals: dict[int, int] = {}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small tuples and no cycles: the collector would only cost time
    _SqliteTime()  # its table of times of day, made once and shared with forked workers
    pool = _fork_pool(nworkers) if nworkers else None  # forked before any transaction is open
    try:
        with db.explained(), db.engine.connect() as conn:
            conn = conn.execution_options(orderdesk_write=True)  # BEGIN IMMEDIATE (core.db)
            attached: list[str] = []
            scratch = None
            try:
                with bulk_cache(conn, orders), conn.begin():
                    made = _reference_data(conn, Random(f"orderdesk-synthetic-reference:{seed}"))
                    plan = _plan(conn, orders, seed, now_s, nchunks)
                    if pool is not None and plan.sqlite_text:
                        scratch = _scratch_dir()
                        _insert_from_workers(conn, pool, plan, nchunks, nworkers, scratch,
                                             attached, counts, refusals)
                    else:
                        insert = _inserter(conn, plan.sqlite_text)
                        for k in range(nchunks):
                            rows = _chunk(plan, k)
                            for table in TABLES:
                                if rows[table]:
                                    insert(table, rows[table])
                                    counts[table] += len(rows[table])
                            for buyer_id in rows["_refusals"]:
                                refusals[buyer_id] = refusals.get(buyer_id, 0) + 1
                    _add_refusals(conn, refusals)
            finally:
                for alias in attached:  # SQLite detaches only outside the transaction
                    try:
                        conn.connection.dbapi_connection.execute(f"DETACH DATABASE {alias}")
                    except sqlite3.Error:  # pragma: no cover - the connection is gone
                        pass
                if scratch is not None:
                    shutil.rmtree(scratch, ignore_errors=True)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if gc_was_enabled:
            gc.enable()
    result = {"orders": counts["orders"], "lines": counts["order_lines"],
              "packages": counts["packages"], "cancellations": counts["cancellations"],
              "cancellation_lines": counts["cancellation_lines"],
              "notifications": counts["notifications"], "emails": counts["outbox_emails"],
              "events": counts["order_events"], **made}
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _add_refusals(conn, refusals: dict[int, int]) -> None:
    """Refused deliveries raise the buyer's refusal count (the seller's caution mark)."""
    if not refusals:
        return
    conn.execute(update(Buyer).where(Buyer.id == bindparam("b_id"))
                 .values(refusal_count=Buyer.refusal_count + bindparam("more")),
                 [{"b_id": b, "more": n} for b, n in sorted(refusals.items())])


# -- building in worker processes --------------------------------------------------------
def _workers(requested: int | None, nchunks: int, orders: int) -> int:
    if requested is not None:
        return max(0, requested) if nchunks > 0 else 0
    if orders < WORKERS_MIN_ORDERS or threading.active_count() > 1 \
            or not sys.platform.startswith("linux"):
        return 0
    cpus = len(os.sched_getaffinity(0))
    return min(2, cpus) if cpus > 1 else 0


def _fork_pool(workers: int):
    return multiprocessing.get_context("fork").Pool(workers)


def _scratch_dir() -> str:
    """Where workers write their segment files: memory (/dev/shm) when there is one."""
    shm = "/dev/shm"
    base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    return tempfile.mkdtemp(prefix="orderdesk-synthetic-", dir=base)


def _segments(nchunks: int, count: int) -> list[range]:
    """Chunks grouped into `count` consecutive segments of nearly equal size."""
    count = max(1, min(count, nchunks))
    edges = [nchunks * i // count for i in range(count + 1)]
    return [range(edges[i], edges[i + 1]) for i in range(count)]


def _build_segment(plan: _Plan, chunks: range, path: str) -> tuple[dict, list]:
    """In a worker: build `chunks` and write their rows into a scratch SQLite file
    (plain tables, no indexes, no journal) that the parent copies with INSERT ... SELECT."""
    gc.disable()
    counts = dict.fromkeys(TABLES, 0)
    refusals: list[int] = []
    out = sqlite3.connect(path, isolation_level=None)
    try:
        out.execute("PRAGMA journal_mode=OFF")
        out.execute("PRAGMA synchronous=OFF")
        statements = {}
        for table, cols in COLUMNS.items():
            out.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
            statements[table] = f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})"
        out.execute("BEGIN")
        for k in chunks:
            rows = _chunk(plan, k)
            for table in TABLES:
                if rows[table]:
                    out.executemany(statements[table], rows[table])
                    counts[table] += len(rows[table])
            refusals.extend(rows["_refusals"])
        out.execute("COMMIT")
    finally:
        out.close()
    return counts, refusals


def _insert_from_workers(conn, pool, plan: _Plan, nchunks: int, workers: int, scratch: str,
                         attached: list, counts: dict, refusals: dict) -> None:
    """Workers build segments of chunks into scratch files; this process copies each,
    in order, into the real tables with one INSERT ... SELECT per table (no Python per
    row). SQLite attaches at most 10 databases, so there are at most 8 segments."""
    raw = conn.connection.dbapi_connection
    segments = _segments(nchunks, min(_MAX_SEGMENTS, max(workers * 2, nchunks // 4)))
    jobs = []
    for n, chunks in enumerate(segments):
        path = os.path.join(scratch, f"segment-{n}.db")
        jobs.append((path, pool.apply_async(_build_segment, (plan, chunks, path))))
    copy = {table: f"INSERT INTO main.{table} ({', '.join(cols)}) SELECT {', '.join(cols)} "
                   f"FROM {{alias}}.{table}" for table, cols in COLUMNS.items()}
    for n, (path, job) in enumerate(jobs):
        seg_counts, seg_refusals = job.get()
        alias = f"orderdesk_synthetic_{n}"
        raw.execute("ATTACH DATABASE ? AS " + alias, (path,))
        attached.append(alias)
        for table in TABLES:
            if seg_counts[table]:
                raw.execute(copy[table].format(alias=alias))
                counts[table] += seg_counts[table]
        for buyer_id in seg_refusals:
            refusals[buyer_id] = refusals.get(buyer_id, 0) + 1


_MAX_SEGMENTS = 8


def _inserter(conn, sqlite_text: bool):
    """insert(table, rows): the driver's executemany on SQLite, Core inserts elsewhere
    (times converted back to aware datetimes)."""
    if sqlite_text:
        cursor = conn.connection.dbapi_connection.cursor()
        statements = {table: f"INSERT INTO {table} ({', '.join(cols)}) "
                             f"VALUES ({', '.join('?' * len(cols))})"
                      for table, cols in COLUMNS.items()}

        def insert(table: str, rows: list) -> None:
            cursor.executemany(statements[table], rows)

        return insert

    tables = SQLModel.metadata.tables
    times = {table: [i for i, col in enumerate(cols) if col in _TIME_COLUMNS]
             for table, cols in COLUMNS.items()}

    def insert(table: str, rows: list) -> None:
        cols, at = COLUMNS[table], times[table]
        records = []
        for row in rows:
            record = dict(zip(cols, row))
            for i in at:
                if row[i] is not None:
                    record[cols[i]] = datetime.fromisoformat(row[i]).replace(tzinfo=UTC)
            records.append(record)
        conn.execute(tables[table].insert(), records)

    return insert


def _sqlite_text_ok(conn) -> bool:
    """Do our pre-formatted times match what SQLAlchemy itself would store?"""
    if conn.dialect.name != "sqlite":
        return False
    column_type = Order.__table__.c.created_at.type
    process = column_type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    sample = 1_795_512_345
    return process is not None and process(_aware(sample)) == _SqliteTime()(sample)


# -- reference data ------------------------------------------------------------------------
def _reference_data(conn, rng: Random) -> dict:
    """Shops, products and buyers: reuse what is there, create what is missing."""
    made = {"shops_created": 0, "products_created": 0, "buyers_created": 0}
    if not conn.execute(select(func.count()).select_from(Shop)).scalar():
        conn.execute(Shop.__table__.insert(), [
            {"name": name, "email": email, "currency": "USD", "hold_window_minutes": hold,
             "auto_approve_hours": auto, "min_app_version": "30.0.0", "ship_within_hours": ship,
             "return_window_days": days} for name, email, hold, auto, ship, days, _ in _SHOPS])
        made["shops_created"] = len(_SHOPS)
    if not conn.execute(select(func.count()).select_from(Product)).scalar():
        shops = conn.execute(select(Shop.id, Shop.name).order_by(Shop.id)).all()
        kinds = {name: kind for name, *_, kind in _SHOPS}
        rows = []
        per_shop = -(-200 // len(shops))
        for n, (shop_id, name) in enumerate(shops):
            kind = kinds.get(name, tuple(_CATALOGUE)[n % len(_CATALOGUE)])
            prefix, items, variants = _CATALOGUE[kind]
            combos = [(item, variant) for item in items for variant in variants]
            rng.shuffle(combos)
            for i, ((title, price), variant) in enumerate(sorted(combos[:per_shop])):
                step = rng.choice((-200, -100, 0, 0, 100, 300))
                rows.append({"shop_id": shop_id, "sku": f"{prefix}{shop_id}-{1001 + i}",
                             "title": f"{title}, {variant}", "price": max(499, price + step),
                             "stock": 0 if rng.random() < 0.04 else rng.randrange(5, 600)})
        conn.execute(Product.__table__.insert(), rows)
        made["products_created"] = len(rows)
    if not conn.execute(select(func.count()).select_from(Buyer)).scalar():
        states = _table(_STATE_WEIGHTS.items())
        rows = []
        for i in range(5000):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            state = rng.choice(states)
            city, zip3 = rng.choice(_CITIES[state])
            username = f"{first}.{last}{i + 1}".lower() if rng.random() < 0.5 \
                else f"{first[0]}{last}{i + 1}".lower()
            street = f"{rng.randrange(10, 9900)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}"
            if rng.random() < 0.25:
                street += f", Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}"
            rows.append({"username": username, "name": f"{first} {last}",
                         "email": f"{username}@example.com", "refusal_count": 0,
                         "address": f"{street}, {city}, {state} {zip3}{rng.randrange(100):02d}"})
        conn.execute(Buyer.__table__.insert(), rows)
        made["buyers_created"] = len(rows)
    return made


def _state_of(address: str | None) -> str:
    """The US state of an address that ends like "..., Atlanta, GA 30309", else ""."""
    parts = (address or "").rsplit(",", 1)[-1].split()
    return parts[0] if len(parts) == 2 and len(parts[0]) == 2 and parts[1][:5].isdigit() else ""


def _plan(conn, orders: int, seed: int, now: int, nchunks: int) -> _Plan:
    rng = Random(f"orderdesk-synthetic-plan:{seed}")
    products: dict[int, list] = {}
    for product_id, shop_id, sku, title, price in conn.execute(
            select(Product.id, Product.shop_id, Product.sku, Product.title, Product.price)
            .order_by(Product.id)):
        products.setdefault(shop_id, []).append((product_id, sku, title, price))
    shops, shop_weights = [], []
    for shop in conn.execute(select(
            Shop.id, Shop.name, Shop.currency, Shop.hold_window_minutes, Shop.auto_approve_hours,
            Shop.min_app_version, Shop.ship_within_hours, Shop.return_window_days).order_by(Shop.id)):
        catalogue = products.get(shop[0])
        if not catalogue:
            continue
        ranks = list(range(len(catalogue)))
        rng.shuffle(ranks)  # a few best sellers, a long tail
        popularity = _table((i, max(1, int(60 / (1 + 0.25 * rank)))) for i, rank in enumerate(ranks))
        shops.append((*shop, catalogue, popularity))
        shop_weights.append((len(shops) - 1, 2 + len(catalogue) // 10))
    # Refused deliveries come from a few buyers (seed 000's "blacklist"): those who
    # already refused and about 3% more, each refusing about 3 packages in this run
    # however many orders they get, so a few buyers carry the caution mark, not all.
    rows = conn.execute(select(Buyer.id, Buyer.name, Buyer.email, Buyer.address,
                               Buyer.refusal_count).order_by(Buyer.id)).all()
    per_buyer = 1.1 * orders / max(1, len(rows))  # packages each buyer receives
    refuse_p = min(0.25, 3 / per_buyer) if per_buyer else 0.0
    buyers = []
    for buyer_id, name, email, address, refusals in rows:
        tax_bp, taxes_shipping = _STATES.get(_state_of(address), (800, True))
        refuser = refusals > 0 or rng.random() < 0.03
        buyers.append((buyer_id, name, email, address, tax_bp, taxes_shipping,
                       refuse_p if refuser else 0.0))
    if orders and (not shops or not buyers):
        raise ValueError("synthetic orders need at least one shop with products and one buyer")
    return _Plan(
        seed=seed, orders=orders, now=now, growth=0.6, busy_share=0.01, shops=shops,
        shop_table=_table(shop_weights), buyers=buyers,
        n_lines_table=_table([(1, 55), (2, 25), (3, 13), (4, 7)]),
        qty_table=_table([(1, 62), (2, 20), (3, 9), (4, 5), (5, 4)]),
        pct=[5, 10, 10, 15, 15, 20, 25, 30], voucher=[100, 200, 300, 500],
        fee_table=_table([(499, 35), (599, 25), (699, 15), (799, 15), (999, 10)]),
        seller_reasons=_table(_SELLER_REASONS), package_reasons=_table(_PACKAGE_REASONS),
        buyer_reason_tables={}, sqlite_text=_sqlite_text_ok(conn),
        id_base=_reserve_ids(conn, nchunks, Random(f"orderdesk-synthetic-ids:{seed}")))


def _reserve_ids(conn, nchunks: int, rng: Random) -> dict[str, int]:
    """Per kind, a block of the 15-digit ID space with no existing row in it."""
    tables = {"order": "orders", "package": "packages", "line": "order_lines",
              "cancellation": "cancellations"}
    bases = {}
    for kind, table in tables.items():
        span = (nchunks * CHUNK * PER_ORDER[kind] + 1) * ID_STRIDE
        prefix = int(PREFIX[kind]) * 10**15
        for _ in range(1000):
            base = rng.randrange(10**15 - span)
            taken = conn.execute(text(f"SELECT 1 FROM {table} WHERE id >= :lo AND id <= :hi LIMIT 1"),
                                 {"lo": str(prefix + base), "hi": str(prefix + base + span)}).first()
            if taken is None:
                bases[kind] = base
                break
        else:  # pragma: no cover - the ID space is 10**15 wide
            raise RuntimeError(f"no free block of {table} IDs")
    return bases
