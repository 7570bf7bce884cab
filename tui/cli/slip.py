"""`orderdesk slip PACKAGE_ID -o FILE.pdf [--print]`: a package's packing slip (issue 15).

Decisions where the spec is silent:
- The slip goes to a file (`-o`, written whole or not at all; `-o -` is standard output,
  not a terminal), to the printer (`--print`), or both; one of them is needed.
- With both, the file is written first and printed after: a bad path is bad input before
  any paper comes out, and a printer failure (exit 1) says the file was written.
- With `-o -` the PDF owns standard output: `--json` is refused there, and the one-line
  report goes to standard error.
"""

from __future__ import annotations

import sys

import click

from tui.lazy import lazy_import

slip_queries = lazy_import("core.queries.slips")
slips = lazy_import("core.slips")

from core.output import output_file
from core.results import Refusal
from core.words import plural
from tui.cli.base import Context, StreamError, cli, echo, with_json

STDOUT = "-"


@cli.command()
@click.argument("package_id")
@click.option("-o", "--output", metavar="FILE.pdf", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the PDF to FILE.pdf (- for standard output).")
@click.option("--print", "to_printer", is_flag=True,
              help="Send it to the `printer` setting's printer (with lp).")
@click.option("--shop", metavar="NAME", help="Only a package of this shop.")
@with_json
def slip(ctx: Context, package_id, output, to_printer, shop):
    """A package's packing slip (PDF): shop, order and package IDs, ship-by, ship-to, the
    units to pack per SKU, and a Code 128 barcode of the package ID."""
    if not output and not to_printer:
        ctx.fail("bad_input", "Say where the slip goes: -o FILE.pdf (- for standard output), --print, or both.")
    if output == STDOUT and ctx.as_json:
        ctx.fail("bad_input", "With -o - the PDF goes to standard output, so --json cannot: "
                 "write the PDF with -o FILE.pdf to get JSON.")
    if output == STDOUT and sys.stdout.isatty():
        ctx.fail("bad_input", "Standard output is a terminal: pipe the PDF (… -o - | lp) or write it with "
                 "-o FILE.pdf.")
    printer = _printer(ctx) if to_printer else None
    ctx.settle()
    with ctx.db.read() as session:
        found = slip_queries.packing_slip(session, package_id, shop=shop)
    if isinstance(found, Refusal):
        ctx.finish(found)
    pdf = slips.render(found)
    if output == STDOUT:
        _to_stdout(pdf)
    elif output:
        with output_file(output, binary=True) as out:
            out.write(pdf)
    job = None
    if printer:
        try:
            job = slips.send_to_printer(pdf, printer, f"Packing slip {found.package_id}")
        except slips.PrintError as exc:
            written = f" The slip was written to {output}." if output and output != STDOUT else ""
            ctx.fail("print_failed", f"{exc}{written}", exit_code=1)
    where = [f"to {'standard output' if output == STDOUT else output}"] if output else []
    where += [f"to printer {printer}" + (f" ({job})" if job else "")] if printer else []
    human = (f"Packing slip of package {found.package_id} (order {found.order_id}, {plural(found.units, 'unit')} "
             f"in {plural(len(found.lines), 'line')}) sent {' and '.join(where)}.")
    if output == STDOUT:
        echo(human, err=True)
        return
    ctx.emit({**found.as_dict(), "file": output, "printer": printer, "print_job": job}, human)


def _printer(ctx: Context) -> str:
    """The printer slips go to: the `printer` setting (the settings file or $ORDERDESK_PRINTER;
    a name lp would not take stops the command as a bad setting). None set is bad input."""
    printer = ctx.settings.settings.printer
    if printer is None:
        ctx.fail("no_printer", "No printer is configured: set `printer` in the settings file "
                 "(`orderdesk config path` says where) or $ORDERDESK_PRINTER to the printer's name "
                 "(`lpstat -p` lists them), or write the slip with -o FILE.pdf.")
    return printer


def _to_stdout(pdf: bytes) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        raise StreamError("Cannot write the PDF to standard output: it takes only text here; use -o FILE.pdf.")
    try:
        stream.write(pdf)
        stream.flush()
    except (OSError, ValueError) as exc:
        raise StreamError(f"Cannot write to standard output: {getattr(exc, 'strerror', None) or exc}.") from exc
