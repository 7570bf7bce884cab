"""Exporting cancellations for the seller's bookkeeping: `orderdesk export cancellations`.

Every cancellation (any status: done, pending request, closed), oldest first,
with its order, shop, buyer, role, reason (key and text), scope, the lines and
quantities it cancelled, its refund breakdown and its times. `source` says
where it came from: `tiktok_import` (read from a Seller Center export) or
`orderdesk` (made in this app).

- JSON (`cancellations_json`): one object per cancellation with its lines nested.
  Money in integer minor units, like every JSON this product prints.
- CSV (`write_csv`): one row per cancelled line (a cancellation without lines,
  such as a pending request, is one row with the line columns empty). Money as
  decimal amounts ("12.30") with a currency column, for spreadsheets. A row's
  refund columns are that line's part; the shipping refund and its tax sit on
  the cancellation's first row, so summing a column over the file gives the
  true totals (nothing is counted twice). A text cell a spreadsheet would run as a
  formula (starting with `=`, `+`, `-`, `@`, tab or CR: names and titles come from
  imported files) gets a leading single quote, as OWASP advises against CSV
  injection; amounts ("-1.50") stay numbers. JSON keeps the text as it is.
- `since`: only cancellations created at or after that instant (parse it with
  `core.clock.parse_instant`: a date means its midnight, UTC).
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from typing import IO

from sqlalchemy import select

from core import rules
from core.models import Buyer, Cancellation, CancellationLine, Order, OrderLine, Shop
from core.tiktok_import import IMPORT_KEY

CSV_COLUMNS = (
    "cancellation_id", "order_id", "shop", "buyer", "currency", "source", "type", "role", "scope",
    "package_id", "status", "reason", "reason_text", "reject_reason", "created_at", "updated_at",
    "line_id", "sku", "title", "line_quantity", "cancelled_quantity", "refund_subtotal",
    "refund_shipping", "refund_tax", "refund_total",
)


def iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return (when.replace(tzinfo=UTC) if when.tzinfo is None else when).isoformat()


def cancellations_json(session, since: datetime | None = None) -> list[dict]:
    """Every cancellation (oldest first) with its order, lines and refund, JSON-ready."""
    query = (select(Cancellation, Order.currency, Shop.name, Buyer.username)
             .join(Order, Order.id == Cancellation.order_id)
             .join(Shop, Shop.id == Order.shop_id)
             .join(Buyer, Buyer.id == Order.buyer_id)
             .order_by(Cancellation.created_at, Cancellation.id))
    if since is not None:
        query = query.where(Cancellation.created_at >= since)
    records = session.execute(query).all()
    lines: dict[str, list] = {}
    line_query = (select(CancellationLine, OrderLine.sku, OrderLine.title, OrderLine.quantity)
                  .join(OrderLine, OrderLine.id == CancellationLine.line_id)
                  .order_by(CancellationLine.cancellation_id, CancellationLine.id))
    if since is not None:
        line_query = line_query.join(Cancellation, Cancellation.id == CancellationLine.cancellation_id) \
            .where(Cancellation.created_at >= since)
    for part, sku, title, quantity in session.execute(line_query):
        lines.setdefault(part.cancellation_id, []).append({
            "line_id": part.line_id, "sku": sku, "title": title, "line_quantity": quantity,
            "quantity": part.quantity,
            "refund": {"subtotal": part.refund_subtotal, "tax": part.refund_tax,
                       "total": part.refund_subtotal + part.refund_tax},
        })
    out = []
    for c, currency, shop, buyer in records:
        out.append({
            "id": c.id, "order_id": c.order_id, "shop": shop, "buyer": buyer, "currency": currency,
            "source": "tiktok_import" if (c.idempotency_key or "").startswith(IMPORT_KEY) else "orderdesk",
            "type": c.type, "role": c.role, "scope": c.scope, "package_id": c.package_id,
            "status": c.status, "reason": c.reason, "reason_text": rules.REASON_TEXT.get(c.reason, c.reason),
            "reject_reason": c.reject_reason,
            "lines": lines.get(c.id, []),
            "refund": {"subtotal": c.refund_subtotal, "shipping": c.refund_shipping,
                       "tax": c.refund_tax, "total": c.refund_total},
            "created_at": iso(c.created_at), "updated_at": iso(c.updated_at),
            "deadline_at": iso(c.deadline_at),
        })
    return out


def _amount(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    return f"{sign}{units}.{cents:02d}"


def csv_rows(cancellations: list[dict]):
    """One row per cancelled line (see the module doc), as lists in CSV_COLUMNS order."""
    for c in cancellations:
        head = [c["id"], c["order_id"], c["shop"], c["buyer"], c["currency"], c["source"], c["type"],
                c["role"], c["scope"], c["package_id"] or "", c["status"], c["reason"], c["reason_text"],
                c["reject_reason"] or "", c["created_at"], c["updated_at"]]
        line_tax = sum(line["refund"]["tax"] for line in c["lines"])
        extra_tax = c["refund"]["tax"] - line_tax  # the shipping's tax
        if not c["lines"]:
            r = c["refund"]
            yield head + ["", "", "", "", "", _amount(r["subtotal"]), _amount(r["shipping"]),
                          _amount(r["tax"]), _amount(r["total"])]
            continue
        for n, line in enumerate(c["lines"]):
            shipping = c["refund"]["shipping"] if n == 0 else 0
            tax = line["refund"]["tax"] + (extra_tax if n == 0 else 0)
            subtotal = line["refund"]["subtotal"]
            yield head + [line["line_id"], line["sku"], line["title"], line["line_quantity"],
                          line["quantity"], _amount(subtotal), _amount(shipping), _amount(tax),
                          _amount(subtotal + shipping + tax)]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def inert(cell):
    """`cell` as a spreadsheet shows it without running it: text that starts like a
    formula gets a leading single quote (OWASP's advice on CSV injection); a number,
    even a negative amount such as "-1.50", is left alone."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def write_csv(out: IO[str], cancellations: list[dict]) -> int:
    """Write the CSV, every cell made inert; returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for row in csv_rows(cancellations):
        writer.writerow([inert(cell) for cell in row])
        n += 1
    return n
