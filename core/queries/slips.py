"""A package's packing slip: what the paper at the packing station shows (issue 15).

`packing_slip` reads it in one SELECT (the package joined to its order, shop, buyer and
lines), so even on PostgreSQL's READ COMMITTED the slip is one consistent moment: never
a status from before a pack and lines from after a split.

Decisions where the spec is silent:
- The ship-by deadline is the order's own `ship_by` (payment + the shop's "ship within"
  hours, set when the order is paid), the field the board's "Ship within" countdown reads.
- Ship to: the order's recipient and address (what checkout recorded), else the buyer's.
- A line lists its live units (ordered minus cancelled); a line with none left is not on
  the slip: there is nothing of it to pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from core import rules
from core.models import Buyer, Order, OrderLine, Package, Shop
from core.results import Refusal
from core.state import iso


@dataclass(frozen=True)
class SlipLine:
    line_id: str
    sku: str
    title: str
    units: int  # to pack: ordered minus cancelled


@dataclass(frozen=True)
class PackingSlip:
    shop: str
    order_id: str
    package_id: str
    package_status: str
    ship_by: datetime | None
    recipient: str
    address: str
    lines: tuple[SlipLine, ...]

    @property
    def units(self) -> int:
        return sum(line.units for line in self.lines)

    def as_dict(self) -> dict:
        return {
            "shop": self.shop, "order_id": self.order_id, "package_id": self.package_id,
            "package_status": self.package_status, "ship_by": iso(self.ship_by),
            "recipient": self.recipient, "address": self.address, "units": self.units,
            "lines": [{"line_id": l.line_id, "sku": l.sku, "title": l.title, "units": l.units}
                      for l in self.lines],
        }


def packing_slip(session: Session, package_id: str, *, shop: str | None = None) -> PackingSlip | Refusal:
    """The slip of a package still to pack or collect (rules.packing_slip); with `shop`,
    only of that shop's package (else `forbidden`)."""
    rows = session.exec(
        select(Package, Order, Shop.name, Buyer.name, Buyer.address, OrderLine)
        .join(Order, Order.id == Package.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .join(Buyer, Buyer.id == Order.buyer_id)
        .outerjoin(OrderLine, OrderLine.package_id == Package.id)
        .where(Package.id == package_id)
        .order_by(OrderLine.id)).all()
    if not rows:
        return Refusal("unknown_package", f"There is no package {package_id}. Run `orderdesk orders "
                       "show ORDER_ID` to see an order's packages.")
    package, order, shop_name, buyer_name, buyer_address, _ = rows[0]
    if shop is not None and shop != shop_name:
        return Refusal("forbidden", f"Package {package_id} belongs to another shop; {shop} can only "
                       "print slips for its own packages.")
    verdict = rules.packing_slip(order, package)
    if not verdict.allowed:
        return Refusal(verdict.code, verdict.why_not, {"status": package.status})
    lines = tuple(SlipLine(l.id, l.sku, l.title, l.quantity - l.cancelled_quantity)
                  for *_, l in rows if l is not None and l.quantity > l.cancelled_quantity)
    return PackingSlip(shop_name, order.id, package.id, package.status, order.ship_by,
                       order.recipient or buyer_name, order.address or buyer_address, lines)
