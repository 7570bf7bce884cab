"""Cancel wizard, the last step: check the refund, then Submit (seed 003: "check the
refund amount and submit the cancellation").

The refund total stays on screen, just above the key bar, whatever the terminal's size: the
lines and the breakdown scroll above it, so Submit never refunds a figure the seller cannot
see (issue 17). The lines' amounts are never cut (tui/widgets/fit_table.py).

The figures are the draft's preview (core.queries.board: core.refunds). Submit runs
the command the flow built (the order version the wizard read and the refund total
shown here go with it: if the order changed in between, the core refuses and the
seller sees the new state; the refund is never another figure than the one reviewed),
off the UI thread, the summary showing busy from the key press on. Answers the
command's result, or None (back to change the choice).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from core.money import format_money
from core.queries.board import CancelDraft, order_version
from tui import work
from tui.active import leave
from tui.format import reason_text, status_label
from tui.widgets.fit_table import Col, FitTable, money
from tui.widgets.key_bar import KeyBar
from tui.widgets.refund import refund_table

# The refund's lines: the amounts are kept whole; the title gives way first, then the SKU.
LINE_COLUMNS = (Col("SKU", give=1), Col("Item", give=0), money("Units"), money("Items"), money("Tax"),
                money("Refund"))


class CancelReviewScreen(Screen):
    TITLE = "Cancel order"
    BINDINGS = [
        Binding("ctrl+s,enter", "submit", "Submit", id="review.submit",
                tooltip="Cancel with this refund (the customer gets an email)"),
        Binding("escape", "back", "Back", id="review.back", tooltip="Change the choice"),
    ]

    def __init__(self, draft: CancelDraft, submit: Callable, step: str):
        super().__init__()
        self.draft, self.submit, self.step = draft, submit, step  # step: "step 3 of 3", from the flow
        self.preview = draft.preview
        self.submitted = False
        self.sub_title = f"{draft.shop} · order {draft.order_id}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Cancel order {self.draft.order_id} · {self.step}: check the refund, then submit",
                     classes="screen-title")
        yield Static("The order changed since you opened it (another station). Submit checks it "
                     "again and refuses rather than refund another amount; Escape to start over.",
                     id="changed")
        with VerticalScroll():
            yield Static(self._summary(), id="review")
        yield Static(self._total(), id="total")
        yield KeyBar()

    def on_data_changed(self, _message=None) -> None:
        """Another station changed something: say so if it was this order."""
        order_id, version = self.draft.order_id, self.draft.snap.version
        work.read(self, lambda session, now: order_version(session, order_id),
                  lambda now_version: self.query_one("#changed", Static).set_class(now_version != version, "-shown"),
                  key="review.changed")

    def _summary(self) -> Table:
        draft, preview, snap = self.draft, self.preview, self.draft.snap
        cur = snap.order.currency
        what = {"order": "The whole order",
                "package": f"Package {draft.package_id}",
                "items": "Some items (Out of Stock)"}[draft.scope]
        lines = {l.id: l for l in snap.lines}
        outer = Table.grid(padding=(0, 1))
        outer.add_column()
        outer.add_row(Text.assemble(("Reason  ", "dim"), reason_text(draft.reason)))
        outer.add_row(Text.assemble(("Cancel  ", "dim"), what))
        outer.add_row(Text.assemble(("Order   ", "dim"), status_label(snap.order.status)))
        outer.add_row(Text.assemble(("Result  ", "dim"), preview.summary))  # as the buyer is told it
        outer.add_row(FitTable(LINE_COLUMNS, [
            (lines[part.line_id].sku, lines[part.line_id].title, str(part.quantity),
             format_money(part.subtotal, cur), format_money(part.tax, cur), format_money(part.total, cur))
            for part in preview.refund.lines]))
        refund = preview.refund
        outer.add_row(refund_table(refund, cur, total=False))  # the total: pinned below (_total)
        if preview.note:
            outer.add_row(Text(preview.note, "italic"))
        outer.add_row(Text("Submit (Enter or Ctrl+S) cancels these units and refunds "
                           f"{format_money(refund.total, cur)}; the customer gets an email.", "dim"))
        return outer

    def _total(self) -> Text:
        """The refund total, below the scrolling summary: on screen whenever Submit works."""
        return Text(f"Refund total {format_money(self.preview.refund.total, self.draft.snap.order.currency)}",
                    "bold")

    def action_submit(self) -> None:
        """Once: a second Enter while the first is on its way does nothing."""
        if self.submitted:
            return
        self.submitted = True
        work.run(self, self.submit, self._done, key="cancel.submit", busy=self.query_one("#review"))

    def _done(self, result) -> None:
        self.submitted = False
        leave(self, result)

    def action_back(self) -> None:
        if not self.submitted:
            leave(self)
