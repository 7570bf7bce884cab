"""Importing TikTok Seller Center order exports: `orderdesk import tiktok FILE`.

Seller Center's order export (Orders → Export) has one row per SKU line. This
module reads it (CSV in any common encoding, or XLSX), turns rows into orders,
packages, lines and the cancellations the export already records, and writes
them in one transaction. `import_file(db, path, ...)` returns a summary dict.

Decisions (also in the README, "Importing Seller Center exports"):

Reading (core/spreadsheets.py: the file is streamed and every limit is its own)
- Only a regular file: a FIFO, a device (/dev/zero), a directory or a socket is
  refused before it is read. Limits: the file at most 100 MB, 200,000 data rows
  (1,048,576 rows in all), cells past column 256 ignored; a file over one is
  refused whole (exit 2, saying the limit). A cell over 10,000 characters or with a
  NUL character, a CSV row over 1,000,000 characters, a malformed XLSX cell (a
  number that is not finite, a date beyond the calendar, a missing shared string)
  is a bad row. An XLSX unpacks to at most 1 GB (its sheet; 128 MB of shared
  strings). Memory grows with the rows kept, about 7 KB each (0.7 GB at 100,000).
- Encoding: a BOM decides (UTF-8, UTF-16 LE/BE); without one, a file with many
  NUL bytes is UTF-16, else strict UTF-8, else cp1252 (latin-1 for the few
  bytes cp1252 leaves undefined). The delimiter is the one of `,` `;` tab that
  splits the header line most. XLSX: the first worksheet.
- Headers are matched case- and spacing-insensitively, punctuation ignored
  ("Cancelation/Return Type" = "cancellation return type"). Missing optional
  columns count as empty; unknown columns are ignored. Required: Order ID, Order
  Status, Quantity, Created Time and one of Seller SKU / SKU ID (else the file is
  refused, nothing is written). A second row that describes the columns (Seller
  Center writes one) is recognised and skipped.
- Row numbers are a spreadsheet's: the header is row 1.

Values
- Money becomes integer hundredths of the currency unit. Currency symbols and
  codes are stripped ($ → USD, € → EUR, £ → GBP, or a 3-letter code) and must
  match the shop's currency. With both `,` and `.` the rightmost is the decimal
  separator ("$1,234.50", "1.234,50 €"); a lone separator followed by exactly 3
  digits groups thousands ("1,234" is 1234), by 1-2 digits it is the decimal
  point ("12,5" is 12.50). Spaces and apostrophes group thousands. More than 2
  decimals, a negative amount, or one over 20,000,000 (MAX_AMOUNT, in minor units:
  PostgreSQL keeps amounts in 32-bit integers) is a bad row; so is an order whose
  lines, shipping and taxes add up to more. Empty amounts are 0. Quantities are
  whole numbers from 1 to 100,000.
- Times: ISO 8601, YYYY/MM/DD, or day and month in either order with `/`, `-`
  or `.` ("05/03/2026 14:03:22"). The order of day and month is decided once per
  file: a first number above 12 anywhere means DD/MM, a second number above 12
  means MM/DD; the side with more such evidence wins (reading stops once one side
  leads by 200); no evidence means DD/MM
  (Seller Center's own format). `date_order` ("dmy"/"mdy") overrides it. Times
  without an offset are taken as UTC. A time that does not fit, or falls outside
  the years 2000-2099 (a typo or a spreadsheet's artefact), is a bad row.
- Seller SKU, SKU ID, Buyer Username, Tracking ID and Package ID have at most 200
  characters (they are indexed; a longer one is a bad row); --shop too.
- Order IDs must be 1-18 digits (a leading apostrophe or tab, Excel's text
  markers, is dropped); "5.76E+17" is refused as rounded by a spreadsheet.

Mapping
- Order Status / Substatus: Unpaid; On hold; To ship / Awaiting shipment;
  Awaiting collection; Partially shipping; Shipped / In transit; Delivered;
  Completed; Cancelled (also TikTok's numeric codes 100...140). The substatus
  refines the group statuses "To ship" and "Shipped" ("To ship" + "Awaiting
  collection" is awaiting_collection); an unknown substatus is ignored, an
  unknown status is a bad row.
- Packages: rows with the same Package ID form a package; without one, the
  order has one package. A package's own times say how far it got (RTS Time:
  packed, Shipped Time: collected, Delivered Time: delivered); they are used when
  they agree with the order's status, else every live package takes the status
  the order's status implies. Packages whose units are all cancelled are
  cancelled. The order's stored status is `rules.derive_order_status` of its
  packages and must equal the export's (else the order is skipped).
- Cancellations: a Cancelled order has every unit cancelled; otherwise "Sku
  Quantity of return" counts as cancelled units when the row is a cancellation
  (Cancelation/Return Type says cancel, or is empty while Cancel By, Cancel
  Reason or Cancelled Time is set, or the order has not shipped). Returns after
  delivery ("Return/Refund") are not cancellations and are only noted. Each order
  gets at most one imported Cancellation (role from Cancel By, reason key from the
  TikTok reason text, both from the first row that has them; its time is the
  latest Cancelled Time, as SKUs may be cancelled at different times; an unknown text gets the role's fallback key and a note,
  and the original text stays in the order's "imported" event). Its refund is
  this product's refund rule (`core.refunds.refund_for`); an Order Refund Amount
  that differs is noted, not used. Imported cancellations send no email and
  move no stock (TikTok already did both).
- Delivered orders complete (by time, as any order) the shop's return window after
  their last Delivered Time; a Completed order's completion time is its last known
  time (the export has none).
- "Taxes" is the order's tax (repeated on each row); it is spread over the lines
  in proportion to their paid subtotals (the remainder to the first lines).
- The shop: --shop NAME (created if new), else the only shop, else a new shop
  "TikTok Shop" in an empty database. Products (by Seller SKU, else SKU ID, with
  stock 0; with the barcode of a Barcode/GTIN/UPC/EAN column of 8-14 digits, when the
  export has one and no other product of the shop has it) and buyers (by Buyer Username; exports carry no email, so a new buyer
  gets USERNAME@buyers.invalid) are created as needed; existing ones are kept.
- Not stored: phone numbers, buyer messages, seller notes, warehouse, delivery
  option (the product has no place for them, and phone numbers are personal data
  it does not need).

Idempotency and safety
- An order is found by its Order ID. New: added. Already imported and unchanged
  (same content digest, kept in its "imported" event): unchanged. Changed:
  updated in place (its packages, lines and imported cancellation are replaced;
  IDs are derived from the Order ID, so they stay the same). An order changed in
  orderdesk since its import (a cancellation, packing, a split...; time-driven
  changes such as a hold ending do not count), an order orderdesk created itself,
  or one of another shop is never overwritten: it is skipped and reported.
- Imported orders keep Seller Center's SLA clock (`Order.sla_clock` off): TikTok
  cancels them when they run late and the next export says so; orderdesk's own
  clock (core.rules, `sla_deadlines`) never cancels them, which would also stop
  them being updated by a re-import.
- An order with any bad row is skipped whole; every bad row is reported with its
  row number and why. Order-level columns (status, buyer, times, shipping, taxes,
  amounts, address) must agree across an order's rows. Everything else is written
  in one transaction, so an import never half-writes an order; `dry_run` does all
  the work and rolls back.
- Orders are parsed and checked before the write transaction opens, so other
  stations wait only while rows are compared and written; the orders already in
  the database are locked meanwhile (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
  SQLite). Speed: bench/import_tiktok.py (100,000 rows, target under 30 s).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import DateTime, delete, func, select, update

from core import refunds, rules
from core.db import Database, bulk_cache
from core.ids import PREFIX
from core.queries.labels import is_gtin
from core.models import (
    Buyer, Cancellation, CancellationLine, Order, OrderEvent, OrderLine, Package, Product, Shop,
)
from core.money import format_money
from core.spreadsheets import Table, TableFileError, open_table
from core.words import plural

DEFAULT_SHOP = "TikTok Shop"
IMPORT_KEY = "tiktok-import:"  # idempotency_key prefix of imported cancellations
TIME_ONLY_EVENTS = frozenset({"imported", "hold_ended", "completed"})
_CHUNK = 500  # IDs per IN (...) query


class ImportFileError(Exception):
    """The file cannot be imported at all (unreadable, wrong format, required column
    missing, no shop chosen); nothing was written. The message says what to do."""


class RowProblem(ValueError):
    pass


# -- headers ----------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _norm(text) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


_FIELDS = {
    "order_id": ("order id", "order no", "order number"),
    "status": ("order status",),
    "substatus": ("order substatus", "order sub status"),
    "return_type": ("cancelation return type", "cancellation return type", "cancel return type"),
    "sku_id": ("sku id",),
    "seller_sku": ("seller sku",),
    "product_name": ("product name",),
    "variation": ("variation",),
    "quantity": ("quantity", "sku quantity"),
    "return_quantity": ("sku quantity of return", "quantity of return"),
    "unit_price": ("sku unit original price", "unit original price"),
    "subtotal_before": ("sku subtotal before discount",),
    "platform_discount": ("sku platform discount",),
    "seller_discount": ("sku seller discount",),
    "subtotal_after": ("sku subtotal after discount",),
    "shipping_after": ("shipping fee after discount",),
    "shipping_original": ("original shipping fee",),
    "shipping_seller_discount": ("shipping fee seller discount",),
    "shipping_platform_discount": ("shipping fee platform discount",),
    "taxes": ("taxes", "tax"),
    "order_amount": ("order amount",),
    "refund_amount": ("order refund amount",),
    "created": ("created time",),
    "paid": ("paid time",),
    "rts": ("rts time",),
    "shipped": ("shipped time",),
    "delivered": ("delivered time",),
    "cancelled": ("cancelled time", "canceled time"),
    "cancel_by": ("cancel by",),
    "cancel_reason": ("cancel reason",),
    "tracking": ("tracking id",),
    "provider": ("shipping provider name", "shipping provider"),
    "buyer": ("buyer username",),
    "recipient": ("recipient",),
    "zipcode": ("zipcode", "zip code", "postcode"),
    "country": ("country",),
    "state": ("state",),
    "city": ("city",),
    "address": ("detail address",),
    "package_id": ("package id",),
    "barcode": ("barcode", "gtin", "upc", "ean", "gtin upc", "gtin upc ean", "sku barcode", "product barcode"),
}
_HEADER_OF = {variant: name for name, variants in _FIELDS.items() for variant in variants}
_LABEL = {"order_id": "Order ID", "status": "Order Status", "quantity": "Quantity",
          "created": "Created Time", "return_quantity": "Sku Quantity of return",
          "unit_price": "SKU Unit Original Price", "subtotal_before": "SKU Subtotal Before Discount",
          "platform_discount": "SKU Platform Discount", "seller_discount": "SKU Seller Discount",
          "subtotal_after": "SKU Subtotal After Discount",
          "shipping_after": "Shipping Fee After Discount", "shipping_original": "Original Shipping Fee",
          "shipping_seller_discount": "Shipping Fee Seller Discount",
          "shipping_platform_discount": "Shipping Fee Platform Discount", "taxes": "Taxes",
          "order_amount": "Order Amount", "refund_amount": "Order Refund Amount",
          "paid": "Paid Time", "rts": "RTS Time", "shipped": "Shipped Time",
          "delivered": "Delivered Time", "cancelled": "Cancelled Time"}
_MONEY_FIELDS = ("unit_price", "subtotal_before", "platform_discount", "seller_discount",
                 "subtotal_after", "shipping_after", "shipping_original", "shipping_seller_discount",
                 "shipping_platform_discount", "taxes", "order_amount", "refund_amount")
_TIME_FIELDS = ("created", "paid", "rts", "shipped", "delivered", "cancelled")
_TEXT_FIELDS = ("status", "substatus", "return_type", "sku_id", "seller_sku", "product_name",
                "variation", "cancel_by", "cancel_reason", "tracking", "provider", "buyer",
                "recipient", "zipcode", "country", "state", "city", "address", "package_id", "barcode")


# -- statuses and reasons ------------------------------------------------------------
_STATUS_TEXT = {
    "unpaid": "unpaid", "awaiting payment": "unpaid", "pending payment": "unpaid", "100": "unpaid",
    "on hold": "on_hold", "105": "on_hold",
    "to ship": "awaiting_shipment", "awaiting shipment": "awaiting_shipment", "111": "awaiting_shipment",
    "awaiting collection": "awaiting_collection", "112": "awaiting_collection",
    "partially shipping": "partially_shipping", "partially shipped": "partially_shipping",
    "114": "partially_shipping",
    "shipped": "in_transit", "in transit": "in_transit", "121": "in_transit",
    "delivered": "delivered", "122": "delivered",
    "completed": "completed", "complete": "completed", "130": "completed",
    "cancelled": "cancelled", "canceled": "cancelled", "140": "cancelled",
}
_GROUP_STATUSES = frozenset({"to ship", "shipped"})  # refined by the substatus

_REASON_TEXT = {_norm(text): key for key, text in rules.REASON_TEXT.items()}
_REASON_TEXT.update({_norm(text): key for text, key in {
    "Change of mind": "no_longer_needed", "Changed my mind": "no_longer_needed",
    "Don't need it anymore": "no_longer_needed", "No longer need": "no_longer_needed",
    "Change shipping address": "change_address", "Wrong address": "incorrect_address",
    "Found a better price": "better_price", "Better price": "better_price",
    "Ordered by mistake": "bought_by_mistake", "Duplicate order": "bought_by_mistake",
    "Shipping fee too high": "high_shipping_fee", "Shipping cost too high": "high_shipping_fee",
    "Delivery time is too long": "dont_want_to_wait", "Long delivery time": "dont_want_to_wait",
    "Forgot to use coupon": "forgot_coupon", "Forgot to use coupons": "forgot_coupon",
    "Add or change items": "add_items", "Payment method": "change_payment",
    "Product out of stock": "out_of_stock", "Item out of stock": "out_of_stock",
    "Sold out": "out_of_stock", "Wrong price": "pricing_error", "Price error": "pricing_error",
    "Address not serviceable": "unable_to_deliver", "Unable to deliver to buyer address": "unable_to_deliver",
    "Customer requested": "buyer_requested", "Buyer requested": "buyer_requested",
    "Package rejected": "package_rejected", "Delivery refused": "package_rejected",
    "Buyer refused delivery": "package_rejected", "Delivery failed": "delivery_failed",
    "Package collection timeout": "collection_timeout", "Package scan timeout": "collection_timeout",
    "Payment overdue": "payment_overdue", "Payment timeout": "payment_overdue",
    "Unpaid order timeout": "payment_overdue", "Order unpaid timeout": "payment_overdue",
    "Seller did not respond": "seller_no_response", "Seller response timeout": "seller_no_response",
}.items()})
_ROLE_OF_KEY = {**{k: "buyer" for k in rules.BUYER_REASONS}, **{k: "seller" for k in rules.SELLER_REASONS},
                **{k: "system" for k in rules.SYSTEM_REASONS}}
_CANCEL_BY = {"buyer": "buyer", "customer": "buyer", "user": "buyer", "seller": "seller",
              "system": "system", "platform": "system", "tiktok": "system", "tiktok shop": "system",
              "operator": "system"}


@functools.lru_cache(maxsize=1024)
def map_status(status: str, substatus: str = "") -> str | None:
    """Seller Center's Order Status (and Substatus) as this product's order status, or None."""
    main, sub = _norm(status), _norm(substatus)
    mapped = _STATUS_TEXT.get(main)
    if mapped is None:
        return None
    if main in _GROUP_STATUSES and _STATUS_TEXT.get(sub):
        return _STATUS_TEXT[sub]
    return mapped


def map_reason(text: str) -> str | None:
    """A TikTok cancel reason text as a reason key (core.rules), or None when unknown."""
    return _REASON_TEXT.get(_norm(text))


def _fallback_reason(role: str, status: str, partial: bool, collected: bool) -> str:
    if role == "buyer":
        return "no_longer_needed"
    if role == "seller":
        return "out_of_stock" if partial else "unable_to_deliver"
    if status == "unpaid":
        return "payment_overdue"
    return "delivery_failed" if collected else "collection_timeout"


# -- values ---------------------------------------------------------------------------
MAX_AMOUNT = 2_000_000_000  # minor units, for one amount and for one order's total
MAX_QUANTITY = 100_000  # units of one SKU row
MAX_ID_CHARS = 200  # Seller SKU, SKU ID, Buyer Username, Tracking ID, Package ID
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)

_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₫": "VND", "RM": "MYR",
            "Rp": "IDR", "₱": "PHP", "฿": "THB", "S$": "SGD"}
_PLAIN_MONEY = re.compile(r"(\d{1,15})(?:\.(\d{1,2}))?")
_CURRENCY_CODE = re.compile(r"\b([A-Z]{3})\b")
_SYMBOL_RE = re.compile("|".join(sorted(map(re.escape, _SYMBOLS), key=len, reverse=True)))


def _clip(value) -> str:
    """A cell's value as a message shows it: its repr, long text cut at 40 characters
    (a summary of many bad rows must stay small)."""
    if isinstance(value, str) and len(value) > 40:
        value = value[:40] + "…"
    return repr(value)


def parse_money(value, label: str = "amount") -> tuple[int | None, str | None]:
    """(minor units, currency or None); (None, None) when empty. See the module doc."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        raise RowProblem(f"{label} {value!r} is not an amount")
    if isinstance(value, (int, float, Decimal)):
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise RowProblem(f"{label} {value!r} is not an amount")
        if amount < 0:
            raise RowProblem(f"{label} is negative ({value}); amounts must be 0 or more")
        minor = amount * 100
        if minor != minor.to_integral_value():
            raise RowProblem(f"{label} {value} has more than two decimals")
        return _at_most(minor, label, value), None
    text = str(value)
    cached = _MONEY_CACHE.get(text)
    if cached is not None:
        return cached
    text = text.strip()
    if not text or text in ("-", "--", "N/A", "n/a"):
        return None, None
    match = _PLAIN_MONEY.fullmatch(text)
    if match:
        cents = match[2] or "0"
        result = _at_most(int(match[1]) * 100 + int(cents.ljust(2, "0")), label, text), None
    else:
        result = _parse_money_slow(text, label)
    if len(_MONEY_CACHE) < 200_000 and len(text) < 40:
        _MONEY_CACHE[str(value)] = result
    return result


_MONEY_CACHE: dict[str, tuple[int, str | None]] = {}  # amounts repeat a lot (prices, fees)


def _at_most(minor, label: str, shown) -> int:
    """`minor` as an int, or a RowProblem past MAX_AMOUNT (PostgreSQL keeps amounts in
    32-bit integers; no order of a shop comes near)."""
    if minor > MAX_AMOUNT:
        raise RowProblem(f"{label} {_clip(shown)} is more than {MAX_AMOUNT // 100:,}, the largest amount "
                         "this product stores")
    return int(minor)


def _parse_money_slow(text: str, label: str) -> tuple[int, str | None]:
    original = text
    currency = None
    code = _CURRENCY_CODE.search(text)
    if code:
        currency = code[1]
        text = text[:code.start()] + text[code.end():]
    symbol = _SYMBOL_RE.search(text)
    if symbol:
        currency = currency or _SYMBOLS[symbol[0]]
        text = text[:symbol.start()] + text[symbol.end():]
    text = text.replace("\u2212", "-").strip()
    negative = text.startswith("-") or text.endswith("-") or (text.startswith("(") and text.endswith(")"))
    text = re.sub(r"[\s\u00a0\u202f'’()+-]", "", text)
    if not text or not re.fullmatch(r"[\d.,]+", text) or not re.search(r"\d", text):
        raise RowProblem(f"{label} {_clip(original)} is not an amount")
    if negative:
        raise RowProblem(f"{label} is negative ({_clip(original)[1:-1]}); amounts must be 0 or more")
    decimal_sep = None
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text or "." in text:
        sep = "," if "," in text else "."
        if text.count(sep) == 1 and len(text) - text.rfind(sep) - 1 != 3:
            decimal_sep = sep
    if decimal_sep:
        whole, _, frac = text.rpartition(decimal_sep)
        whole = whole.replace(",", "").replace(".", "")
    else:
        whole, frac = text.replace(",", "").replace(".", ""), ""
    if len(frac) > 2:
        raise RowProblem(f"{label} {_clip(original)} has more than two decimals")
    if not whole.isdigit() and whole != "":
        raise RowProblem(f"{label} {_clip(original)} is not an amount")
    if len(whole) > 15:
        whole = "9" * 16  # over MAX_AMOUNT whatever it was, without converting a huge number
    return _at_most(int(whole or 0) * 100 + int(frac.ljust(2, "0") or 0), label, original), currency


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                  r"(?:\.\d+)?\s*([AaPp][Mm])?)?")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_time(value, label: str = "time", date_order: str = "dmy") -> datetime | None:
    """A Seller Center time as an aware UTC datetime; None when empty. See the module doc."""
    if value is None:
        return None
    if isinstance(value, datetime):
        try:
            when = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:
            raise RowProblem(f"{label} {value} is not a time") from None
        return _plausible(when, label, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20_000 < value < 80_000:  # an Excel serial date
            return _plausible(datetime(1899, 12, 30, tzinfo=UTC) + timedelta(days=float(value)), label, value)
        raise RowProblem(f"{label} {value!r} is not a time")
    text = str(value).strip()
    if not text or text in ("-", "--"):
        return None
    try:
        if match := _DMY.fullmatch(text):
            a, b, year, hh, mm, ss, ampm = match.groups()
            day, month = (int(a), int(b)) if date_order == "dmy" else (int(b), int(a))
            hour = int(hh or 0)
            if ampm:
                if not 1 <= hour <= 12:
                    raise ValueError
                hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
            when = datetime(int(year), month, day, hour, int(mm or 0), int(ss or 0), tzinfo=UTC)
        elif match := _YMD.fullmatch(text):
            year, month, day, hh, mm, ss = match.groups()
            when = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0),
                            tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01 with an offset east of UTC
        order = "DD/MM/YYYY" if date_order == "dmy" else "MM/DD/YYYY"
        raise RowProblem(f"{label} {_clip(text)} is not a time (this file's dates read as {order})") from None
    return _plausible(when, label, text)


def _plausible(when: datetime, label: str, shown) -> datetime:
    """Times from 2000 to 2099 only: TikTok Shop is younger, a year far off is a typo or
    a spreadsheet's artefact, and every deadline computed from it must stay a datetime."""
    if not EARLIEST <= when < LATEST:
        raise RowProblem(f"{label} {_clip(shown if isinstance(shown, str) else str(shown))} is not between "
                         f"{EARLIEST.year} and {LATEST.year - 1}; check the file's dates")
    return when


def _date_evidence(value) -> tuple[int, int]:
    if isinstance(value, str) and (match := _DMY.match(value.strip())):
        return int(int(match[1]) > 12), int(int(match[2]) > 12)
    return 0, 0


def parse_quantity(value, label: str = "Quantity", *, minimum: int = 1) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError
            number = int(value)
        else:
            number = int(str(value).strip().replace(",", ""))
    except ValueError:  # also NaN, infinities and numbers of thousands of digits
        raise RowProblem(f"{label} {_clip(value)} is not a whole number") from None
    if number < minimum:
        raise RowProblem(f"{label} is {number}; it must be {minimum} or more")
    if number > MAX_QUANTITY:
        raise RowProblem(f"{label} is {number:,}; a row may have at most {MAX_QUANTITY:,} units")
    return number


def parse_order_id(value) -> str:
    if value is None:
        raise RowProblem("Order ID is missing")
    if isinstance(value, float):
        if value.is_integer() and value < 2**53:
            value = int(value)
        else:
            raise RowProblem(f"Order ID {value!r} was rounded by a spreadsheet; export the file again "
                             "and keep Order ID as text")
    text = str(value).strip().lstrip("'\t").strip()
    if not text:
        raise RowProblem("Order ID is missing")
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise RowProblem(f"Order ID {_clip(text)} was rounded by a spreadsheet; export the file again "
                         "and keep Order ID as text")
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise RowProblem(f"Order ID {_clip(text)} is not a TikTok order ID (up to 18 digits)")
    return text


# -- parsed rows and orders -------------------------------------------------------------
class _Row:
    __slots__ = ("n", "order_id", "problem", "v")

    def __init__(self, n: int, order_id: str | None, problem: str | None, v: dict):
        self.n, self.order_id, self.problem, self.v = n, order_id, problem, v


# Order-level columns: every row of an order must agree (an empty cell agrees with anything).
_ORDER_LEVEL = ("status", "substatus", "buyer", "created", "paid", "shipping_original",
                "shipping_seller_discount", "shipping_platform_discount", "shipping_after", "taxes",
                "order_amount", "refund_amount", "recipient", "address", "city", "state", "zipcode",
                "country")
# Cancellation columns may differ per SKU (items cancelled at different times): the
# first non-empty Cancel By / Cancel Reason and the latest Cancelled Time are taken.
_CANCEL_COLUMNS = ("cancel_by", "cancel_reason")
_ORDER_LEVEL_LABEL = {**_LABEL, "substatus": "Order Substatus", "buyer": "Buyer Username",
                      "cancel_by": "Cancel By", "cancel_reason": "Cancel Reason",
                      "recipient": "Recipient", "address": "Detail Address", "city": "City",
                      "state": "State", "zipcode": "Zipcode", "country": "Country"}


_ID_LABEL = {"seller_sku": "Seller SKU", "sku_id": "SKU ID", "buyer": "Buyer Username",
             "tracking": "Tracking ID", "package_id": "Package ID"}


def _parse_row(n: int, cells: list, cols: dict, date_order: str, problem: str | None = None) -> _Row:
    """One data row's values, or its problem (`problem`: the reader's, such as a cell
    too long; the row is then bad whatever else it holds)."""
    width = len(cells)

    def cell(name):
        i = cols.get(name, width)
        return cells[i] if i < width else None

    order_id = None
    try:
        order_id = parse_order_id(cell("order_id"))
    except RowProblem as bad:
        problem = problem or str(bad)
    if problem:
        return _Row(n, order_id, problem, {})
    try:
        v: dict = {}
        for name in _TEXT_FIELDS:
            i = cols.get(name, width)
            raw = cells[i] if i < width else None
            if raw.__class__ is str:
                v[name] = raw.strip()
            else:
                v[name] = "" if raw is None else str(
                    int(raw) if isinstance(raw, float) and raw.is_integer() else raw)
        for name, label in _ID_LABEL.items():
            if len(v[name]) > MAX_ID_CHARS:  # they are indexed: PostgreSQL's index entries are bounded
                raise RowProblem(f"{label} has {len(v[name]):,} characters; an ID may have at most "
                                 f"{MAX_ID_CHARS}")
        currencies = set()
        for name in _MONEY_FIELDS:
            i = cols.get(name, width)
            amount, currency = parse_money(cells[i] if i < width else None, _LABEL[name])
            v[name] = amount
            if currency:
                currencies.add(currency)
        v["currencies"] = currencies
        for name in _TIME_FIELDS:
            i = cols.get(name, width)
            raw = cells[i] if i < width else None
            v[name] = parse_time(raw, _LABEL[name], date_order) if raw else None
        v["quantity"] = parse_quantity(cell("quantity"), "Quantity")
        if v["quantity"] is None:
            raise RowProblem("Quantity is missing")
        v["return_quantity"] = parse_quantity(cell("return_quantity"), "Sku Quantity of return",
                                              minimum=0) or 0
        if v["return_quantity"] > v["quantity"]:
            raise RowProblem(f"Sku Quantity of return ({v['return_quantity']}) is more than the "
                             f"Quantity ({v['quantity']})")
        v["mapped_status"] = map_status(v["status"], v["substatus"])
        if v["mapped_status"] is None:
            raise RowProblem(
                f"Order Status {_clip(v['status'])} is not a Seller Center order status (known: Unpaid, "
                "On hold, To ship, Awaiting shipment, Awaiting collection, Partially shipping, "
                "Shipped, In transit, Delivered, Completed, Cancelled)"
                if v["status"] else "Order Status is missing")
        if v["created"] is None:
            raise RowProblem("Created Time is missing")
        if not (v["seller_sku"] or v["sku_id"]):
            raise RowProblem("the row has neither a Seller SKU nor a SKU ID")
        return _Row(n, order_id, None, v)
    except RowProblem as problem:
        return _Row(n, order_id, str(problem), {})


def _digits(*parts: str) -> str:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return f"{int.from_bytes(digest, 'big') % 10**15:015d}"


@dataclass
class _OrderSpec:
    id: str
    rows: list[int]
    buyer: str
    recipient: str
    status: str
    order: dict
    packages: list[dict]
    lines: list[dict]
    cancellation: dict | None
    cancellation_lines: list[dict]
    currency: str | None
    products: dict  # sku -> (title, price)
    notes: list[tuple[int, str]]
    digest: str = ""
    reason_text: str = ""
    barcodes: dict = field(default_factory=dict)  # sku -> GTIN/UPC, where the export has one


def _build_order(order_id: str, rows: list[_Row], shop: SimpleNamespace) -> _OrderSpec:
    """Every row of one order as an order spec; RowProblem(row number, why) when they don't fit."""
    merged, currency = _merged(rows, shop)
    status = merged["mapped_status"]
    paid = _paid_time(merged, status)
    cancelling = _is_cancellation(merged, status, rows)
    packages, lines, products, notes = _packages_and_lines(order_id, rows, status, cancelling, shop)
    barcodes = {}
    for row in rows:
        sku, code = row.v["seller_sku"] or row.v["sku_id"], (row.v.get("barcode") or "").replace(" ", "")
        if is_gtin(code):
            barcodes.setdefault(sku, code)
    taxes = merged["taxes"] or 0
    shipping_tax = _spread_tax(lines, taxes)
    shipping = _shipping_fee(merged, lines, taxes, rows[0].n, shop)
    _give_statuses(packages, lines, status, paid, rows[0].n)
    order = _order_row(order_id, merged, status, paid, packages, shipping, shipping_tax, shop)
    package_rows = [{"id": pk["id"], "order_id": order_id, "status": pk["status"],
                     "tracking_number": pk["tracking"], "shipping_provider": pk["provider"],
                     "packed_at": pk["rts"] if pk["status"] != "awaiting_shipment" else None,
                     "collected_at": pk["shipped"] if pk["status"] in rules.COLLECTED else None,
                     "delivered_at": pk["delivered"] if pk["status"] == "delivered" else None,
                     "returned_at": None, "rows": pk["rows"]} for pk in packages]
    spec = _OrderSpec(order_id, [r.n for r in rows], merged["buyer"], merged["recipient"], status,
                      order, package_rows, lines, None, [], currency, products, notes,
                      reason_text=merged["cancel_reason"] or "", barcodes=barcodes)
    _add_cancellation(spec, merged, rows, packages, shop.currency)
    spec.digest = _digest(spec)
    return spec


def _merged(rows: list[_Row], shop: SimpleNamespace) -> tuple[dict, str | None]:
    """The order-level columns of all its rows as one (rows that disagree are a problem),
    and the currency its amounts are in (the shop's, or none given)."""
    first = rows[0].v
    for row in rows[1:]:
        for name in _ORDER_LEVEL:
            if row.v[name] != first[name] and row.v[name] not in (None, "") and first[name] not in (None, ""):
                raise _OrderProblem(row.n, f"{_ORDER_LEVEL_LABEL[name]} {_show(row.v[name], shop.currency)} "
                                           f"differs from row {rows[0].n}'s {_show(first[name], shop.currency)} "
                                           "for the same order")
    if len(rows) == 1:
        merged = dict(first)
    else:
        merged = {name: next((r.v[name] for r in rows if r.v[name] not in (None, "")), first[name])
                  for name in _ORDER_LEVEL + _CANCEL_COLUMNS}
        merged["cancelled"] = max((r.v["cancelled"] for r in rows if r.v["cancelled"]), default=None)
    merged["mapped_status"] = first["mapped_status"]
    currencies = set().union(*(r.v["currencies"] for r in rows))
    if len(currencies) > 1:
        raise _OrderProblem(rows[0].n, f"the order's amounts are in several currencies ({', '.join(sorted(currencies))})")
    currency = next(iter(currencies), None)
    if currency and currency != shop.currency:
        raise _OrderProblem(rows[0].n, f"amounts are in {currency} but the shop {shop.name} sells in "
                                       f"{shop.currency}")
    return merged, currency


def _paid_time(merged: dict, status: str):
    if status == "unpaid":
        return None
    if merged["paid"] is None and (status != "cancelled" or (merged["refund_amount"] or 0) > 0):
        return merged["created"]  # paid (or refunded), but the export has no Paid Time: take Created Time
    return merged["paid"]


def _packages_and_lines(order_id: str, rows: list[_Row], status: str, cancelling: bool,
                        shop: SimpleNamespace) -> tuple[list[dict], list[dict], dict, list]:
    """The order's packages (by Package ID) and lines (one a row), in id order; the
    products they name; notes on what is not imported."""
    package_keys: dict[str, dict] = {}
    lines: list[dict] = []
    products: dict = {}
    occurrences: dict = {}
    notes: list[tuple[int, str]] = []
    for row in rows:
        v = row.v
        key = v["package_id"] or ""
        pk = package_keys.get(key)
        if pk is None:
            pid = key if re.fullmatch(r"\d{1,18}", key) else PREFIX["package"] + _digits("package", order_id, key)
            pk = package_keys[key] = {"id": pid, "key": key, "rows": [], "rts": None, "shipped": None,
                                      "delivered": None, "tracking": None, "provider": None}
        pk["rows"].append(row.n)
        for name in ("rts", "shipped", "delivered"):
            if v[name] and (pk[name] is None or v[name] > pk[name]):
                pk[name] = v[name]
        pk["tracking"] = pk["tracking"] or v["tracking"] or None
        pk["provider"] = pk["provider"] or v["provider"] or None
        sku = v["seller_sku"] or v["sku_id"]
        n = occurrences[(key, sku)] = occurrences.get((key, sku), 0) + 1
        line = _line(row, PREFIX["line"] + _digits("line", order_id, key, sku, str(n)), order_id,
                     pk["id"], sku, status, cancelling, shop)
        if not cancelling and v["return_quantity"] and status != "cancelled":
            notes.append((row.n, f"{plural(v['return_quantity'], 'unit')} returned after delivery; returns "
                                 "are not cancellations and are not imported"))
        lines.append(line)
        products.setdefault(sku, (line["title"], line["unit_original_price"]))
    lines.sort(key=lambda l: l["id"])  # the same order whatever the rows' order
    return sorted(package_keys.values(), key=lambda pk: pk["id"]), lines, products, notes


def _line(row: _Row, line_id: str, order_id: str, package_id: str, sku: str, status: str,
          cancelling: bool, shop: SimpleNamespace) -> dict:
    """One row's line: its title, unit price (from the subtotal when not given) and discounts."""
    v = row.v
    title = v["product_name"] or sku
    if v["variation"]:
        title = f"{title}, {v['variation']}"
    qty = v["quantity"]
    unit = v["unit_price"]
    if unit is None:
        before = v["subtotal_before"]
        if before is None:
            raise _OrderProblem(row.n, "the row has neither SKU Unit Original Price nor SKU "
                                       "Subtotal Before Discount")
        if before % qty:
            raise _OrderProblem(row.n, f"SKU Subtotal Before Discount ({format_money(before, shop.currency)}) does not "
                                       f"divide into {qty} equal unit prices")
        unit = before // qty
    seller_d, platform_d = v["seller_discount"], v["platform_discount"]
    if seller_d is None and platform_d is None and v["subtotal_after"] is not None:
        seller_d = unit * qty - v["subtotal_after"]  # the split is unknown: the seller's
    seller_d, platform_d = seller_d or 0, platform_d or 0
    if unit * qty - seller_d - platform_d < 0:
        raise _OrderProblem(row.n, "the SKU's discounts are more than its price")
    cancelled = qty if status == "cancelled" else (v["return_quantity"] if cancelling else 0)
    return {"id": line_id, "order_id": order_id, "package_id": package_id, "sku": sku, "title": title,
            "quantity": qty, "unit_original_price": unit, "seller_discount": seller_d,
            "platform_discount": platform_d, "tax": 0, "cancelled_quantity": cancelled, "row": row.n}


def _spread_tax(lines: list[dict], taxes: int) -> int:
    """The order's Taxes spread over its lines by paid subtotal; returns what is left for
    shipping (all of it when no line was paid anything)."""
    paid_subtotals = [l["unit_original_price"] * l["quantity"] - l["seller_discount"] - l["platform_discount"]
                      for l in lines]
    base = sum(paid_subtotals)
    if not (taxes and base):
        return taxes
    shares = [taxes * p // base for p in paid_subtotals]
    for i in range(taxes - sum(shares)):
        shares[i % len(shares)] += 1
    for line, share in zip(lines, shares):
        line["tax"] = share
    return 0


def _shipping_fee(merged: dict, lines: list[dict], taxes: int, first_row: int,
                  shop: SimpleNamespace) -> tuple[int, int, int]:
    """The original shipping fee and its seller and platform discounts (after-discount
    only: no discounts); refuses an order larger than this product stores."""
    original = merged["shipping_original"]
    s_seller, s_platform = merged["shipping_seller_discount"] or 0, merged["shipping_platform_discount"] or 0
    if original is None:
        original, s_seller, s_platform = merged["shipping_after"] or 0, 0, 0
    if original - s_seller - s_platform < 0:
        raise _OrderProblem(first_row, "the shipping fee's discounts are more than the shipping fee")
    gross = sum(l["unit_original_price"] * l["quantity"] for l in lines) + original + taxes
    if gross > MAX_AMOUNT:  # every amount stored for the order (refunds too) is at most this
        raise _OrderProblem(first_row, f"the order adds up to {format_money(gross, shop.currency)}, more "
                                       f"than the {format_money(MAX_AMOUNT, shop.currency)} this product "
                                       "stores for one order")
    return original, s_seller, s_platform


def _give_statuses(packages: list[dict], lines: list[dict], status: str, paid, first_row: int) -> None:
    """Each package's status, such that the order's status derives from them as the export says."""
    statuses = _package_statuses(status, packages, lines)
    if statuses is None:
        raise _OrderProblem(first_row, "Order Status says Partially shipping but the packages' "
                                       "Shipped Times show no mix of shipped and unshipped packages")
    for pk, st in zip(packages, statuses):
        pk["status"] = st
    derived = rules.derive_order_status(statuses, paid=paid is not None, on_hold=status == "on_hold",
                                        completed=status == "completed")
    if derived != status:
        why = ("every unit is cancelled (Sku Quantity of return)" if derived == "cancelled"
               else f"its packages make it {rules.STATUS_LABELS[derived]}")
        raise _OrderProblem(first_row, f"Order Status says {rules.STATUS_LABELS[status]} but {why}")


def _order_row(order_id: str, merged: dict, status: str, paid, packages: list[dict],
               shipping: tuple[int, int, int], shipping_tax: int, shop: SimpleNamespace) -> dict:
    """The order's own row: its times (hold, ship by, completion from the last known time)."""
    created = merged["created"]
    hold_until = paid + timedelta(minutes=shop.hold_window_minutes) if paid else None
    delivered = max((pk["delivered"] for pk in packages if pk["delivered"]), default=None)
    completes_at = completed_at = None
    if status in ("delivered", "completed"):
        last = delivered or max(t for t in (created, paid, *(pk["shipped"] for pk in packages)) if t)
        completes_at = last + timedelta(days=shop.return_window_days)
        if status == "completed":  # the export has no completion time: its last known time
            completes_at = completed_at = last
    address = ", ".join(part for part in (merged["address"], merged["city"],
                                          f"{merged['state']} {merged['zipcode']}".strip(),
                                          merged["country"]) if part)
    original, s_seller, s_platform = shipping
    return {"id": order_id, "status": status, "created_at": created, "paid_at": paid,
            "hold_until": hold_until,
            "ship_by": paid + timedelta(hours=shop.ship_within_hours) if paid else None,
            "completes_at": completes_at, "completed_at": completed_at,
            "recipient": merged["recipient"], "address": address,
            "original_shipping_fee": original, "shipping_fee_seller_discount": s_seller,
            "shipping_fee_platform_discount": s_platform, "shipping_tax": shipping_tax}


def _digest(spec: _OrderSpec) -> str:
    """What the order holds, so an import of the same order again is recognised."""
    content = [spec.buyer, spec.order, [{k: v for k, v in p.items() if k != "rows"} for p in spec.packages],
               [{k: v for k, v in l.items() if k != "row"} for l in spec.lines], spec.cancellation,
               spec.cancellation_lines, sorted(spec.products.items())]
    return hashlib.sha256(repr(content).encode()).hexdigest()[:32]


class _OrderProblem(Exception):
    def __init__(self, row: int, why: str):
        super().__init__(why)
        self.row, self.why = row, why


def _show(value, currency: str) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, int):
        return format_money(value, currency)
    return _clip(value)


def _is_cancellation(merged: dict, status: str, rows: list[_Row]) -> bool:
    kinds = {_norm(r.v["return_type"]) for r in rows} - {""}
    if any("cancel" in k for k in kinds):
        return True
    if kinds:  # Return/Refund, Refund only...
        return False
    if merged["cancel_by"] or merged["cancel_reason"] or merged["cancelled"]:
        return True
    return status not in ("in_transit", "delivered", "completed")


_DEFAULT_PACKAGE_STATUS = {
    "unpaid": "awaiting_shipment", "on_hold": "awaiting_shipment",
    "awaiting_shipment": "awaiting_shipment", "awaiting_collection": "awaiting_collection",
    "in_transit": "in_transit", "delivered": "delivered", "completed": "delivered",
    "cancelled": "cancelled",
}


def _package_statuses(status: str, packages: list[dict], lines: list[dict]) -> list[str] | None:
    dead = []
    for pk in packages:
        own = [l for l in lines if l["package_id"] == pk["id"]]
        dead.append(all(l["cancelled_quantity"] == l["quantity"] for l in own))
    if status in ("unpaid", "on_hold", "cancelled"):
        default = _DEFAULT_PACKAGE_STATUS[status]
        return ["cancelled" if d else default for d in dead]
    by_time = []
    for pk, d in zip(packages, dead):
        if d:
            by_time.append("cancelled")
        elif pk["delivered"]:
            by_time.append("delivered")
        elif pk["shipped"]:
            by_time.append("in_transit")
        elif pk["rts"]:
            by_time.append("awaiting_collection")
        else:
            by_time.append("awaiting_shipment")
    if rules.derive_order_status(by_time, paid=True, completed=status == "completed") == status:
        return by_time
    if status == "partially_shipping":
        return None
    default = _DEFAULT_PACKAGE_STATUS[status]
    return ["cancelled" if d else default for d in dead]


def _add_cancellation(spec: _OrderSpec, merged: dict, rows: list[_Row], packages: list[dict],
                      currency: str) -> None:
    quantities = {l["id"]: l["cancelled_quantity"] for l in spec.lines if l["cancelled_quantity"]}
    if not quantities:
        return
    role = _CANCEL_BY.get(_norm(merged["cancel_by"]))
    reason = map_reason(merged["cancel_reason"]) if merged["cancel_reason"] else None
    if role is None:
        role = _ROLE_OF_KEY.get(reason, "system" if spec.status in ("unpaid", "cancelled") else "seller")
    if reason is None:
        collected = any(pk.get("shipped") for pk in packages)
        reason = _fallback_reason(role, spec.status, spec.status != "cancelled", collected)
        said = f"Cancel Reason {_clip(merged['cancel_reason'])} is not a known TikTok reason" \
            if merged["cancel_reason"] else "Cancel Reason is empty"
        spec.notes.append((rows[0].n, f"{said}; recorded as {reason!r} ({rules.REASON_TEXT[reason]})"))
    order = SimpleNamespace(**spec.order)
    lines = [SimpleNamespace(**{**l, "cancelled_quantity": 0}) for l in spec.lines]
    refund = refunds.refund_for(order, lines, quantities)
    if merged["refund_amount"] is not None and merged["refund_amount"] != refund.total:
        spec.notes.append((rows[0].n, f"Order Refund Amount {format_money(merged['refund_amount'], currency)} "
                                      f"differs from the refund rule's {format_money(refund.total, currency)}; the rule's "
                                      "figure is recorded"))
    when = merged["cancelled"] or max(
        t for t in (spec.order["created_at"], spec.order["paid_at"],
                    *(pk["rts"] for pk in packages), *(pk["shipped"] for pk in packages)) if t)
    cancel_id = PREFIX["cancellation"] + _digits("cancellation", spec.id)
    spec.cancellation = {
        "id": cancel_id, "order_id": spec.id, "type": "buyer_cancel" if role == "buyer" else "cancel",
        "role": role, "scope": "order" if spec.status == "cancelled" else "items", "package_id": None,
        "reason": reason, "status": "success", "reject_reason": None,
        "refund_subtotal": refund.subtotal, "refund_shipping": refund.shipping,
        "refund_tax": refund.tax, "refund_total": refund.total,
        "idempotency_key": IMPORT_KEY + spec.id, "created_at": when, "updated_at": when,
        "deadline_at": None}
    spec.cancellation_lines = [{"cancellation_id": cancel_id, "line_id": part.line_id,
                                "quantity": part.quantity, "refund_subtotal": part.subtotal,
                                "refund_tax": part.tax} for part in refund.lines]


# -- the import ---------------------------------------------------------------------------
@dataclass
class _Summary:
    file: str
    format: str
    encoding: str | None
    date_order: str
    shop: str = ""
    shop_created: bool = False
    dry_run: bool = False
    rows: int = 0
    orders_in_file: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    buyers_created: int = 0
    products_created: int = 0
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    skipped_orders: list = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _DryRun(Exception):
    pass


Progress = Callable[[str, int, int], None]


def import_file(db: Database, path, *, shop: str | None = None, dry_run: bool = False,
                now: datetime | None = None, date_order: str | None = None,
                progress: Progress | None = None) -> dict:
    """Import a Seller Center order export. Returns the summary (see the module doc).
    `progress(stage, done, total)` is called now and then; stages: read, check, write.
    Raises ImportFileError when the file can't be imported at all (nothing written)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    path = Path(path)
    try:
        with open_table(path) as table:
            cols = _columns(table.header, path.name)
            date_order = date_order or _date_order(table, cols)
            summary = _Summary(str(path), table.kind, table.encoding, date_order, dry_run=dry_run)
            groups, bad_rows = _read_rows(table, cols, summary, progress)
    except TableFileError as exc:
        raise ImportFileError(str(exc)) from None
    summary.orders_in_file = len(groups)
    for row in bad_rows:
        summary.problems.append({"row": row.n, "order_id": None, "problem": row.problem})

    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small dicts and no cycles
    try:
        # The shop and every order's spec first, outside the write transaction, so the
        # database is locked only while the rows are compared and written.
        currencies: dict[str, int] = {}
        for rows in groups.values():
            for row in rows:
                for c in row.v.get("currencies", ()):
                    currencies[c] = currencies.get(c, 0) + 1
        with db.read() as session:
            shop_ns = _choose_shop(session, shop, max(currencies, key=currencies.get) if currencies else None)
        summary.shop = shop_ns.name
        specs = _prepare(summary, groups, shop_ns, progress)
        if progress:
            progress("check", len(groups), len(groups))
        with db.write() as session, bulk_cache(session.connection(), summary.rows):
            _write(session, summary, groups, specs, shop_ns, now, path.name, progress)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        if gc_was_enabled:
            gc.enable()
    summary.problems.sort(key=lambda p: p["row"])
    summary.notes.sort(key=lambda p: p["row"])
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary.as_dict()


def _columns(header: list[str], file_name: str) -> dict[str, int]:
    """Each known column's index (the first of its name); ImportFileError when a
    required one is missing."""
    cols: dict[str, int] = {}
    for i, name in enumerate(header):
        key = _HEADER_OF.get(_norm(name))
        if key and key not in cols:
            cols[key] = i
    missing = [label for key, label in (("order_id", "Order ID"), ("status", "Order Status"),
                                        ("quantity", "Quantity"), ("created", "Created Time"))
               if key not in cols]
    if "seller_sku" not in cols and "sku_id" not in cols:
        missing.append("Seller SKU or SKU ID")
    if missing:
        raise ImportFileError(
            f"{file_name} is not a Seller Center order export: it has no {', '.join(missing)} "
            f"column{'s' if len(missing) > 1 else ''}. Export the orders again from Seller Center "
            "(Orders → Export).")
    return cols


def _date_order(table: Table, cols: dict[str, int]) -> str:
    """The order of day and month, once for the whole file (see the module doc)."""
    time_cols = [cols[name] for name in _TIME_FIELDS if name in cols]
    day_first = month_first = 0
    for _, cells, _ in table.rows():
        for i in time_cols:
            if i < len(cells):
                d, m = _date_evidence(cells[i])
                day_first += d
                month_first += m
        if abs(day_first - month_first) >= 200:  # settled; no need to read on
            break
    return "mdy" if month_first > day_first else "dmy"


def _read_rows(table: Table, cols: dict[str, int], summary: _Summary,
               progress: Progress | None) -> tuple[dict[str, list[_Row]], list[_Row]]:
    """Every data row parsed, grouped by Order ID; and the rows without one."""
    groups: dict[str, list[_Row]] = {}
    bad_rows: list[_Row] = []
    for k, (n, cells, problem) in enumerate(table.rows()):
        if k == 0 and not problem and _is_description_row(cells, cols):
            continue
        row = _parse_row(n, cells, cols, summary.date_order, problem)
        summary.rows += 1
        if row.order_id is None:
            bad_rows.append(row)
        else:
            groups.setdefault(row.order_id, []).append(row)
        if progress and summary.rows % 2000 == 0:
            progress("read", table.done(), table.size)
    if progress:
        progress("read", table.size, table.size)
    return groups, bad_rows


def _is_description_row(cells, cols) -> bool:
    value = cells[cols["order_id"]] if cols["order_id"] < len(cells) else None
    return isinstance(value, str) and " " in value.strip() and not value.strip().lstrip("'").isdigit()


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _choose_shop(session, name: str | None, currency: str | None) -> SimpleNamespace:
    """The shop the orders go to: --shop NAME, else the only shop, else a new "TikTok Shop"
    in an empty database. A shop still to be created has id None (and Shop's defaults)."""
    if name:
        if len(name) > MAX_ID_CHARS:
            raise ImportFileError(f"--shop: a shop's name may have at most {MAX_ID_CHARS} characters.")
        found = session.execute(select(Shop).where(Shop.name == name)).scalar_one_or_none()
    else:
        shops = session.execute(select(Shop).order_by(Shop.id)).scalars().all()
        if len(shops) > 1:
            raise ImportFileError("This database has several shops; say which one the orders belong "
                                  f"to with --shop NAME. Shops: {', '.join(s.name for s in shops)}.")
        found = shops[0] if shops else None
        name = DEFAULT_SHOP
    shop = found or Shop(name=name, email="", currency=currency or "USD")
    return SimpleNamespace(id=shop.id, name=shop.name, currency=shop.currency,
                           hold_window_minutes=shop.hold_window_minutes,
                           ship_within_hours=shop.ship_within_hours,
                           return_window_days=shop.return_window_days)


def _create_shop(session, shop: SimpleNamespace, summary: _Summary) -> None:
    found = session.execute(select(Shop.id).where(Shop.name == shop.name)).scalar_one_or_none()
    if found is not None:  # created by someone else meanwhile
        shop.id = found
        return
    slug = re.sub(r"[^a-z0-9]+", "-", shop.name.lower()).strip("-") or "shop"
    record = Shop(name=shop.name, email=f"seller@{slug}.invalid", currency=shop.currency)
    session.add(record)
    session.flush()
    shop.id = record.id
    summary.shop_created = True


def _skip(summary: _Summary, order_id: str, rows: list[_Row], row_no: int, why: str) -> None:
    summary.skipped += 1
    summary.problems.append({"row": row_no, "order_id": order_id, "problem": why})
    summary.skipped_orders.append({"order_id": order_id, "rows": [r.n for r in rows], "why": why})


def _prepare(summary: _Summary, groups: dict, shop: SimpleNamespace,
             progress: Progress | None = None) -> list[_OrderSpec]:
    """Every order of the file as a spec, outside any transaction; orders with a bad row,
    or that don't add up, are skipped and reported."""
    specs: list[_OrderSpec] = []
    package_owner: dict[str, tuple[str, int]] = {}
    for k, (order_id, rows) in enumerate(groups.items(), start=1):
        if progress and k % 2000 == 0:
            progress("check", k, len(groups))
        bad = [r for r in rows if r.problem]
        if bad:
            for r in bad[1:]:
                summary.problems.append({"row": r.n, "order_id": order_id, "problem": r.problem})
            _skip(summary, order_id, rows, bad[0].n, bad[0].problem)
            continue
        try:
            spec = _build_order(order_id, rows, shop)
        except _OrderProblem as problem:
            _skip(summary, order_id, rows, problem.row, problem.why)
            continue
        clash = next(((pk, package_owner[pk["id"]]) for pk in spec.packages
                      if package_owner.get(pk["id"], (order_id,))[0] != order_id), None)
        if clash:
            pk, (other, row_no) = clash
            _skip(summary, order_id, rows, pk["rows"][0],
                  f"Package ID {pk['id']} is also used by order {other} (row {row_no})")
            continue
        for pk in spec.packages:
            package_owner[pk["id"]] = (order_id, pk["rows"][0])
        specs.append(spec)
    return specs


def _write(session, summary: _Summary, groups: dict, specs: list[_OrderSpec], shop: SimpleNamespace,
           now, file_name, progress) -> None:
    """The one write transaction: compare with what the database holds, then write."""
    if shop.id is None:
        _create_shop(session, shop, summary)

    def skip(order_id, rows, row_no, why):
        _skip(summary, order_id, rows, row_no, why)

    # What the database already holds for these orders.
    ids = [s.id for s in specs]
    existing: dict[str, tuple[int, int]] = {}
    last_import: dict[str, tuple[int, str]] = {}
    last_local: dict[str, int] = {}
    for chunk in _chunks(ids):
        # Locked (PostgreSQL: FOR UPDATE) so no station changes them between this check and
        # the write; SQLite's BEGIN IMMEDIATE already serializes writers.
        for oid, shop_id, version in session.execute(
                select(Order.id, Order.shop_id, Order.version).where(Order.id.in_(chunk))
                .with_for_update()):
            existing[oid] = (shop_id, version)
    known = [i for i in ids if i in existing]
    for chunk in _chunks(known):
        for oid, eid, detail in session.execute(
                select(OrderEvent.order_id, OrderEvent.id, OrderEvent.detail)
                .where(OrderEvent.order_id.in_(chunk), OrderEvent.kind == "imported")):
            if oid not in last_import or eid > last_import[oid][0]:
                last_import[oid] = (eid, detail)
        for oid, eid in session.execute(
                select(OrderEvent.order_id, func.max(OrderEvent.id))
                .where(OrderEvent.order_id.in_(chunk), OrderEvent.kind.notin_(TIME_ONLY_EVENTS))
                .group_by(OrderEvent.order_id)):
            last_local[oid] = eid
    package_ids = [pk["id"] for s in specs for pk in s.packages]
    foreign_packages: dict[str, str] = {}
    for chunk in _chunks(package_ids):
        for pkid, oid in session.execute(select(Package.id, Package.order_id).where(Package.id.in_(chunk))):
            foreign_packages[pkid] = oid

    new, changed = [], []
    for spec in specs:
        rows = groups[spec.id]
        clash = next((pk for pk in spec.packages
                      if foreign_packages.get(pk["id"], spec.id) != spec.id), None)
        if clash:
            skip(spec.id, rows, clash["rows"][0], f"Package ID {clash['id']} already belongs to order "
                                                  f"{foreign_packages[clash['id']]}")
            continue
        if spec.id not in existing:
            new.append(spec)
        else:
            shop_id, _ = existing[spec.id]
            imported = last_import.get(spec.id)
            if shop_id != shop.id:
                skip(spec.id, rows, rows[0].n, "this Order ID belongs to another shop's order; not "
                                               "overwritten")
                continue
            if imported is None:
                skip(spec.id, rows, rows[0].n, "an order with this ID was created in orderdesk, not "
                                               "imported; not overwritten")
                continue
            if last_local.get(spec.id, 0) > imported[0]:
                skip(spec.id, rows, rows[0].n, "the order was changed in orderdesk since it was "
                                               "imported (see its timeline); not overwritten")
                continue
            if json.loads(imported[1] or "{}").get("digest") == spec.digest:
                summary.unchanged += 1
                continue
            changed.append(spec)
        summary.notes.extend({"row": r, "order_id": spec.id, "note": note} for r, note in spec.notes)

    # Buyers and products, created as needed.
    buyer_ids = _ensure_buyers(session, {s.buyer or "tiktok-buyer": s.recipient for s in new + changed},
                               summary)
    product_ids = _ensure_products(session, shop.id, new + changed, summary)

    # Replace what changed, then insert everything in bulk.
    changed_ids = [s.id for s in changed]
    for chunk in _chunks(changed_ids):
        cancel_ids = select(Cancellation.id).where(Cancellation.order_id.in_(chunk))
        session.execute(delete(CancellationLine).where(CancellationLine.cancellation_id.in_(cancel_ids)))
        session.execute(delete(Cancellation).where(Cancellation.order_id.in_(chunk)))
        session.execute(delete(OrderLine).where(OrderLine.order_id.in_(chunk)))
        session.execute(delete(Package).where(Package.order_id.in_(chunk)))
    orders, packages, lines, cancels, cancel_lines, events = [], [], [], [], [], []
    total = len(new) + len(changed)
    done = 0
    for spec, is_new in [(s, True) for s in new] + [(s, False) for s in changed]:
        row = {**spec.order, "shop_id": shop.id, "buyer_id": buyer_ids[spec.buyer or "tiktok-buyer"],
               "currency": shop.currency, "updated_at": now,
               "sla_clock": False}  # Seller Center's own clock runs for it (models.Order.sla_clock)
        if is_new:
            orders.append({**row, "version": 1})
            events.append({"order_id": spec.id, "at": spec.order["created_at"], "actor": "buyer",
                           "kind": "placed", "detail": json.dumps({"source": "tiktok"})})
        else:
            values = {k: v for k, v in row.items() if k != "id"}
            session.execute(update(Order).where(Order.id == spec.id)
                            .values(**values, version=Order.version + 1))
        packages.extend({k: v for k, v in pk.items() if k != "rows"} for pk in spec.packages)
        lines.extend({**{k: v for k, v in l.items() if k != "row"},
                      "product_id": product_ids.get(l["sku"])} for l in spec.lines)
        if spec.cancellation:
            cancels.append(spec.cancellation)
            cancel_lines.extend(spec.cancellation_lines)
        detail = {"source": "tiktok", "file": file_name, "digest": spec.digest,
                  "status": spec.status, "rows": [spec.rows[0], spec.rows[-1]]}
        if spec.reason_text:
            detail["cancel_reason_text"] = spec.reason_text
        events.append({"order_id": spec.id, "at": now, "actor": "system", "kind": "imported",
                       "detail": json.dumps(detail, sort_keys=True)})
        done += 1
        if progress and done % 5000 == 0:
            progress("write", done, total)
    insert = _inserter(session)
    for table, rows in ((Order, orders), (Package, packages), (OrderLine, lines),
                        (Cancellation, cancels), (CancellationLine, cancel_lines), (OrderEvent, events)):
        for chunk in _chunks(rows, 20_000):
            insert(table.__table__, chunk)
    if progress:
        progress("write", total, total)
    summary.added, summary.updated = len(new), len(changed)


def _inserter(session):
    """insert(table, rows): on SQLite the driver's executemany with times converted by
    SQLAlchemy's own DateTime bind processor (the same text it would store), which
    skips SQLAlchemy's per-row parameter handling; elsewhere a Core insert."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return lambda table, rows: conn.execute(table.insert(), rows)
    to_text = DateTime().dialect_impl(conn.dialect).bind_processor(conn.dialect)
    cursor = conn.connection.dbapi_connection.cursor()

    def insert(table, rows: list[dict]) -> None:
        if not rows:
            return
        names = list(rows[0])
        times = [i for i, name in enumerate(names) if isinstance(table.c[name].type, DateTime)]
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        values = []
        for r in rows:
            row = list(r.values())
            for i in times:
                if row[i] is not None:
                    row[i] = to_text(row[i])
            values.append(row)
        cursor.executemany(sql, values)

    return insert


def _ensure_buyers(session, wanted: dict[str, str], summary: _Summary) -> dict[str, int]:
    ids: dict[str, int] = {}
    names = list(wanted)
    for chunk in _chunks(names):
        for bid, username in session.execute(select(Buyer.id, Buyer.username).where(Buyer.username.in_(chunk))):
            ids[username] = bid
    missing = [u for u in names if u not in ids]
    if missing:
        session.execute(Buyer.__table__.insert(), [
            {"username": u, "name": wanted[u] or u, "email": f"{re.sub(r'[^A-Za-z0-9._-]+', '_', u)}@buyers.invalid",
             "address": "", "refusal_count": 0} for u in missing])
        for chunk in _chunks(missing):
            for bid, username in session.execute(
                    select(Buyer.id, Buyer.username).where(Buyer.username.in_(chunk))):
                ids[username] = bid
        summary.buyers_created = len(missing)
    return ids


def _ensure_products(session, shop_id: int, specs: list[_OrderSpec], summary: _Summary) -> dict[str, int]:
    """The shop's product IDs by SKU, creating the missing products. A product gets the
    export's barcode when it has none yet and no other product of the shop has that one
    (a barcode is unique per shop: the first SKU to claim it keeps it)."""
    wanted: dict[str, tuple[str, int]] = {}
    barcodes: dict[str, str] = {}
    for spec in specs:
        for sku, info in spec.products.items():
            wanted.setdefault(sku, info)
        for sku, code in spec.barcodes.items():
            barcodes.setdefault(sku, code)
    known = {sku: (pid, code) for pid, sku, code in session.execute(
        select(Product.id, Product.sku, Product.barcode).where(Product.shop_id == shop_id))}
    taken = {code for _, code in known.values() if code}
    given: dict[str, str] = {}
    for sku, code in barcodes.items():
        if code not in taken and not (sku in known and known[sku][1]):
            given[sku] = code
            taken.add(code)
    missing = [sku for sku in wanted if sku not in known]
    if missing:
        session.execute(Product.__table__.insert(), [
            {"shop_id": shop_id, "sku": sku, "title": wanted[sku][0], "price": wanted[sku][1], "stock": 0,
             "barcode": given.get(sku)} for sku in missing])
        summary.products_created = len(missing)
    for sku, code in given.items():
        if sku in known:
            session.execute(Product.__table__.update().where(Product.id == known[sku][0]).values(barcode=code))
    return {sku: pid for pid, sku in session.execute(
        select(Product.id, Product.sku).where(Product.shop_id == shop_id))}
