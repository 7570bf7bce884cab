"""Plain-text renderings shared by the CLI and the screens."""

from datetime import datetime

from core import rules
from core.clock import as_utc
from core.money import format_money


def order_text(o: dict) -> str:
    """An order, whole, as a few lines of text."""
    cur = o["currency"]
    out = [f"Order {o['id']}: {o['status_text']}", f"  {o['shop']} · buyer {o['buyer']}"]
    for p in o["packages"]:
        out.append(f"  Package {p['id']} ({rules.STATUS_LABELS[p['status']]})")
        for line in o["lines"]:
            if line["package_id"] == p["id"]:
                why = line["item_cancel"]["why_not"]
                out.append(f"    {line['id']}  {line['sku']:<14} {line['title'][:30]:<30} "
                           f"x{line['quantity']} (cancelled {line['cancelled_quantity']})"
                           + ("" if line["item_cancel"]["allowed"] else f"  - {why}"))
    t = o["totals"]
    out.append(f"  Total {format_money(t['total'], cur)} (items {format_money(t['subtotal'], cur)}, "
               f"shipping {format_money(t['shipping'], cur)}, tax {format_money(t['tax'], cur)}); "
               f"refunded {format_money(t['refunded'], cur)}")
    out.append(f"  Buyer may: {', '.join(o['actions']['buyer']) or 'nothing'} · "
               f"seller may: {', '.join(o['actions']['seller']) or 'nothing'}")
    if o["pending_request"]:
        out.append(f"  Cancellation requested ({o['pending_request']['id']}), seller must answer by "
                   f"{o['pending_request']['deadline_at']}")
    for c in o["cancellations"]:
        out.append(f"  Cancellation {c['id']} by {c['role']}: {c['reason_text']} · {c['status']} · "
                   f"refund {format_money(c['refund']['total'], cur)}")
    return "\n".join(out)


def status_label(status: str) -> str:
    """An order's or package's status as the seller centre words it."""
    return rules.STATUS_LABELS[status]


def reason_text(reason: str) -> str:
    """A cancellation reason as a person reads it."""
    return rules.REASON_TEXT[reason]


def moment(when: datetime | None) -> str:
    """An instant as a person reads it: "Nov 20, 11:37" (UTC), "—" for none."""
    if when is None:
        return "—"
    when = as_utc(when)
    return f"{when:%b} {when.day}, {when:%H:%M}"
