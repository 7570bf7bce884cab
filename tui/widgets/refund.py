"""A refund as the seller checks it before something that can't be undone (the cancel
wizard's review, the confirmations): items, shipping, tax, and the total in bold."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from core.money import format_money


def refund_table(refund, currency: str, *, total: bool = True) -> Table:
    """`refund`: a core.refunds.RefundBreakdown (subtotal, shipping, tax, total); without
    its total when the screen keeps the total on screen itself."""
    totals = Table.grid(padding=(0, 2))
    totals.add_column(style="dim")
    totals.add_column(justify="right")
    totals.add_row("Items", format_money(refund.subtotal, currency))
    totals.add_row("Shipping", format_money(refund.shipping, currency))
    totals.add_row("Tax", format_money(refund.tax, currency))
    if total:
        totals.add_row(Text("Refund total", "bold"), Text(format_money(refund.total, currency), "bold"))
    return totals
