"""`orderdesk import tiktok`, `orderdesk export cancellations`: data in and out."""

from __future__ import annotations

import io
import json
import sys
from typing import TYPE_CHECKING

import click

from core.clock import BadTime, parse_instant
from core.output import output_file
from core.words import plural

if TYPE_CHECKING:
    pass


from tui.cli.base import Context, cli, echo, with_json
from tui.lazy import lazy_import

export = lazy_import("core.export")
tiktok = lazy_import("core.tiktok_import")  # openpyxl and the rest: only for an import

@cli.group("import")
def import_group():
    """Import orders: TikTok Seller Center order exports."""


_IMPORT_SHOWN = 100  # problem rows and notes listed in the human summary


def _import_text(s: dict) -> str:
    what = f"{s['format'].upper()}" + (f", {s['encoding']}" if s["encoding"] else "")
    dates = "DD/MM/YYYY" if s["date_order"] == "dmy" else "MM/DD/YYYY"
    lines = [
        f"{'Checked' if s['dry_run'] else 'Imported'} {s['file']} ({what}, dates read as {dates}) "
        f"into shop {s['shop']!r}{' (new)' if s['shop_created'] else ''}: {s['rows']:,} rows, "
        f"{s['orders_in_file']:,} orders.",
        f"  orders added {s['added']:,}, updated {s['updated']:,}, unchanged {s['unchanged']:,}, "
        f"skipped {s['skipped']:,}; buyers created {s['buyers_created']:,}, products created "
        f"{s['products_created']:,}; {s['seconds']:.1f} s.",
    ]
    if s["problems"]:
        lines.append(f"Rows with problems ({len(s['problems'])}; an order with a bad row is skipped whole):")
        lines += [f"  row {p['row']}: " + (f"order {p['order_id']}: " if p["order_id"] else "")
                  + p["problem"] for p in s["problems"][:_IMPORT_SHOWN]]
        if len(s["problems"]) > _IMPORT_SHOWN:
            lines.append(f"  ... and {len(s['problems']) - _IMPORT_SHOWN:,} more (--json lists them all)")
    if s["notes"]:
        lines.append(f"Notes ({len(s['notes'])}):")
        lines += [f"  row {n['row']}: order {n['order_id']}: {n['note']}" for n in s["notes"][:_IMPORT_SHOWN]]
        if len(s["notes"]) > _IMPORT_SHOWN:
            lines.append(f"  ... and {len(s['notes']) - _IMPORT_SHOWN:,} more (--json lists them all)")
    if s["dry_run"]:
        lines.append("Dry run: nothing was written.")
    return "\n".join(lines)


@import_group.command("tiktok")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--shop", metavar="NAME",
              help="The shop the orders belong to (created if new; needed when there are several).")
@click.option("--dry-run", is_flag=True, help="Check and count everything; change nothing.")
@click.option("--dates", "date_order", type=click.Choice(["auto", "dmy", "mdy"]), default="auto",
              show_default=True, help="How to read 01/02/2026: auto-detect, day first or month first.")
@with_json
def import_tiktok(ctx: Context, file, shop, dry_run, date_order):
    """Import a Seller Center order export (CSV or XLSX, one row per SKU line).

    Orders are matched by Order ID: new ones are added, changed ones updated in place.
    An order with a bad row is skipped whole and reported with its row numbers."""
    bars: dict = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.render_finish()
            label = {"read": "Reading rows   ", "check": "Checking orders",
                     "write": "Writing orders "}[stage]
            bar = bars[stage] = click.progressbar(length=total, label=label, file=sys.stderr)
        bar.update(done - bar.pos)

    show_progress = not ctx.as_json and sys.stderr.isatty()
    now = ctx.now
    try:
        summary = tiktok.import_file(ctx.db, file, shop=shop, dry_run=dry_run, now=now,
                              date_order=None if date_order == "auto" else date_order,
                              progress=progress if show_progress else None)
    except tiktok.ImportFileError as exc:
        ctx.fail("bad_input", str(exc))
    finally:
        for bar in bars.values():
            bar.render_finish()
    ctx.emit(summary, _import_text(summary))


@cli.group("export")
def export_group():
    """Export data for the seller's bookkeeping."""


@export_group.command("cancellations")
@click.option("--since", metavar="DATE", help="Only cancellations from this date (YYYY-MM-DD) or time on.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]),
              help="csv: one row per cancelled line (default); json: nested.")
@click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write to FILE instead of standard output.")
@with_json
def export_cancellations(ctx: Context, since, fmt, output):
    """Every cancellation with its order, role, reason, lines, refund and times."""
    when = None
    if since:
        try:
            when = parse_instant(since)
        except BadTime as exc:
            ctx.fail("bad_input", f"--since: {exc}")
    if fmt is None:
        fmt = "json" if ctx.as_json and not output else "csv"
    if ctx.as_json and not output and fmt == "csv":
        ctx.fail("bad_input", "--json prints JSON: use --format json, or write the CSV with -o FILE.")
    with ctx.db.read() as session:
        found = export.cancellations_json(session, when)
    document = {"exported_at": ctx.now.isoformat(), "since": when.isoformat() if when else None,
                "count": len(found), "cancellations": found}
    if not output:
        if fmt == "json":
            echo(json.dumps(document, indent=2))
        else:
            buffer = io.StringIO()
            export.write_csv(buffer, found)
            echo(buffer.getvalue(), nl=False)
        return
    with output_file(output) as out:
        if fmt == "json":
            json.dump(document, out, indent=2)
            out.write("\n")
            rows = len(found)
        else:
            rows = export.write_csv(out, found)
    ctx.emit({"file": output, "format": fmt, "cancellations": len(found), "rows": rows},
             f"Wrote {plural(len(found), 'cancellation')} ({plural(rows, 'row' if fmt == 'csv' else 'record')}) "
             f"to {output}.")


