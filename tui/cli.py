"""The `orderdesk` command line: the scriptable contract (../shared/CONTRACT.md).

Exit codes: 0 done, 1 refused by a rule, 2 bad input. With --json a refusal
prints {"error": {"code", "message"}} on stdout. Nothing changes on exit 1 or 2.
`main()` is the one place that turns what went wrong into an exit code and a message
a person can act on, never a traceback: a refusal, a malformed option, a database
that cannot be opened or written (exit 2, code "database") or is busy (exit 1, code
"busy"), output that cannot be written (exit 2, code "output"), and, last, a bug
(exit 70, code "internal": one line on the terminal, the traceback in the log).
Every number an option takes has a stated range, every time core.clock's.
Textual is imported only by the commands that open the TUI, and SQLAlchemy (through
core.db, core.queries, core.services) only when a command first touches the
database: the TUI commands leave that to the app, after its first frame.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from core import rules
from core.clock import BadTime, current_time, parse_duration, parse_instant
from core.money import format_money
from core.output import OutputError, output_file
from core.paths import database_env, redacted, resolve_url
from core.results import Refusal, Success
from tui.format import order_text
from tui.lazy import lazy_import

if TYPE_CHECKING:
    from core.db import Database

core_db = lazy_import("core.db")
queries = lazy_import("core.queries")
services = lazy_import("core.services")


INTERNAL_ERROR = 70  # EX_SOFTWARE: orderdesk itself failed; never for anything a user can cause
MAX_QUANTITY = 1_000_000  # units in an --item LINE_ID=QTY


class CliExit(Exception):
    def __init__(self, code: int):
        self.code = code


class Seconds(click.FloatRange):
    """A number of seconds in a range (click's FloatRange lets NaN through)."""

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


class StreamError(OutputError):
    """Standard output (or error) cannot be written: a closed pipe, a full disk."""

    def __init__(self, message: str, stream: str = "output"):
        super().__init__(message)
        self.stream = stream


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print to stdout (or stderr). A character the stream cannot encode (a lone
    surrogate) is escaped; a failed write is a StreamError."""
    stream = sys.stderr if err else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding, getattr(stream, "errors", None) or "strict")
    except UnicodeEncodeError:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    try:
        click.echo(text, err=err, nl=nl)
    except (OSError, ValueError) as exc:  # ValueError: the stream is closed
        stream = "error" if err else "output"
        why = getattr(exc, "strerror", None) or str(exc)
        raise StreamError(f"Cannot write to standard {stream}: {why}.", stream) from exc


@dataclass
class Context:
    db_path: str | None
    url: str | None
    now_text: str | None
    as_json: bool = False
    locked: bool = False
    log_file: str | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        """The database (a DatabaseError, reported by main(), says why not)."""
        return self.open()

    def open(self) -> Database:
        """The database, opened (and upgraded) at the first call; DatabaseError says why not."""
        if self._db is None:
            self._db = core_db.Database(self.database_url)
        return self._db

    @property
    def display_url(self) -> str:
        return self.db.display_url

    @property
    def database_url(self) -> str:
        """The database's URL (a --db path made absolute, for processes started elsewhere)."""
        return resolve_url(self.db_path and Path(self.db_path).expanduser().resolve(), self.url)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()

    @property
    def now(self) -> datetime:
        try:
            with self.db.read() as session:
                return current_time(session, self.now_text)
        except BadTime as exc:
            self.fail("bad_input", f"--now / ORDERDESK_NOW: {exc}")

    def settle(self) -> datetime:
        """For a read command, once its input is checked: let time do its work (hold
        windows, request deadlines) in a transaction of its own, then return now.
        Commands that change data settle inside their own transaction instead
        (core.services.command), so a refused one changes nothing."""
        now = self.now
        if services.has_due(self.db, now):
            services.process_due(self.db, now=now)
        return now

    # -- output -------------------------------------------------------------
    def emit(self, data, human: str | None = None) -> None:
        """Print a command's result: the command is done by now."""
        try:
            if self.as_json:
                echo(json.dumps(data, indent=2, default=str))
            elif human is not None:
                echo(human)
        except StreamError as exc:
            raise StreamError(f"{exc} The command itself was done; only its output was lost.", exc.stream) from exc

    def fail(self, code: str, message: str, exit_code: int = 2) -> None:
        report(self.as_json, Refusal(code, message), exit_code)

    def finish(self, result, human=None) -> None:
        """Print a command's result and exit with the contract's code."""
        if isinstance(result, Refusal):
            report(self.as_json, result, 2 if result.is_bad_input else 1)
        record = result.record
        self.emit(record, human(record, result) if human else result.message)


def report(as_json: bool, refusal: Refusal, exit_code: int) -> None:
    refusal = replace(refusal, message=redacted(refusal.message))  # no message shows a password
    if as_json:
        echo(json.dumps(refusal.as_dict(), indent=2))
    else:
        echo(f"Error: {refusal.message}", err=True)
    raise CliExit(exit_code)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def with_json(fn):
    """Every command accepts --json."""
    @json_option
    @click.pass_obj
    def wrapper(ctx: Context, as_json: bool, **kwargs):
        ctx.as_json = ctx.as_json or as_json
        return fn(ctx, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group(invoke_without_command=True)
@click.option("--db", "db_path", metavar="PATH", help="SQLite file (default: the user data dir).")
@click.option("--database-url", metavar="URL", envvar="ORDERDESK_DATABASE_URL",
              help="Any SQLAlchemy URL, e.g. postgresql+psycopg://user@host/orderdesk (with a password, "
                   "better in the env var: every local user sees a command line).")
@click.option("--now", "now_text", metavar="ISO8601", envvar="ORDERDESK_NOW",
              help="Fix the clock (default: the database's demo clock, else real time).")
@click.option("--log-file", metavar="PATH", envvar="ORDERDESK_LOG_FILE",
              help="Where servers and background email log (default: the user log folder).")
@click.option("--locked", is_flag=True, hidden=True,
              help="Stay on the identity given (used by `serve ssh`): no launcher.")
@json_option
@click.version_option(package_name="orderdesk")
@click.pass_context
def cli(click_ctx, db_path, database_url, now_text, log_file, locked, as_json):
    """orderdesk: orders and their cancellation, for buyers and sellers.

    Without a command, opens the app."""
    if db_path and click_ctx.get_parameter_source("database_url") is ParameterSource.ENVIRONMENT:
        database_url = None  # --db on the command line wins over $ORDERDESK_DATABASE_URL
    click_ctx.obj = Context(db_path, database_url, now_text, as_json, locked=locked, log_file=log_file)
    click_ctx.call_on_close(click_ctx.obj.close)
    if click_ctx.invoked_subcommand is None:
        open_tui(click_ctx.obj)


def open_tui(ctx: Context, prepare=None, **start) -> None:
    """Run the app; it opens the database (then `prepare`s it) after its first frame."""
    from tui.app import OrderDeskApp

    if ctx.now_text:
        try:
            parse_instant(ctx.now_text)
        except BadTime as exc:
            ctx.fail("bad_input", f"--now / ORDERDESK_NOW: {exc}")

    def connect() -> Database:
        db = ctx.open()
        if prepare is not None and isinstance(refused := prepare(db), Refusal):
            raise core_db.DatabaseError(refused.message)
        return db

    app = OrderDeskApp(connect, now_text=ctx.now_text, locked=ctx.locked, log_file=ctx.log_file, **start)
    app.run()
    if app.refusal is not None:
        report(ctx.as_json, app.refusal, app.return_code or 1)
    if app.return_code:  # 129: the terminal hung up
        raise CliExit(app.return_code)


# -- the app ----------------------------------------------------------------------
force_option = click.option(
    "--force", is_flag=True,
    help="Replace data that is not the demo's (on a terminal you are asked to type 'replace').")


def _demo_may_replace(ctx: Context, reset: bool, force: bool) -> bool:
    """Whether loading the demo may replace what the database holds: demo data (or
    nothing) always; anything else only with --force, confirmed by typing 'replace'
    when a person is at the terminal. Refuses (exit 1) otherwise, changing nothing."""
    from core.demo import describe, holdings, is_demo_data, not_demo_message

    with ctx.db.read() as session:
        held = holdings(session)
        if not reset or not held or is_demo_data(session):
            return False
    if not force:
        report(ctx.as_json, Refusal("not_demo_data", not_demo_message(held), {"would_lose": held}), 1)
    if sys.stdin.isatty():
        answer = click.prompt(f"{ctx.display_url} holds {describe(held)}. Type 'replace' to replace it all "
                              "with the demo data", default="", show_default=False, err=True)
        if answer.strip() != "replace":
            ctx.fail("not_confirmed", "Nothing was replaced (you did not type 'replace').", 1)
    return True


@cli.command()
@force_option
@with_json
def demo(ctx: Context, force):
    """Load the demo data into the database and open the app. A database holding
    anything but demo data is refused unless --force (use --db demo.db for a file of its own)."""
    from core.demo import load_demo

    force = _demo_may_replace(ctx, True, force)
    open_tui(ctx, prepare=lambda db: load_demo(db, reset=True, force=force))


@cli.command()
@click.option("--user", help="The buyer's username (default: the first buyer).")
@click.option("--app-version", help="Pretend the buyer's app is this version (e.g. 33.0.0).")
@click.option("--simulate", type=click.Choice(["slow-network", "no-network", "system-error"]),
              help="Demo: make the buyer's Send meet a slow network, no network or a system error "
                   "(switch it in the app with ctrl+n or the command palette).")
@with_json
def buyer(ctx: Context, user, app_version, simulate):
    """Open the app on the buyer's Profile."""
    if app_version:
        try:
            rules.version_tuple(app_version)
        except ValueError as exc:
            ctx.fail("bad_input", f"--app-version: {exc}.")
    open_tui(ctx, role="buyer", identity=user, app_version=app_version, simulate=simulate)


@cli.command()
@click.option("--shop", help="The shop's name (default: the first shop).")
@with_json
def seller(ctx: Context, shop):
    """Open the app on the seller's To Ship board."""
    open_tui(ctx, role="seller", identity=shop)


# -- seeding ------------------------------------------------------------------------
@cli.group()
def seed():
    """Fill the database: the demo fixtures, or synthetic orders in bulk."""


@seed.command("demo")
@click.option("--reset", is_flag=True, help="Replace the demo data the database holds.")
@force_option
@with_json
def seed_demo(ctx: Context, reset, force):
    """Load data/demo's fixtures (shops, products, buyers, orders in every state).
    --reset replaces demo data; data that is not the demo's also needs --force."""
    from core.demo import load_demo

    force = _demo_may_replace(ctx, reset, force)
    ctx.finish(load_demo(ctx.db, reset=reset, force=force))


@seed.command("synthetic")
@click.option("--orders", type=click.IntRange(1, 10_000_000), required=True, help="How many orders.")
@click.option("--seed", "seed_value", type=click.IntRange(0, 999_999_999), default=0, show_default=True,
              help="Random seed.")
@with_json
def seed_synthetic(ctx: Context, orders, seed_value):
    """Generate realistic orders in bulk (all statuses, split orders)."""
    from core.synthetic import generate

    counts = generate(ctx.db, orders, seed=seed_value, now=ctx.now)
    ctx.emit(counts, f"Generated {counts['orders']:,} orders in {counts['seconds']:.1f} s.")


# -- orders ----------------------------------------------------------------------------
@cli.group()
def orders():
    """List and show orders."""


def _order_line(o: dict) -> str:
    total = format_money(o["totals"]["total"], o["currency"])
    flag = " [request pending]" if o.get("pending_request") else ""
    return f"{o['id']}  {o['status']:<20} {o['shop']:<18} {o['buyer']:<16} {total:>10}{flag}"


@orders.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(rules.ORDER_STATUSES),
              help="Only these statuses (repeatable).")
@click.option("--product", metavar="SKU", help="Only orders with this SKU.")
@click.option("--buyer", metavar="NAME", help="Only this buyer's orders.")
@click.option("--shop", metavar="NAME", help="Only this shop's orders.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="At most this many orders.")
@with_json
def orders_list(ctx: Context, statuses, product, buyer, shop, limit):
    """Orders, newest first."""
    now = ctx.settle()
    with ctx.db.read() as session:
        found = queries.list_orders(session, now, statuses=statuses, sku=product, buyer=buyer,
                                    shop=shop, limit=limit)
    ctx.emit(found, "\n".join(map(_order_line, found)) or "No orders match.")


def _resolve_order(ctx: Context, text: str) -> str:
    with ctx.db.read() as session:
        order_id = queries.find_order_id(session, text)
    if order_id is None:
        ctx.fail("unknown_order", f"There is no order {text} (a full ID or a unique ending of "
                 "one). Run `orderdesk orders list` to see the orders.")
    return order_id


@orders.command("show")
@click.argument("order_id")
@with_json
def orders_show(ctx: Context, order_id):
    """One order, whole (a unique ending of its ID works too)."""
    order_id = _resolve_order(ctx, order_id)
    now = ctx.settle()
    with ctx.db.read() as session:
        view = queries.order_view(session, order_id, now)
    ctx.emit(view, order_text(view))


@cli.command()
@click.option("--as", "actor", type=click.Choice(["buyer", "seller", "reject"]), required=True)
@click.option("--order", "order_id", metavar="ORDER_ID", help="Only the reasons that fit this order.")
@with_json
def reasons(ctx: Context, actor, order_id):
    """Reason keys and texts."""
    if order_id:
        order_id = _resolve_order(ctx, order_id)
        ctx.settle()
        with ctx.db.read() as session:
            state = services.load_order(session, order_id, lock=False)
            found = rules.reasons_for(actor, state.order, state.packages)
    else:
        found = rules.reasons_for(actor)
    ctx.emit([{"key": k, "text": v} for k, v in found.items()],
             "\n".join(f"{k:<22} {v}" for k, v in found.items()) or "No reason fits this order now.")


# -- cancelling --------------------------------------------------------------------------
def _parse_items(ctx: Context, pairs, what="LINE_ID") -> dict[str, int]:
    items: dict[str, int] = {}
    for pair in pairs:
        key, sep, qty = pair.partition("=")
        if not sep or not key:
            ctx.fail("bad_input", f"--item {pair!r}: write it as {what}=QUANTITY, e.g. --item 1729...=1.")
        try:
            number = int(qty) if len(qty) <= 20 else None
        except ValueError:
            ctx.fail("bad_quantity", f"--item {pair!r}: the quantity {qty!r} is not a whole number.")
        if number is None or not 0 <= number <= MAX_QUANTITY:
            ctx.fail("bad_quantity", f"--item {pair!r}: a quantity is a whole number from 0 to {MAX_QUANTITY:,}.")
        if key in items:
            ctx.fail("bad_input", f"--item: {key} is given twice; give each once.")
        items[key] = number
    return items


def _cancellation_text(c: dict, result: Success) -> str:
    lead = "Already done earlier with this idempotency key; nothing changed. " if result.replayed else ""
    if c["status"] == "request_pending":
        return f"{lead}Cancellation requested ({c['id']}); the seller must answer by {c['deadline_at']}."
    r = c["refund"]
    done = "" if result.replayed else f"{result.message} "
    return (f"{lead}{done}Cancellation {c['id']}: refund {r['total']} "
            f"(subtotal {r['subtotal']}, shipping {r['shipping']}, tax {r['tax']}; minor units).")


@cli.command()
@click.argument("order_id")
@click.option("--as", "actor", type=click.Choice(["buyer", "seller"]), required=True)
@click.option("--reason", required=True, metavar="KEY", help="See `orderdesk reasons`.")
@click.option("--item", "items", multiple=True, metavar="LINE_ID=QTY", help="Seller: cancel units of a line.")
@click.option("--package", "package_id", metavar="PACKAGE_ID", help="Seller: cancel one package.")
@click.option("--idempotency-key", metavar="K", help="A retry with the same key never cancels twice.")
@click.option("--user", metavar="NAME", help="Buyer: act as this buyer (must be the order's).")
@click.option("--shop", metavar="NAME", help="Seller: act as this shop (must be the order's).")
@click.option("--app-version", metavar="V", help="Buyer: the app's version (checked against the shop's minimum).")
@click.option("--expected-version", type=click.IntRange(0, 999_999_999), metavar="N",
              help="Refuse if the order changed since version N.")
@click.option("--expected-refund", type=click.IntRange(0, 10**15), metavar="MINOR",
              help="Seller: refuse unless the refund total is this.")
@with_json
def cancel(ctx: Context, order_id, actor, reason, items, package_id, idempotency_key, user, shop,
           app_version, expected_version, expected_refund):
    """Cancel a whole order, a package, or (seller, Out of Stock) some items."""
    now = ctx.now
    if actor == "buyer":
        if items or package_id or shop:
            ctx.fail("bad_input", "A buyer cancels the whole order: --item, --package and --shop "
                     "are for --as seller.")
        result = services.buyer_cancel(ctx.db, order_id, reason, now=now, user=user,
                                       app_version=app_version, idempotency_key=idempotency_key,
                                       expected_version=expected_version)
    else:
        if user or app_version:
            ctx.fail("bad_input", "--user and --app-version are for --as buyer.")
        result = services.seller_cancel(
            ctx.db, order_id, reason, now=now, shop=shop, package_id=package_id,
            items=_parse_items(ctx, items) or None, idempotency_key=idempotency_key,
            expected_version=expected_version, expected_refund=expected_refund)
    ctx.finish(result, _cancellation_text)


@cli.command("request-cancel")
@click.argument("order_id")
@click.option("--reason", required=True, metavar="KEY")
@click.option("--user", metavar="NAME", help="Act as this buyer (must be the order's).")
@click.option("--idempotency-key", metavar="K")
@with_json
def request_cancel(ctx: Context, order_id, reason, user, idempotency_key):
    """The buyer's "Contact seller": ask the seller to cancel a packed order."""
    now = ctx.now
    ctx.finish(services.request_cancellation(ctx.db, order_id, reason, now=now, user=user,
                                             idempotency_key=idempotency_key), _cancellation_text)


@cli.group()
def requests():
    """Buyers' cancellation requests: list, approve, reject."""


@requests.command("list")
@click.option("--shop", metavar="NAME", help="Only this shop's requests.")
@with_json
def requests_list(ctx: Context, shop):
    """Pending requests, the nearest deadline first."""
    ctx.settle()
    with ctx.db.read() as session:
        found = queries.requests_list(session, shop=shop)
    ctx.emit(found, "\n".join(f"{c['id']}  order {c['order_id']}  {c['reason_text']:<32} "
                              f"answer by {c['deadline_at']}" for c in found) or "No pending requests.")


def _request_id(ctx: Context, cancel_id: str | None, order_id: str | None) -> str:
    """The request named, or the pending request of --order."""
    if bool(cancel_id) == bool(order_id):
        ctx.fail("bad_input", "Name the request: its CANCEL_ID, or --order ORDER_ID for that order's pending one.")
    if cancel_id:
        return cancel_id
    order_id = _resolve_order(ctx, order_id)
    with ctx.db.read() as session:
        pending = queries.order_view(session, order_id, ctx.now)["pending_request"]
    if pending is None:
        ctx.fail("unknown_request", f"Order {order_id} has no pending cancellation request.")
    return pending["id"]


@requests.command("approve")
@click.argument("cancel_id", required=False)
@click.option("--order", "order_id", metavar="ORDER_ID", help="The pending request of this order.")
@click.option("--shop", metavar="NAME", help="Act as this shop (must be the order's).")
@with_json
def requests_approve(ctx: Context, cancel_id, order_id, shop):
    """Approve: the whole order is cancelled with the buyer's reason."""
    now = ctx.now
    cancel_id = _request_id(ctx, cancel_id, order_id)
    ctx.finish(services.approve_request(ctx.db, cancel_id, now=now, shop=shop), _cancellation_text)


@requests.command("reject")
@click.argument("cancel_id", required=False)
@click.option("--order", "order_id", metavar="ORDER_ID", help="The pending request of this order.")
@click.option("--reason", required=True, metavar="KEY", help="See `orderdesk reasons --as reject`.")
@click.option("--shop", metavar="NAME", help="Act as this shop (must be the order's).")
@with_json
def requests_reject(ctx: Context, cancel_id, order_id, reason, shop):
    """Reject with a reject reason; the buyer is told why."""
    now = ctx.now
    cancel_id = _request_id(ctx, cancel_id, order_id)
    ctx.finish(services.reject_request(ctx.db, cancel_id, reason, now=now, shop=shop))


@cli.command("buy-again")
@click.argument("order_id")
@click.option("--item", "items", multiple=True, metavar="SKU=QTY", help="Change a quantity (0 drops it).")
@click.option("--address", help="Ship the new order here instead.")
@click.option("--user", metavar="NAME", help="Act as this buyer (must be the order's).")
@with_json
def buy_again_cmd(ctx: Context, order_id, items, address, user):
    """Place a new order with a cancelled order's items."""
    now = ctx.now
    ctx.finish(services.buy_again(ctx.db, order_id, now=now, user=user, address=address,
                                  quantities=_parse_items(ctx, items, "SKU") or None))


# -- logistics ------------------------------------------------------------------------------
def _logistics_command(name: str, service: str, doc: str, actor_option: str = "--shop"):
    """A command that moves a package on: `service` names its core.services command."""
    @cli.command(name, help=doc)
    @click.argument("package_id")
    @click.option(actor_option, "actor", metavar="NAME", help="Act as this shop/buyer (must be the order's).")
    @with_json
    def run(ctx: Context, package_id, actor):
        now = ctx.now
        key = "user" if actor_option == "--user" else "shop"
        ctx.finish(getattr(services, service)(ctx.db, package_id, now=now, **{key: actor}))

    run.__name__ = name.replace("-", "_")
    return run


_logistics_command("pack", "pack", "Pack: Awaiting Shipment → Awaiting Collection.")
_logistics_command("handover", "handover", "Hand over to the carrier: → In Transit.")
_logistics_command("deliver", "deliver", "Mark delivered.")
_logistics_command("refuse", "refuse_delivery", "The buyer refuses delivery: → Returned.", "--user")
_logistics_command("receive-return", "receive_return",
                   "A refused package is back: its items are cancelled and refunded.")


@cli.command()
@click.argument("package_id")
@click.option("--item", "items", multiple=True, required=True, metavar="LINE_ID=QTY",
              help="Units of a line that go to the new package (repeatable).")
@click.option("--shop", metavar="NAME", help="Act as this shop (must be the order's).")
@with_json
def split(ctx: Context, package_id, items, shop):
    """Split a package: move some items (units) into a new package."""
    now = ctx.now
    ctx.finish(services.split_package(ctx.db, package_id, _parse_items(ctx, items), now=now, shop=shop))


# -- the clock --------------------------------------------------------------------------------
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
    unanswered requests past their deadline are approved by the system."""
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
    ctx.emit(done,
             f"Clock now {new}: {done['released']} hold(s) ended, "
             f"{done['auto_approved']} request(s) auto-approved, {done['completed']} order(s) completed.")


@cli.command()
@click.option("--every", type=Seconds(1, 86_400), metavar="SECONDS",
              help="Keep going: let time do its work every SECONDS until Ctrl+C.")
@with_json
def worker(ctx: Context, every):
    """Let time do its work now (hold windows end, overdue requests are approved by the
    system, delivered orders complete), or on a schedule with --every. Commands and an
    open app do this too; run a worker where nothing else touches the shop for a while."""
    import time

    while True:
        now = ctx.now
        done = services.process_due(ctx.db, now=now).record
        ctx.emit({"now": now.isoformat(), **done},
                 f"{now.isoformat()}: {done['released']} hold(s) ended, {done['auto_approved']} "
                 f"request(s) auto-approved, {done['completed']} order(s) completed.")
        if not every:
            return
        try:
            time.sleep(every)
        except KeyboardInterrupt:
            return


# -- walkthroughs ------------------------------------------------------------------------------------
@cli.command()
@click.argument("name", required=False)
@click.option("--export", "export_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Write each step's screenshot (SVG, and PNG where a converter is installed) instead.")
@click.option("--delay", type=Seconds(0.5, 3600), default=3.0, show_default=True,
              help="Seconds between steps in auto-play.")
@with_json
def walkthrough(ctx: Context, name, export_dir, delay):
    """Play a scripted demo on a fresh copy of the demo data (no NAME: pick one).

    Space or → plays the next step, ← goes back one, a toggles auto-play."""
    import asyncio
    import tempfile

    from tui import walkthrough as wt

    try:
        chosen = [wt.find(name)] if name else (wt.all_walkthroughs() if export_dir else [])
    except wt.WalkthroughError as exc:
        ctx.fail("bad_input", str(exc))
    folder = Path(tempfile.mkdtemp(prefix="orderdesk-walkthrough-"))
    if export_dir:
        written = []
        for one in chosen:
            written += asyncio.run(wt.export(one, export_dir, wt.fresh_demo(folder / f"{one.name}.db")))
        ctx.emit([str(p) for p in written], f"Wrote {len(written)} file(s) to {export_dir}.")
        return
    if not chosen:
        picked = wt.pick()
        if not picked:
            return
        chosen = [wt.find(picked)]
    wt.WalkthroughApp(chosen[0], wt.fresh_demo(folder / "demo.db"), delay=delay).run()


# -- serving ---------------------------------------------------------------------------------------
@cli.group()
def serve():
    """Serve the app over SSH or in a browser."""


def _app_args(ctx: Context) -> list[str]:
    """The global options on the served app processes' command lines: never the database
    (every local user sees argv in `ps`); `_start_serving` gives it in their environment."""
    return ["--now", ctx.now_text] if ctx.now_text else []


def _start_log(ctx: Context) -> Path:
    """Servers and background email log to the file (core.logs), never showing the database's
    password; a log file that cannot be written stops them (bad input)."""
    from core.logs import log_path, setup_logging

    try:
        return setup_logging(ctx.log_file, urls=(ctx.database_url,))
    except OSError as exc:
        ctx.fail("bad_input", f"Cannot write the log file {log_path(ctx.log_file)} ({exc.filename}: "
                 f"{exc.strerror}). Choose another with --log-file PATH.")


def _start_serving(ctx: Context, what: str) -> dict[str, str]:
    """Open (and upgrade) the database once, before any session starts, and start the log;
    print what is served where (the database's URL without its password). Return the
    environment the served app processes need: the database URL and the log file."""
    from core.logs import LOG_FILE_ENV

    ctx.db
    url = ctx.database_url
    log_file = _start_log(ctx)
    click.echo(f"orderdesk: {what} the database {redacted(url)}; logging to {log_file}.")
    return {**database_env(url), LOG_FILE_ENV: str(log_file)}


@serve.command("ssh")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=2222, show_default=True)
@click.option("--users", "users_file", type=click.Path(path_type=Path), metavar="FILE",
              default=lambda: str(_config_dir() / "ssh_users.toml"), show_default="~/.config/orderdesk/ssh_users.toml",
              help="Logins, their role (buyer/seller), identity and public keys (TOML).")
@click.option("--host-key", type=click.Path(path_type=Path), metavar="FILE",
              default=lambda: str(_config_dir() / "ssh_host_ed25519_key"), show_default="created on first run",
              help="The server's private host key.")
@click.option("--allow-passwords", is_flag=True, help="Also accept the users file's passwords (demos only).")
@click.option("--idle-timeout", type=Seconds(1, 86_400), default=900, show_default=True,
              help="Seconds without a key press before a session ends, and without a session before "
                   "a connection is closed.")
@click.option("--max-sessions", type=click.IntRange(min=1, max=10000), default=50, show_default=True)
@click.option("--login-timeout", type=Seconds(1, 3_600), default=60, show_default=True,
              help="Seconds a connection has to log in.")
@click.option("--keepalive-interval", type=Seconds(1, 3_600), default=30, show_default=True,
              help="Seconds between keepalives; a client that misses 3 in a row is dropped.")
@with_json
def serve_ssh_cmd(ctx: Context, host, port, users_file, host_key, allow_passwords, idle_timeout, max_sessions,
                  login_timeout, keepalive_interval):
    """One app per SSH connection, by public key, as a buyer or a shop's seller.

    Users file (TOML), one [[user]] per login:

    \b
    [[user]]
    login = "seller-anna"
    role = "seller"
    identity = "Lakehouse Home"
    keys = ["ssh-ed25519 AAAA... anna@laptop"]
    password_hash = "$argon2id$..."   # optional, with --allow-passwords (orderdesk serve hash-password)
    """
    import logging

    from tui.serve import ServeError, SshSettings, load_users, serve_ssh

    try:
        settings = SshSettings(load_users(users_file), _app_args(ctx), allow_passwords=allow_passwords,
                               idle_timeout=idle_timeout, max_sessions=max_sessions,
                               login_timeout=login_timeout, keepalive_interval=keepalive_interval)
        settings.app_env = _start_serving(ctx, "serving over SSH")
        serve_ssh(host, port, host_key, settings)
    except (ServeError, OSError) as exc:
        logging.getLogger("orderdesk.ssh").error("cannot serve over SSH: %s", exc)
        ctx.fail("bad_input", f"Cannot serve over SSH: {exc}")


@serve.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (other than loopback only with --users).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--users", "users_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Logins with a password_hash (the users file of `serve ssh`). Without it: loopback "
                   "only, behind a one-time link printed at start.")
@click.option("--public-url", metavar="URL",
              help="The address browsers open (behind a proxy, or to listen on 0.0.0.0); pages from "
                   "any other origin are refused.")
@click.option("--max-sessions", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="Browser tabs (app processes) at once.")
@with_json
def serve_web_cmd(ctx: Context, host, port, users_file, public_url, max_sessions):
    """The app in a browser: a login, then one app per tab, locked to the login's identity.

    \b
    [[user]]
    login = "seller-anna"
    role = "seller"
    identity = "Lakehouse Home"
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."   # orderdesk serve hash-password
    """
    from tui.serve_web import WebSettings, serve_web
    from tui.users import ServeError, load_users

    try:
        settings = WebSettings(host, port, app_env={}, app_args=_app_args(ctx),
                               users=load_users(users_file) if users_file else None,
                               public_url=public_url, max_sessions=max_sessions)
        settings.check()
    except ServeError as exc:
        ctx.fail("bad_input", f"Cannot serve in a browser: {exc}")
    settings.app_env = _start_serving(ctx, "serving in a browser")
    try:
        serve_web(settings)
    except OSError as exc:
        ctx.fail("bad_input", f"Cannot serve in a browser on {host}:{port}: {exc.strerror or exc}.")


@serve.command("hash-password")
@with_json
def hash_password_cmd(ctx: Context):
    """Print a password_hash for the users file (argon2id).

    The password is asked twice on the terminal, or read from the first line of standard input
    when that is not a terminal (e.g. from a password manager); never from the command line."""
    from tui.users import MAX_PASSWORD, hash_password

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            ctx.fail("bad_input", "The two passwords differ; nothing was made. Run it again.")
    else:
        password = sys.stdin.readline(MAX_PASSWORD + 2).rstrip("\r\n")  # longer is refused below
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        ctx.fail("bad_input", str(exc))
    ctx.emit({"password_hash": hashed}, f'password_hash = "{hashed}"')


def _config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path("orderdesk")


# -- outbox --------------------------------------------------------------------------------------
_MAIL_SETTINGS = {"address": "--smtp", "host": "--smtp", "port": "--smtp", "security": "--security",
                  "user": "--user", "sender": "--sender"}  # core.outbox.SettingError.setting -> the option to fix
_EMAIL_ID = click.IntRange(1, 2**63 - 1)


def _mail_now(ctx: Context) -> datetime | None:
    """Email runs on the real clock (None), not a demo database's: only --now fixes it."""
    try:
        return parse_instant(ctx.now_text) if ctx.now_text else None
    except BadTime as exc:
        ctx.fail("bad_input", f"--now / ORDERDESK_NOW: {exc}")


@cli.group()
@click.pass_context
def outbox(click_ctx):
    """The customer emails: list them, send them, retry or discard one."""
    if click_ctx.invoked_subcommand == "send":  # background work: it logs
        _start_log(click_ctx.obj)


@outbox.command("list")
@click.option("--status", type=click.Choice(rules.EMAIL_STATUSES),
              help="Only these; `sending` includes those whose sender stopped mid-send (unknown).")
@with_json
def outbox_list(ctx: Context, status):
    """Emails, newest first; a failed or unknown one says why and what to do."""
    with ctx.db.read() as session:
        found = queries.outbox_list(session, status=status, now=_mail_now(ctx))
    ctx.emit(found, "\n".join(f"{e['id']:>5}  {'unknown' if e['unknown'] else e['status']:<9} {e['to']:<28} "
                              f"{e['subject']}" + (f"\n       {e['problem']}" if e["problem"] else "")
                              for e in found) or "The outbox is empty.")


@outbox.command("send")
@click.option("--smtp", "address", metavar="HOST:PORT", envvar="ORDERDESK_SMTP",
              default="localhost:25", show_default=True)
@click.option("--security", type=click.Choice(["none", "starttls", "tls"]), default="none",
              envvar="ORDERDESK_SMTP_SECURITY", show_default=True)
@click.option("--user", envvar="ORDERDESK_SMTP_USER", help="SMTP login; the password comes from "
              "$ORDERDESK_SMTP_PASSWORD.")
@click.option("--password", hidden=True, help="Refused: a password in the command line shows in `ps`.")
@click.option("--sender", envvar="ORDERDESK_SMTP_SENDER", default="orderdesk@localhost", show_default=True)
@click.option("--force", is_flag=True, help="Try every pending email now, ignoring the backoff after failures.")
@click.option("--every", type=Seconds(1, 86_400), metavar="SECONDS",
              help="Keep sending: look for due emails every SECONDS until Ctrl+C.")
@with_json
def outbox_send(ctx: Context, address, security, user, password, sender, force, every):
    """Deliver the due emails over SMTP, each at most once. A refused email (5xx, or an
    address that can never work) becomes `failed`; one the server asks to retry stays
    pending and is tried after a backoff (30 s, doubling, at most an hour). If the server
    cannot be reached nothing changes and the command exits 1 (with --every: waits and
    tries again)."""
    import os
    import time

    from core.outbox import Mailer, SettingError, SmtpSettings

    if password is not None:
        ctx.fail("bad_input", "--password would show the password to everyone on this machine (ps, shell "
                              "history): set $ORDERDESK_SMTP_PASSWORD instead.")
    try:
        settings = SmtpSettings.parse_address(address, security=security, user=user, sender=sender,
                                              password=os.environ.get("ORDERDESK_SMTP_PASSWORD"))
    except SettingError as exc:
        ctx.fail("bad_input", f"{_MAIL_SETTINGS[exc.setting]}: {exc}")
    mailer, now = Mailer(settings), _mail_now(ctx)
    if not every:
        done = mailer.send(ctx.db, ignore_backoff=force, now=now)
        if done["error"] and not done["recorded"]:
            details = {k: done[k] for k in ("pending", "waiting")}
            report(ctx.as_json, Refusal("mail_server", f"Sent nothing: {done['error']} No email was "
                                        "changed; they go out with the next `outbox send`.", details), 1)
        ctx.emit(done, _sent_text(done, None))
        return
    try:  # until Ctrl+C, which ends it cleanly wherever it lands (an email mid-send stays unknown)
        while True:
            done = mailer.send(ctx.db, ignore_backoff=force, now=now)
            ctx.emit(done, _sent_text(done, mailer.wait()))
            time.sleep(max(every, mailer.wait()))
    except KeyboardInterrupt:
        return


def _sent_text(done: dict, retry_in: float | None) -> str:
    text = f"Sent {done['sent']} email(s)"
    if done["failed"]:
        text += f"; {done['failed']} not delivered"
        if done["permanent"]:
            text += f" ({done['permanent']} for good: see `orderdesk outbox list --status failed`)"
    if done["unknown"]:
        text += f"; {done['unknown']} unknown (see `orderdesk outbox list --status sending`)"
    text += f"; {done['pending']} still pending" + (
        f" ({done['waiting']} waiting after a failure)" if done["waiting"] else "") + "."
    if done["error"]:
        text += f"\nStopped: {done['error']}" + (f" Trying again in {retry_in:.0f} s." if retry_in else "")
    return text


@outbox.command("retry")
@click.argument("email_id", metavar="ID", type=_EMAIL_ID)
@with_json
def outbox_retry(ctx: Context, email_id: int):
    """Send a failed, unknown or discarded email again (a waiting one: now). Exits 1 for
    a sent email, or one a sender is sending right now."""
    _change_email(ctx, email_id, "retry")


@outbox.command("discard")
@click.argument("email_id", metavar="ID", type=_EMAIL_ID)
@with_json
def outbox_discard(ctx: Context, email_id: int):
    """Never send this email (failed, unknown or pending). Exits 1 for a sent email, or
    one a sender is sending right now."""
    _change_email(ctx, email_id, "discard")


def _change_email(ctx: Context, email_id: int, action: str) -> None:
    from core.outbox import change

    ctx.finish(change(ctx.db, email_id, action, now=_mail_now(ctx)))


# -- importing and exporting ----------------------------------------------------------------------
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
    from core.tiktok_import import ImportFileError, import_file

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
        summary = import_file(ctx.db, file, shop=shop, dry_run=dry_run, now=now,
                              date_order=None if date_order == "auto" else date_order,
                              progress=progress if show_progress else None)
    except ImportFileError as exc:
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
    from core.clock import parse_instant
    from core.export import cancellations_json, write_csv

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
        found = cancellations_json(session, when)
    document = {"exported_at": ctx.now.isoformat(), "since": when.isoformat() if when else None,
                "count": len(found), "cancellations": found}
    if not output:
        if fmt == "json":
            echo(json.dumps(document, indent=2))
        else:
            import io

            buffer = io.StringIO()
            write_csv(buffer, found)
            echo(buffer.getvalue(), nl=False)
        return
    with output_file(output) as out:
        if fmt == "json":
            json.dump(document, out, indent=2)
            out.write("\n")
            rows = len(found)
        else:
            rows = write_csv(out, found)
    ctx.emit({"file": output, "format": fmt, "cancellations": len(found), "rows": rows},
             f"Wrote {len(found):,} cancellation(s) ({rows:,} {'rows' if fmt == 'csv' else 'records'}) "
             f"to {output}.")


# Errors writing stdout that click raises itself (--help into a full disk, a closed pipe).
_STDOUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def main(argv=None) -> int:
    """Run the command line; every way it can end is an exit code and a message here."""
    argv = sys.argv[1:] if argv is None else argv
    as_json = "--json" in argv
    if (undecodable := _undecodable(argv)) is not None:
        return _report_quietly(as_json, Refusal("bad_input", undecodable), 2)
    try:
        cli.main(args=argv, prog_name="orderdesk", standalone_mode=False)
        return 0
    except CliExit as done:
        return done.code
    except click.exceptions.Abort:
        return 130
    except click.ClickException as exc:  # malformed options: exit 2, JSON when asked
        if as_json:
            return _report_quietly(True, Refusal("bad_input", exc.format_message()), 2)
        try:
            exc.show()
        except OSError:
            pass
        return 2
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in _STDOUT_ERRNOS:
            exc = StreamError(f"Cannot write to standard output: {exc.strerror}.")
        if isinstance(exc, StreamError):  # stdout itself failed: the one line goes to stderr
            if exc.stream == "output":
                _mute_stdout()
            return _report_quietly(False, Refusal("output", str(exc)), 2)
        return _report_quietly(as_json, *_explain(exc))


def _undecodable(argv: list[str]) -> str | None:
    """Text that is not UTF-8 (bytes Python could only decode as lone surrogates) would
    fail later, in the database or on the terminal: say so up front."""
    def is_text(text: str) -> bool:
        return text.encode("utf-8", "replace").decode("utf-8") == text

    hint = "is not valid text: orderdesk takes UTF-8; check the encoding of the terminal or script."
    for arg in argv:
        if not is_text(arg):
            return f"The argument {ascii(arg)} {hint}"
    for name, value in os.environ.items():
        if name.startswith("ORDERDESK_") and not is_text(value):
            return f"${name} {hint}"
    return None


def _explain(exc: Exception) -> tuple[Refusal, int]:
    """What an exception that reached main() means to a person, and the exit code."""
    if isinstance(exc, OutputError):
        return Refusal("output", str(exc)), 2
    if "core.db" in sys.modules and isinstance(exc, core_db.DatabaseError):
        return (Refusal("busy", str(exc)), 1) if isinstance(exc, core_db.DatabaseBusy) else \
               (Refusal("database", str(exc)), 2)
    import logging

    log = logging.getLogger("orderdesk.cli")
    if not _log_files(log):  # a command that does not log yet: the traceback goes to the log file
        try:
            from core.logs import setup_logging

            setup_logging()  # $ORDERDESK_LOG_FILE, else the user log folder
        except OSError:
            logging.getLogger("orderdesk").addHandler(logging.NullHandler())  # never the terminal
    log.exception("internal error")
    files = _log_files(log)
    where = f"the details are in {files[0]}; " if files else ""
    return Refusal("internal", f"orderdesk hit an internal error ({type(exc).__name__}); {where}"
                               "please report it with the command you ran."), INTERNAL_ERROR


def _log_files(log) -> list[str]:
    """The files `log`'s lines reach."""
    files = []
    while log is not None:
        files += [h.baseFilename for h in log.handlers if getattr(h, "baseFilename", os.devnull) != os.devnull]
        log = log.parent if log.propagate else None
    return files


def _report_quietly(as_json: bool, refusal: Refusal, exit_code: int) -> int:
    """Report, as well as the streams allow, and return the exit code."""
    try:
        report(as_json, refusal, exit_code)
    except (CliExit, StreamError):
        pass
    return exit_code


def _mute_stdout() -> None:
    """After stdout failed, point it at /dev/null so the interpreter's final flush stays
    quiet (Python's advice for SIGPIPE); only for the real stdout of a real process."""
    if sys.stdout is not sys.__stdout__:
        return
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
