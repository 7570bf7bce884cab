"""The tables. Alembic migrations in `core/migrations` are the schema's source;
these classes must match them (a test compares the two).

Conventions: money is integer minor units; times are timezone-aware UTC;
order, package, line and cancellation IDs are TikTok-style 18-digit strings.
`Order.status` is stored (so the board can filter on an index) but always
written from `rules.derive_order_status`, never set by hand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlmodel import Field, SQLModel


class Shop(SQLModel, table=True):
    __tablename__ = "shops"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    email: str
    currency: str = "USD"
    hold_window_minutes: int = 60
    # None: buyers' cancels are approved automatically until the order is packed
    # (seed 000). A number: only within that many hours of payment.
    auto_approve_hours: int | None = None
    min_app_version: str = "30.0.0"
    ship_within_hours: int = 72  # the collection SLA: paid + this = the order's ship_by
    return_window_days: int = 30
    # The SLA clock (issue 15): unpaid this long after the order, or a package still not
    # packed this long after payment, and the system cancels (core.rules, SLA part).
    pay_within_hours: int = 24
    pack_within_hours: int = 48


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "sku"),
                      UniqueConstraint("shop_id", "barcode", name="uq_products_shop_barcode"))

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    sku: str
    title: str
    price: int
    stock: int = 0
    barcode: str | None = None  # GTIN/UPC as scanned (digits), unique per shop; None: not known


class Buyer(SQLModel, table=True):
    __tablename__ = "buyers"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    name: str
    email: str
    address: str = ""
    refusal_count: int = 0


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_shop_status_created", "shop_id", "status", "created_at", "id"),
        Index("ix_orders_shop_created", "shop_id", "created_at", "id"),
        Index("ix_orders_shop_status_ship_by", "shop_id", "status", "ship_by", "id"),
        Index("ix_orders_buyer_created", "buyer_id", "created_at", "id"),
        Index("ix_orders_status_hold", "status", "hold_until"),
        Index("ix_orders_status_completes", "status", "completes_at"),
    )

    id: str = Field(primary_key=True, max_length=18)
    shop_id: int = Field(foreign_key="shops.id")
    buyer_id: int = Field(foreign_key="buyers.id")
    status: str
    currency: str = "USD"
    created_at: datetime
    paid_at: datetime | None = None
    hold_until: datetime | None = None
    ship_by: datetime | None = None
    completes_at: datetime | None = None  # delivered + the shop's return window
    completed_at: datetime | None = None
    recipient: str = ""
    address: str = ""
    original_shipping_fee: int = 0
    shipping_fee_seller_discount: int = 0
    shipping_fee_platform_discount: int = 0
    shipping_tax: int = 0
    version: int = 1
    updated_at: datetime
    # The SLA clock (core.rules, `sla_deadlines`) runs for this order here. False for orders
    # imported from Seller Center: the platform runs their clock, and the next export brings
    # what it did (a cancellation here would also stop the order being updated by a re-import).
    sla_clock: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class Package(SQLModel, table=True):
    __tablename__ = "packages"

    id: str = Field(primary_key=True, max_length=18)
    order_id: str = Field(foreign_key="orders.id", index=True)
    status: str
    tracking_number: str | None = Field(default=None, index=True)
    shipping_provider: str | None = None
    packed_at: datetime | None = None
    collected_at: datetime | None = None
    delivered_at: datetime | None = None
    returned_at: datetime | None = None


class PackageClaim(SQLModel, table=True):
    """A packing station's claim on a package it has opened to pack (issue 15: stations
    that don't collide). At most one per package (its primary key). Whether it still holds
    is `core.rules.claim_holds` (the package still to pack, the station active within
    `rules.CLAIM_IDLE`); a row that no longer holds is simply replaced by the next claim.
    Deleted with its package (ON DELETE CASCADE: a re-import replaces packages)."""

    __tablename__ = "package_claims"

    package_id: str = Field(sa_column=Column(String(18), ForeignKey("packages.id", ondelete="CASCADE"),
                                             primary_key=True))
    station: str
    claimed_at: datetime  # when this station claimed it (or took it over)
    active_at: datetime  # this station's last activity on it: claimed, opened again


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_sku_order", "sku", "order_id"),)

    id: str = Field(primary_key=True, max_length=18)
    order_id: str = Field(foreign_key="orders.id", index=True)
    package_id: str = Field(foreign_key="packages.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="products.id")
    sku: str
    title: str
    quantity: int
    unit_original_price: int
    seller_discount: int = 0
    platform_discount: int = 0
    tax: int = 0
    cancelled_quantity: int = 0


class Cancellation(SQLModel, table=True):
    __tablename__ = "cancellations"
    __table_args__ = (Index("ix_cancellations_status_deadline", "status", "deadline_at"),)

    id: str = Field(primary_key=True, max_length=18)
    order_id: str = Field(foreign_key="orders.id", index=True)
    type: str  # "cancel" (seller or system) | "buyer_cancel"
    role: str  # "buyer" | "seller" | "system"
    scope: str  # "order" | "package" | "items"
    package_id: str | None = Field(default=None, foreign_key="packages.id")
    reason: str
    status: str  # request_pending | success | closed | complete
    reject_reason: str | None = None
    refund_subtotal: int = 0
    refund_shipping: int = 0
    refund_tax: int = 0
    refund_total: int = 0
    idempotency_key: str | None = Field(default=None, unique=True)
    request_fingerprint: str | None = None  # what the idempotency key was first used for
    created_at: datetime
    updated_at: datetime
    deadline_at: datetime | None = None


class CancellationLine(SQLModel, table=True):
    __tablename__ = "cancellation_lines"

    id: int | None = Field(default=None, primary_key=True)
    cancellation_id: str = Field(foreign_key="cancellations.id", index=True)
    line_id: str = Field(foreign_key="order_lines.id", index=True)
    quantity: int
    refund_subtotal: int
    refund_tax: int


class Notification(SQLModel, table=True):
    """An in-app message in the buyer's Inbox."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="buyers.id", index=True)
    order_id: str = Field(foreign_key="orders.id")
    cancellation_id: str | None = Field(default=None, foreign_key="cancellations.id")
    title: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    read_at: datetime | None = None


class OutboxEmail(SQLModel, table=True):
    """A customer email, written in the same transaction as what it reports."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.id", index=True)
    cancellation_id: str | None = Field(default=None, foreign_key="cancellations.id", index=True)
    message_id: str = Field(unique=True)
    to_address: str
    subject: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True)  # rules.EMAIL_STATUSES
    attempts: int = 0  # tries started (counted when a sender claims the email)
    last_error: str | None = None  # why the last try did not deliver it, readable
    next_attempt_at: datetime | None = None  # after a failure: not before then (backoff)
    claim_token: str | None = None  # `sending`: the sender run that holds it; None once it let go
    claimed_at: datetime | None = None  # `sending`: since when
    created_at: datetime
    sent_at: datetime | None = None


class OrderEvent(SQLModel, table=True):
    """The audit trail: one row per change to an order."""

    __tablename__ = "order_events"

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.id", index=True)
    at: datetime
    actor: str  # buyer | seller | system
    kind: str
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Setting(SQLModel, table=True):
    """Database-wide settings, e.g. the demo clock."""

    __tablename__ = "settings"

    key: str = Field(primary_key=True)
    value: str
