"""A scanned label, before and after it is looked up (issue 15): what may be one, and
what it named. Pure (no database), so the screens that take scans load it with their
first frame; core.queries.scan looks labels up.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

MAX_CHARS = 64  # a label's code: Code 128 tracking numbers are at most 34, GTINs 14
ID_DIGITS = 18  # order and package IDs
MIN_SUFFIX = 4  # digits at the end of an order ID
_LABEL = re.compile(r"[0-9A-Z-]+")

KINDS = ("order", "package", "tracking", "product", "ambiguous", "nothing")


@dataclass(frozen=True, slots=True)
class ScanMatch:
    """What a scan named. `kind` is one of KINDS; the IDs say which order, package or
    line (a product scanned in a pack check) it is; `sku` and `title` name a product."""

    text: str  # what was read (stripped)
    kind: str
    order_id: str | None = None
    package_id: str | None = None
    package_status: str | None = None
    line_id: str | None = None  # a product scanned in a pack check: the package's line of it
    sku: str | None = None
    title: str | None = None

    @property
    def opens_order(self) -> bool:
        """It names an order to open: by its ID, a package's ID or a tracking number."""
        return self.kind in ("order", "package", "tracking")

    def message(self, shop: str) -> str:
        """What a person reads when the scan can't open anything."""
        shown = self.text if len(self.text) <= MAX_CHARS else self.text[:MAX_CHARS] + "…"
        if self.kind == "ambiguous":
            return f"Several orders of {shop} end in {shown}: scan the whole label or type more digits."
        if self.kind == "product":
            return (f"Read {shown}: the barcode of {self.sku} ({self.title}). Open a package to pack "
                    "(p) to check its items with it.")
        return (f"Read {shown!r}: no order, package, tracking number or product of {shop} has it. "
                "Scan again, or search with /.")

    def as_dict(self) -> dict:
        return asdict(self)


def normalized(text: str) -> str:
    return text.strip().upper()


def is_label(text: str) -> bool:
    """Could this be a scanned label at all (characters and length)?"""
    return 0 < len(text) <= MAX_CHARS and _LABEL.fullmatch(text) is not None


# -- product barcodes (GTIN/UPC/EAN) ------------------------------------------------------
GTIN_DIGITS = (8, 14)  # EAN-8 up to GTIN-14; UPC-A is 12, EAN-13 13


def is_gtin(code: str) -> bool:
    """A product barcode as stored: 8 to 14 digits. The check digit is not checked: a shop's
    own in-store codes scan just as well, and the scanner has read what is printed."""
    return code.isascii() and code.isdigit() and GTIN_DIGITS[0] <= len(code) <= GTIN_DIGITS[1]


def with_check_digit(digits: str) -> str:
    """`digits` and their GS1 check digit (11 digits make a UPC-A, 12 an EAN-13)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return digits + str(-total % 10)
