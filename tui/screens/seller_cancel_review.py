"""Cancel wizard, step 4 of 4: check the refund, then Submit (seed 003: "check the
refund amount and submit the cancellation").

The figures come from core.queries.board.cancel_preview (core.refunds). Submit passes the
order version the wizard read and the refund total shown here: if the order
changed in between, the core refuses and the seller sees the new state; the
refund is never another figure than the one reviewed.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from core import services
from core.money import format_money
from core.rules import REASON_TEXT, STATUS_LABELS
from tui.seller_flow import CancelDraft


class CancelReviewScreen(Screen):
    TITLE = "Cancel order"
    CSS = """
    CancelReviewScreen #review { padding: 0 1; }
    CancelReviewScreen #changed { padding: 0 1; color: $warning; text-style: bold; display: none; }
    CancelReviewScreen #changed.-shown { display: block; }
    """
    BINDINGS = [
        Binding("ctrl+s,enter", "submit", "Submit", id="review.submit",
                tooltip="Cancel with this refund (the customer gets an email)"),
        Binding("escape", "app.pop_screen", "Back", id="review.back", tooltip="Change the choice"),
    ]

    def __init__(self, draft: CancelDraft):
        super().__init__()
        self.draft = draft
        self.preview = draft.preview()
        self.sub_title = f"{draft.shop} · order {draft.order_id}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Cancel order {self.draft.order_id} · check the refund, then submit",
                     classes="screen-title")
        yield Static("The order changed since you opened it (another station). Submit checks it "
                     "again and refuses rather than refund another amount; Escape to start over.",
                     id="changed")
        with VerticalScroll():
            yield Static(self._summary(), id="review")
        yield Footer()

    def on_data_changed(self, _message=None) -> None:
        """Another station changed something: say so if it was this order."""
        from tui.seller_flow import read_snapshot

        snap = read_snapshot(self, self.draft.order_id)
        changed = snap is None or snap.version != self.draft.snap.version
        self.query_one("#changed", Static).set_class(changed, "-shown")

    def _summary(self) -> Table:
        draft, preview, snap = self.draft, self.preview, self.draft.snap
        cur = snap.order.currency
        what = {"order": "The whole order",
                "package": f"Package {draft.package_id}",
                "items": "Some items (Out of Stock)"}[draft.scope]
        lines = {l.id: l for l in snap.lines}
        outer = Table.grid(padding=(0, 1))
        outer.add_column()
        outer.add_row(Text.assemble(("Reason  ", "dim"), REASON_TEXT[draft.reason]))
        outer.add_row(Text.assemble(("Cancel  ", "dim"), what, ("   order is ", "dim"),
                                    STATUS_LABELS[snap.order.status]))
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
        table.add_column("SKU", no_wrap=True)
        table.add_column("Item", ratio=1, overflow="ellipsis", no_wrap=True)
        table.add_column("Units", justify="right")
        table.add_column("Items", justify="right")
        table.add_column("Tax", justify="right")
        table.add_column("Refund", justify="right")
        for part in preview.refund.lines:
            line = lines[part.line_id]
            table.add_row(line.sku, line.title, str(part.quantity), format_money(part.subtotal, cur),
                          format_money(part.tax, cur), format_money(part.total, cur))
        outer.add_row(table)
        refund = preview.refund
        totals = Table.grid(padding=(0, 2))
        totals.add_column(style="dim")
        totals.add_column(justify="right")
        totals.add_row("Items", format_money(refund.subtotal, cur))
        totals.add_row("Shipping", format_money(refund.shipping, cur))
        totals.add_row("Tax", format_money(refund.tax, cur))
        totals.add_row(Text("Refund total", "bold"), Text(format_money(refund.total, cur), "bold"))
        outer.add_row(totals)
        if preview.note:
            outer.add_row(Text(preview.note, "italic"))
        outer.add_row(Text("Submit (Enter or Ctrl+S) cancels these units and refunds "
                           f"{format_money(refund.total, cur)}; the customer gets an email.", "dim"))
        return outer

    def action_submit(self) -> None:
        draft = self.draft
        result = services.seller_cancel(
            self.app.db, draft.order_id, draft.reason, now=self.app.now(), shop=draft.shop,
            package_id=draft.package_id if draft.scope == "package" else None,
            items=dict(draft.items) if draft.scope == "items" else None,
            idempotency_key=draft.idempotency_key, expected_version=draft.snap.version,
            expected_refund=self.preview.refund.total)
        if result.ok:
            cur = draft.snap.order.currency
            refund = result.record["refund"]["total"]
            self._back_to_origin()
            self.app.notify(f"Refund {format_money(refund, cur)}. The customer's email is queued "
                            "in the outbox.", title=f"Order {draft.order_id}: cancelled")
            return
        from tui.screens.seller_cancel_failed import CancelFailedScreen

        self.app.push_screen(CancelFailedScreen(draft, result))

    def _back_to_origin(self) -> None:
        origin = self.draft.origin
        while self.app.screen is not origin and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
