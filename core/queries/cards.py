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
TAB_STATUSES = {  # the seller centre's tabs, To Ship first (core.queries.SELLER_TABS)
    "to_ship": ("awaiting_shipment", "awaiting_collection"),
    "unpaid": ("unpaid", "on_hold"),
    "shipped": ("partially_shipping", "in_transit"),
    "completed": ("delivered", "completed"),
    "cancelled": ("cancelled",),
    "all": None,  # every status: one index range
}
TO_SHIP_FILTERS = (None, "awaiting_shipment", "awaiting_collection")  # the To Ship status filter
REFUNDED = ("success", "complete")

Key = tuple[datetime, str]  # (created_at, id): a card's place on the board


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

    @property
    def key(self) -> Key:
        return (self.created_at, self.id)

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
    """What the board shows: a tab, in To Ship a status, and products (SKUs)."""

    shop_id: int
    tab: str = "to_ship"
    status: str | None = None  # only in To Ship: awaiting_shipment | awaiting_collection
    skus: frozenset[str] = field(default_factory=frozenset)

    @property
    def statuses(self) -> tuple[str, ...] | None:
        if self.tab == "to_ship" and self.status:
            return (self.status,)
        return TAB_STATUSES[self.tab]


@dataclass(frozen=True, slots=True)
class BoardCounts:
    by_status: dict[str, int]
    by_tab: dict[str, int]
    requests: int

    @classmethod
    def unknown(cls) -> "BoardCounts":
        """Before the counts are in: every figure shows as an ellipsis."""
        return cls(_Unknown(), _Unknown(), _UNKNOWN)


class _UnknownCount:
    def __format__(self, spec: str) -> str:
        return "…"

    def __bool__(self) -> bool:
        return False


_UNKNOWN = _UnknownCount()


class _Unknown(dict):
    def __missing__(self, key):
        return _UNKNOWN
