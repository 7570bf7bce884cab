"""`orderdesk clock show|advance`, `orderdesk worker`: time and the work it brings."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from core.clock import BadTime, parse_duration
from core.words import plural
from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass

services = lazy_import("core.services")

from tui.cli.base import Context, Seconds, cli, with_json

@cli.group(invoke_without_command=True)
@click.pass_context
def clock(click_ctx):
    """Show the clock, or advance the demo clock."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(clock_show)


@clock.command("show")
@with_json
def clock_show(ctx: Context):
    """What time the app thinks it is."""
    now = ctx.now
    ctx.emit({"now": now.isoformat()}, now.isoformat())


@clock.command("advance")
@click.argument("duration")
@with_json
def clock_advance(ctx: Context, duration):
    """Move the database's clock forward (e.g. 2h, 90m, 1d); hold windows end and
    unanswered requests past their deadline are approved by the system, orders past the
    shop's SLA are cancelled by it."""
    try:
        delta = parse_duration(duration)
    except BadTime as exc:
        ctx.fail("bad_input", str(exc))
    if ctx.now_text:
        ctx.fail("bad_input", "The clock is fixed by --now/ORDERDESK_NOW; unset it to advance the clock.")
    try:
        done = services.advance_clock(ctx.db, by=delta).record
    except BadTime as exc:
        ctx.fail("bad_input", str(exc))
    new = done["now"]
    ctx.emit(done, f"Clock now {new}: {settled(done)}")


def settled(done: dict) -> str:
    """What time did, in words (services.settle's counts)."""
    return (f"{plural(done['released'], 'hold')} ended, {plural(done['auto_approved'], 'request')} "
            f"auto-approved, {done['auto_cancelled']:,} auto-cancelled (SLA), "
            f"{plural(done['completed'], 'order')} completed.")


@cli.command()
@click.option("--every", type=Seconds(1, 86_400), metavar="SECONDS",
              help="Keep going: let time do its work every SECONDS until Ctrl+C.")
@with_json
def worker(ctx: Context, every):
    """Let time do its work now (hold windows end, overdue requests are approved by the
    system, orders past the shop's SLA are cancelled, delivered orders complete), or on a schedule with --every. Commands and an
    open app do this too; run a worker where nothing else touches the shop for a while."""
    while True:
        now = ctx.now
        done = services.process_due(ctx.db, now=now).record
        ctx.emit({"now": now.isoformat(), **done}, f"{now.isoformat()}: {settled(done)}")
        if not every:
            return
        try:
            time.sleep(every)
        except KeyboardInterrupt:
            return


# -- walkthroughs ------------------------------------------------------------------------------------
