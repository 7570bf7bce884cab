"""A package opened to pack it: the pack check's read model (issue 15, scan-to-pack).

The pack screen lists the package's lines with the units to confirm; each unit is
confirmed by scanning its product's barcode (core.queries.scan) or by a key. The
confirmations are the station's, kept by the screen, not the database: nothing is
written until Pack (or a short item's cancellation) is.

Decisions where the spec is silent:
- Only a package Awaiting Shipment is packed through the check (a packed package has
  nothing left to check); its verdict (`pack`) is core.rules' own, with why not.
- A line lists its live units (ordered minus cancelled); a line with none left is not
  listed. "Short" is what is not confirmed: those units, and only those, go to the Out of
  Stock item cancellation, so the refund shown there is the one core.refunds computes.
- The check carries the order's snapshot (core.queries.board) as it was read, so the
  short cancellation is checked against that version, as the cancel wizard's is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from core.models import Order, OrderLine, Package, Product, Shop
from core.queries.board import Choice, OrderSnapshot, snapshot
from core.results import Refusal
from core.state import iso
from core.words import plural


@dataclass(frozen=True, slots=True)
class PackLine:
    line_id: str
    sku: str
    title: str
    barcode: str | None  # the product's GTIN/UPC; None: confirm by key only
    units: int  # to pack: ordered minus cancelled
    shortable: int  # units an Out of Stock item cancellation may take now


@dataclass(frozen=True, slots=True)
class PackCheck:
    shop: str
    shop_id: int
    package_id: str
    package_status: str
    ship_by: datetime | None
    lines: tuple[PackLine, ...]
    pack: Choice  # may it be packed now (core.rules), and if not why
    snap: OrderSnapshot  # the order as read: the short cancellation's draft starts from it

    @property
    def order_id(self) -> str:
        return self.snap.order.id

    @property
    def units(self) -> int:
        return sum(line.units for line in self.lines)

    def confirmed_within(self, confirmed: Mapping[str, int]) -> dict[str, int]:
        """Confirmations kept across a re-read: never more than a line has left."""
        units = {line.line_id: line.units for line in self.lines}
        return {k: min(v, units[k]) for k, v in confirmed.items() if k in units and min(v, units[k]) > 0}

    def short(self, confirmed: Mapping[str, int]) -> dict[str, int]:
        """The units not confirmed, by line: what "not on the shelf" cancels."""
        return {line.line_id: line.units - confirmed.get(line.line_id, 0) for line in self.lines
                if line.units > confirmed.get(line.line_id, 0)}

    def all_confirmed(self, confirmed: Mapping[str, int]) -> bool:
        return self.units > 0 and not self.short(confirmed)

    def why_not_short(self, confirmed: Mapping[str, int]) -> str | None:
        """Why the unconfirmed units can't go to an Out of Stock item cancellation (None: they can)."""
        short = self.short(confirmed)
        if not short:
            return "Every unit is confirmed: nothing is short."
        by_id = {line.line_id: line for line in self.lines}
        for line_id, units in short.items():
            line = by_id[line_id]
            if units > line.shortable:
                why = next((c.why_not for c in self.snap.item_lines if c.id == line_id), None)
                return why or f"{line.sku}: only {plural(line.shortable, 'unit')} can be cancelled by item now."
        return None

    def as_dict(self) -> dict:
        return {
            "shop": self.shop, "order_id": self.order_id, "package_id": self.package_id,
            "package_status": self.package_status, "ship_by": iso(self.ship_by), "units": self.units,
            "can_pack": self.pack.allowed, "why_not": self.pack.why_not,
            "lines": [{"line_id": l.line_id, "sku": l.sku, "title": l.title, "barcode": l.barcode,
                       "units": l.units} for l in self.lines],
        }


def pack_check(session: Session, package_id: str, *, shop: str) -> PackCheck | Refusal:
    """The pack check of one of `shop`'s packages."""
    row = session.exec(select(Package.order_id, Shop.id, Shop.name, Order.ship_by)
                       .join(Order, Order.id == Package.order_id).join(Shop, Shop.id == Order.shop_id)
                       .where(Package.id == package_id)).first()
    if row is None:
        return Refusal("unknown_package", f"There is no package {package_id}.")
    order_id, shop_id, shop_name, ship_by = row
    if shop_name != shop:
        return Refusal("forbidden", f"Package {package_id} belongs to another shop.")
    snap = snapshot(session, order_id)
    if snap is None:
        return Refusal("unknown_package", f"There is no package {package_id}.")
    barcodes = dict(session.exec(select(OrderLine.id, Product.barcode)
                                 .join(Product, Product.id == OrderLine.product_id)
                                 .where(OrderLine.package_id == package_id)).all())
    shortable = {c.id: c.max_quantity for c in snap.item_choices("out_of_stock")}
    lines = tuple(PackLine(l.id, l.sku, l.title, barcodes.get(l.id), l.live, shortable.get(l.id, 0))
                  for l in snap.lines if l.package_id == package_id and l.live > 0)
    status = next(p.status for p in snap.packages if p.id == package_id)
    verdict = next(c for c in snap.logistics["pack"] if c.id == package_id)
    return PackCheck(shop_name, shop_id, package_id, status, ship_by, lines,
                     Choice(verdict.allowed, verdict.why_not), snap)
