"""A package opened to pack it (issue 15, scan-to-pack): its lines with the units to
confirm. Each unit is confirmed by scanning its product's barcode (the scanner types it,
whatever has focus: tui.scanner) or with Space on its line (a: all of the line). When all are confirmed, p
packs it; o marks the units not confirmed short and opens their Out of Stock
cancellation; s saves (and prints, with a printer configured) the packing slip.

A wrong scan (a product not in this package, anything else) or an extra one (more units
than the line has) rings the bell and says what was read. Scans are looked up off the
UI thread (core.queries.scan, through tui.work); so is the slip, rendered in a worker.

Answers a `PackAnswer` ("pack" or "short", with what is confirmed) or None (Escape); the
flow (tui/flows/seller_pack.py) does the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from core.queries.labels import ScanMatch
from core.queries.packing import PackCheck, PackLine
from core.queries.scan import lookup
from core.results import Refusal
from core.words import plural
from tui import work
from tui.active import leave
from tui.scanner import Wedge
from tui.widgets.key_bar import KeyBar

CLAIM_RENEWAL = 60.0  # seconds between two renewals of the claim while units are confirmed


@dataclass(frozen=True, slots=True)
class PackAnswer:
    action: str  # pack | short
    confirmed: Mapping[str, int] = field(default_factory=dict)


class PackScreen(Screen):
    TITLE = "Pack"
    BINDINGS = [
        Binding("space", "confirm", "Confirm 1", id="pack.confirm",
                tooltip="Confirm one unit of this line (as its barcode scan would)"),
        Binding("a", "confirm_line", "All of line", id="pack.confirm_line", show=False,
                tooltip="Confirm every unit of this line"),
        Binding("backspace", "unconfirm", "Undo 1", id="pack.unconfirm", show=False,
                tooltip="One confirmed unit of this line fewer"),
        Binding("p", "pack", "Pack", id="pack.pack", tooltip="Pack it: every unit confirmed"),
        Binding("o", "short", "Out of stock", id="pack.short",
                tooltip="The units not confirmed are not on the shelf: cancel them (Out of Stock)"),
        Binding("s", "slip", "Slip", id="pack.slip",
                tooltip="Save the packing slip as a PDF (and print it when a printer is set)"),
        Binding("escape", "back", "Back", id="pack.back", tooltip="Leave without packing"),
    ]

    def __init__(self, check: PackCheck, confirmed: Mapping[str, int], slip: Callable,
                 keep_claim: Callable | None = None):
        """`slip`: the slip key's job (a read); `keep_claim`: the command that renews this
        station's claim on the package (tui/flows/claims.py), run as units are confirmed so
        that packing a package for a long while keeps it this station's."""
        super().__init__()
        self.check, self.slip_job, self.keep_claim = check, slip, keep_claim
        self.claim_kept_at = time.monotonic()  # the flow claimed it just before opening this
        self.confirmed = dict(confirmed)
        self.wedge = Wedge()
        self.sub_title = f"{check.shop} · order {check.order_id}"

    def compose(self) -> ComposeResult:
        check = self.check
        yield Header()
        ship_by = f" · ship by {check.ship_by:%b %d %H:%M} UTC" if check.ship_by else ""
        yield Static(f"Pack package {check.package_id} · order {check.order_id}{ship_by}", classes="screen-title")
        yield Static("Scan each item's barcode (or Space on its line). All confirmed: p packs. "
                     "Not on the shelf: o cancels the units not confirmed (Out of Stock).", classes="hint")
        if not check.pack.allowed:
            yield Static(f"Can't be packed now: {check.pack.why_not}", id="why")
        table = DataTable(id="lines", cursor_type="row", zebra_stripes=False)
        table.add_column("", key="mark", width=1)
        table.add_column("SKU", key="sku")
        table.add_column("Item", key="title")
        table.add_column("Barcode", key="barcode")
        table.add_column("Confirmed", key="confirmed")
        for line in check.lines:
            table.add_row(*self._cells(line), key=line.line_id)
        yield table
        yield Static(id="progress")
        yield Static(id="scan")
        yield Static(id="slip")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._show_progress()

    # -- what is confirmed ----------------------------------------------------------
    def _cells(self, line: PackLine) -> tuple:
        done = self.confirmed.get(line.line_id, 0)
        full = done >= line.units
        style = "green" if full else ""
        return (Text("✓" if full else "·", style), line.sku, line.title, line.barcode or "(none: Space)",
                Text(f"{done} of {line.units}", "bold green" if full else "bold"))

    def _show_progress(self) -> None:
        check, confirmed = self.check, self.confirmed
        done, units = sum(confirmed.values()), check.units
        if check.all_confirmed(confirmed):
            every = "The unit is" if units == 1 else f"All {units:,} units"
            text = Text.assemble((f"{every} confirmed. ", "bold green"), "p packs it.")
        else:
            short = units - done
            text = Text(f"{done} of {plural(units, 'unit')} confirmed · {short} to go: scan them, or o if they are "
                        "not on the shelf.")
        self.query_one("#progress", Static).update(text)

    def _confirm(self, line: PackLine, delta: int = 1) -> bool:
        done = self.confirmed.get(line.line_id, 0) + delta
        if done < 0 or done > line.units:
            return False
        self.confirmed[line.line_id] = done
        self._keep_claim()
        table = self.query_one(DataTable)
        for key, cell in zip(("mark", "sku", "title", "barcode", "confirmed"), self._cells(line)):
            table.update_cell(line.line_id, key, cell)
        self._show_progress()
        return True

    def _keep_claim(self) -> None:
        """Renew the claim (its activity) at most once per CLAIM_RENEWAL while units are
        confirmed: a claim lapses only after rules.CLAIM_IDLE without any."""
        if self.keep_claim is None or time.monotonic() - self.claim_kept_at < CLAIM_RENEWAL:
            return
        self.claim_kept_at = time.monotonic()
        work.run(self, self.keep_claim, self._claim_kept, key="pack.claim")

    def _claim_kept(self, result) -> None:
        if not result.ok:  # another station took it over meanwhile (or it moved on)
            self._said(f"✗ {result.message}", wrong=True)

    def _said(self, text: str, *, wrong: bool = False) -> None:
        scan = self.query_one("#scan", Static)
        scan.update(text)
        scan.set_class(wrong, "-wrong")
        if wrong:
            self.app.bell()

    @property
    def current(self) -> PackLine | None:
        table = self.query_one(DataTable)
        if not self.check.lines or table.cursor_row is None:
            return None
        return self.check.lines[min(table.cursor_row, len(self.check.lines) - 1)]

    # -- scans ------------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        label = self.wedge.take(event)
        if label is not None:
            shop_id, package_id = self.check.shop_id, self.check.package_id
            work.read(self, lambda session, now: lookup(session, shop_id, label, packing=package_id),
                      self.scanned, key="pack.scan")

    def scanned(self, match: ScanMatch) -> None:
        """A unit of the product scanned, on its first line with units to confirm."""
        if match.kind == "product" and match.package_id == self.check.package_id:
            lines = [l for l in self.check.lines if l.sku == match.sku]
            line = next((l for l in lines if self.confirmed.get(l.line_id, 0) < l.units), None)
            if line is None:
                units = sum(l.units for l in lines)
                self._said(f"✗ Extra: {match.sku}: all {plural(units, 'unit')} confirmed already. "
                           "Put it back.", wrong=True)
                return
            self._confirm(line)
            self.query_one(DataTable).move_cursor(row=self.check.lines.index(line))
            self._said(f"✓ {line.sku} {line.title}: {self.confirmed[line.line_id]} of {line.units}")
        elif match.kind == "product":
            self._said(f"✗ Wrong item: {match.sku} ({match.title}) is not in this package. "
                       "Put it back.", wrong=True)
        elif match.package_id == self.check.package_id:
            self._said(f"This is package {self.check.package_id}, the one being packed.")
        elif match.opens_order:
            what = f"package {match.package_id} of order" if match.package_id else "order"
            self._said(f"✗ Read {match.text}: {what} {match.order_id}, not this package. Pack this one, "
                       "or leave it (Escape) to open that one.", wrong=True)
        else:
            self._said(f"✗ {match.message(self.check.shop)}", wrong=True)

    # -- keys -------------------------------------------------------------------------
    def action_confirm(self) -> None:
        line = self.current
        if line is not None and not self._confirm(line):
            self._said(f"✗ Extra: {line.sku}: all {plural(line.units, 'unit')} confirmed already.", wrong=True)

    def action_confirm_line(self) -> None:
        line = self.current
        if line is not None:
            self._confirm(line, line.units - self.confirmed.get(line.line_id, 0))

    def action_unconfirm(self) -> None:
        line = self.current
        if line is not None:
            self._confirm(line, -1)

    def action_pack(self) -> None:
        check = self.check
        if not check.pack.allowed:
            self._said(f"✗ Can't be packed now: {check.pack.why_not}", wrong=True)
        elif not check.all_confirmed(self.confirmed):
            short = sum(check.short(self.confirmed).values())
            self._said(f"✗ {plural(short, 'unit')} not confirmed yet: scan them, or o if they are not on the shelf.",
                       wrong=True)
        else:
            leave(self, PackAnswer("pack", dict(self.confirmed)))

    def action_short(self) -> None:
        why = self.check.why_not_short(self.confirmed)
        if why:
            self._said(f"✗ {why}", wrong=True)
        else:
            leave(self, PackAnswer("short", dict(self.confirmed)))

    def action_slip(self) -> None:
        self.query_one("#slip", Static).update("Making the packing slip…")
        work.read(self, self.slip_job, self._slip_done, key="pack.slip")

    def _slip_done(self, saved) -> None:
        if isinstance(saved, Refusal):
            self.query_one("#slip", Static).update(f"No slip: {saved.message}")
            self.app.bell()
            return
        text = f"Slip saved: {saved.path}"
        if saved.print_job is not None or (saved.printer and not saved.print_error):
            text += f" · sent to printer {saved.printer}" + (f" ({saved.print_job})" if saved.print_job else "")
        elif saved.print_error:
            text += f" · not printed: {saved.print_error}"
        self.query_one("#slip", Static).update(text)

    def action_back(self) -> None:
        leave(self)
