"""The seller board's vocabulary: its tabs and filters, and the cards it shows.

Plain data, no database: the board's screen draws its first frame (tabs, filters,
an empty list) from these before the database is open; `core.queries.board` fills them
from SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core import rules

PAGE = 20
TAB_ORDER = ("to_ship", "unpaid", "shipped", "completed", "cancelled", "all")
TAB_LABELS = {"to_ship": "To Ship", "unpaid": "Unpaid", "shipped": "Shipped",
              "completed": "Completed", "cancelled": "Cancelled", "all": "All"}
TAB_STATUSES = {  # the seller centre's tabs, To Ship first
    # every order with a package still to pack or to hand over: a Partially Shipping order
    # always has one (rules.derive_order_status), so it is on To Ship and on Shipped
    "to_ship": ("awaiting_shipment", "awaiting_collection", "partially_shipping"),
    "unpaid": ("unpaid", "on_hold"),
    "shipped": ("partially_shipping", "in_transit"),
    "completed": ("delivered", "completed"),
    "cancelled": ("cancelled",),
    "all": None,  # every status: one index range
}
DUE_SOON = "due_soon"  # the To Ship filter of orders the SLA clock cancels within rules.SLA_AMBER
TO_SHIP_FILTERS = (None, "awaiting_shipment", "awaiting_collection", "partially_shipping", DUE_SOON)
SORTS = {"urgent": "most urgent first", "newest": "newest first"}  # To Ship's orders; other tabs: newest
REFUNDED = ("success", "complete")

Key = tuple[datetime, str]  # (created_at, id) newest first, or (ship_by, id) most urgent first


# -- read models ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LineCard:
    id: str
    sku: str
    title: str
    quantity: int
    cancelled_quantity: int


@dataclass(frozen=True, slots=True)
class ClaimCard:
    """A station's claim on a package (core.models.PackageClaim), as read."""

    station: str
    active_at: datetime


@dataclass(frozen=True, slots=True)
class PackageCard:
    id: str
    status: str
    tracking_number: str | None
    lines: tuple[LineCard, ...]
    claim: ClaimCard | None = None

    def packing_station(self, now: datetime | None) -> str | None:
        """The station packing this package now (its claim holds: rules.claim_holds), or None."""
        if self.claim is None or now is None or not rules.claim_holds(self.claim, self, now):
            return None
        return self.claim.station

    @property
    def open(self) -> bool:
        """Still to pack or to hand over: the package the seller acts on (To Ship)."""
        return self.status in rules.SLA_PACKAGE_STATUSES


@dataclass(frozen=True, slots=True)
class OrderCard:
    """One order as the board shows it."""

    id: str
    status: str
    created_at: datetime
    ship_by: datetime | None
    buyer: str
    buyer_name: str
    buyer_refusals: int
    currency: str
    total: int
    refunded: int
    version: int
    packages: tuple[PackageCard, ...]
    request_id: str | None = None  # a pending buyer cancellation request
    request_deadline: datetime | None = None
    auto_cancel_at: datetime | None = None  # the SLA clock's next deadline (rules.sla_deadlines)
    auto_cancel_reason: str | None = None  # rules.SLA_REASONS
    urgent: bool = False  # on a board sorted by ship-by: its key is (ship_by, id)

    @property
    def key(self) -> Key:
        return (self.ship_by, self.id) if self.urgent else (self.created_at, self.id)

    def sla_level(self, now: datetime) -> str | None:
        """How loud the card warns of the SLA clock: "red", "amber" or None (rules.sla_level)."""
        return rules.sla_level(self.auto_cancel_at, now)

    @property
    def caution(self) -> bool:
        """Seed 000: a buyer who refused deliveries carries a caution mark."""
        return self.buyer_refusals > 0


@dataclass(frozen=True, slots=True)
class BoardShop:
    """The shop a board shows; `large`: its counts are read after its cards."""

    id: int
    name: str
    large: bool


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """What the board shows: a tab, in To Ship a status (or due soon) and an order, and
    products (SKUs)."""

    shop_id: int
    tab: str = "to_ship"
    status: str | None = None  # only in To Ship: one of TO_SHIP_FILTERS
    skus: frozenset[str] = field(default_factory=frozenset)
    sort: str = "urgent"  # only in To Ship: one of SORTS

    @property
    def statuses(self) -> tuple[str, ...] | None:
        if self.tab == "to_ship" and self.status and self.status != DUE_SOON:
            return (self.status,)
        return TAB_STATUSES[self.tab]

    @property
    def due_soon(self) -> bool:
        return self.tab == "to_ship" and self.status == DUE_SOON

    @property
    def urgent(self) -> bool:
        """Sorted by ship-by, the most urgent first (To Ship's default)."""
        return self.tab == "to_ship" and self.sort == "urgent"


@dataclass(frozen=True, slots=True)
class BoardCounts:
    by_status: dict[str, int]
    by_tab: dict[str, int]
    requests: int
    due_soon: int = 0  # To Ship orders the SLA clock cancels within rules.SLA_AMBER

    @classmethod
    def unknown(cls) -> "BoardCounts":
        """Before the counts are in: every figure shows as an ellipsis."""
        return cls(_Unknown(), _Unknown(), _UNKNOWN, _UNKNOWN)

    def of_filter(self, status: str | None):
        """The count beside a To Ship filter (TO_SHIP_FILTERS)."""
        if status is None:
            return self.by_tab["to_ship"]
        return self.due_soon if status == DUE_SOON else self.by_status[status]


class _UnknownCount:
    def __format__(self, spec: str) -> str:
        return "…"

    def __bool__(self) -> bool:
        return False


_UNKNOWN = _UnknownCount()


class _Unknown(dict):
    def __missing__(self, key):
        return _UNKNOWN
