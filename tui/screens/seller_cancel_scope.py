"""Cancel wizard, step 2 of 4: what to cancel: the whole order, one package, or
(only with Out of Stock, seed 003) some items. What can't be chosen says why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from core.rules import REASON_TEXT, STATUS_LABELS
from tui.active import when_active
from tui.seller_flow import CancelDraft


def _option(label: str, why: str | None, option_id: str) -> Option:
    if why:
        return Option(Text.assemble((label, "dim"), "\n", (f"   {why}", "dim italic")), id=option_id,
                      disabled=True)
    return Option(label, id=option_id)


class CancelScopeScreen(Screen):
    TITLE = "Cancel order"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="scope.back", tooltip="Back to the reason"),
    ]

    def __init__(self, draft: CancelDraft):
        super().__init__()
        self.draft = draft
        self.sub_title = f"{draft.shop} · order {draft.order_id}"

    def compose(self) -> ComposeResult:
        draft, snap = self.draft, self.draft.snap
        yield Header()
        yield Static(f"Cancel order {draft.order_id} · step 2 of 4: what?", classes="screen-title")
        yield Static(f"Reason: {REASON_TEXT[draft.reason]}", classes="hint")
        options = []
        live = sum(l.quantity - l.cancelled_quantity for l in snap.lines)
        whole = snap.whole_order()
        options.append(_option(f"The whole order ({live} unit{'s' if live != 1 else ''})",
                               whole.why_not, "order"))
        for n, p in enumerate(snap.package_choices(), 1):
            units = sum(l.quantity - l.cancelled_quantity for l in snap.lines if l.package_id == p.id)
            options.append(_option(f"Package {n}: {p.id} · {STATUS_LABELS[p.status]} ({units} units)",
                                   p.why_not, f"package:{p.id}"))
        items = snap.items_allowed(draft.reason)
        options.append(_option("Some items: choose a quantity per item", items.why_not, "items"))
        yield OptionList(*options, id="scopes")
        yield Footer()

    def on_mount(self) -> None:
        scopes = self.query_one(OptionList)
        first = next((i for i in range(scopes.option_count) if not scopes.get_option_at_index(i).disabled), None)
        if first is not None:
            scopes.highlighted = first
        scopes.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from tui.screens.seller_cancel_items import CancelItemsScreen
        from tui.screens.seller_cancel_review import CancelReviewScreen

        choice = event.option.id
        draft = self.draft
        if choice == "items":
            draft.scope, draft.package_id = "items", None
            self.app.push_screen(CancelItemsScreen(draft))
            return
        if choice.startswith("package:"):
            draft.scope, draft.package_id = "package", choice.split(":", 1)[1]
        else:
            draft.scope, draft.package_id = "order", None
        draft.items = {}
        self.app.push_screen(CancelReviewScreen(draft))
