"""What a scanned label names (issue 15: "scan anything on a label"): the one place a
scan is matched, for the board and the pack screen alike.

A keyboard-wedge scanner types a label's characters, then Enter. `lookup` says what
they name in a shop: an order (its full ID, or the last 4+ digits of exactly one), a
package (its ID), a package by its tracking number (numeric, like USPS 9400… of 20-34
digits, or alphanumeric, like UPS 1Z…), or a product (its GTIN/UPC barcode).

Decisions where the spec is silent:
- A scan is at most MAX_CHARS characters of letters, digits and '-' (longer, or other
  characters: not a label; said so, never looked up). Letters are compared as capitals
  (tracking numbers are printed in capitals; a wedge with Caps Lock on types small ones).
- The order of the tries, first match wins: in a pack check, a product barcode (with
  the package's line of that product, if it has one: else a wrong item); then the full
  order ID, the package ID, the tracking number; then an order ID suffix (one order only: several is "ambiguous", scan more digits);
  then any product of the shop (outside a pack check: named, so the person knows what
  was read); last, a scan typed after other text (a search box not emptied) by its
  last 18 digits.
- Only the shop's own orders, packages and products match: another shop's label is
  "nothing", as an unknown one is.
"""

from __future__ import annotations

from sqlmodel import Session, select

from core.models import Order, OrderLine, Package, Product
from core.queries.labels import ID_DIGITS, MIN_SUFFIX, ScanMatch, is_label, normalized


def lookup(session: Session, shop_id: int, text: str, *, packing: str | None = None) -> ScanMatch:
    """What `text` names in the shop; with `packing` (a package ID), a pack check is open
    on that package, and its lines' product barcodes come first."""
    read, text = text.strip(), normalized(text)
    if not is_label(text):
        return ScanMatch(read, "nothing")
    if packing is not None and (product := _product(session, shop_id, text, packing)) is not None:
        return product
    if len(text) == ID_DIGITS and text.isdigit():
        found = _order(session, shop_id, Order.id == text) or _package(session, shop_id, Package.id == text)
        if found is not None:
            return ScanMatch(text, found[0], *found[1:])
    tracked = _package(session, shop_id, Package.tracking_number == text)
    if tracked is not None:
        return ScanMatch(text, "tracking", *tracked[1:])
    if text.isdigit() and MIN_SUFFIX <= len(text) < ID_DIGITS:
        ids = session.exec(select(Order.id).where(Order.shop_id == shop_id, Order.id.like(f"%{text}"))
                           .limit(2)).all()
        if len(ids) == 2:
            return ScanMatch(read, "ambiguous")
        if ids:
            return ScanMatch(text, "order", ids[0])
    if packing is None and (product := _product(session, shop_id, text, None)) is not None:
        return product
    tail = text[-ID_DIGITS:]
    if len(text) > ID_DIGITS and tail.isdigit():  # typed after other text
        found = _order(session, shop_id, Order.id == tail) or _package(session, shop_id, Package.id == tail)
        if found is not None:
            return ScanMatch(tail, found[0], *found[1:])
    return ScanMatch(read, "nothing")


def _order(session: Session, shop_id: int, where) -> tuple | None:
    order_id = session.exec(select(Order.id).where(where, Order.shop_id == shop_id)).first()
    return ("order", order_id, None, None) if order_id else None


def _package(session: Session, shop_id: int, where) -> tuple | None:
    row = session.exec(select(Package.order_id, Package.id, Package.status)
                       .join(Order, Order.id == Package.order_id)
                       .where(where, Order.shop_id == shop_id).limit(1)).first()
    return ("package", *row) if row else None


def _product(session: Session, shop_id: int, text: str, packing: str | None) -> ScanMatch | None:
    """The shop's product with this barcode; with `packing`, also that package (and its
    order) when one of its lines is of this product."""
    product = session.exec(select(Product.id, Product.sku, Product.title)
                           .where(Product.shop_id == shop_id, Product.barcode == text)).first()
    if product is None:
        return None
    line = None if packing is None else session.exec(
        select(OrderLine.order_id, OrderLine.id)
        .where(OrderLine.package_id == packing, OrderLine.product_id == product[0])
        .order_by(OrderLine.id).limit(1)).first()
    if line is None:
        return ScanMatch(text, "product", sku=product[1], title=product[2])
    return ScanMatch(text, "product", line[0], packing, line_id=line[1], sku=product[1], title=product[2])
