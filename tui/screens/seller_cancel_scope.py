"""Cancel wizard, the second step: what to cancel: the whole order, one package, or
(only with Out of Stock, seed 003) some items. What can't be chosen says why.
Answers "order", "package:ID" or "items", or None (back to the reason)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from core.queries.board import CancelDraft
from core.words import plural
from tui.active import leave, when_active
from tui.format import reason_text, status_label
from tui.widgets.key_bar import KeyBar


def _option(label: str, why: str | None, option_id: str) -> Option:
    if why:
        return Option(Text.assemble((label, "dim"), "\n", (f"   {why}", "dim italic")), id=option_id,
                      disabled=True)
    return Option(label, id=option_id)


class CancelScopeScreen(Screen[str | None]):
    TITLE = "Cancel order"
    BINDINGS = [
        Binding("escape", "back", "Back", id="scope.back", tooltip="Back to the reason"),
    ]

    def __init__(self, draft: CancelDraft, step: str):
        super().__init__()
        self.draft, self.step = draft, step  # step: "step 2 of 4", from the flow (tui.flows.seller_cancel)
        self.sub_title = f"{draft.shop} · order {draft.order_id}"

    def compose(self) -> ComposeResult:
        draft, snap = self.draft, self.draft.snap
        yield Header()
        yield Static(f"Cancel order {draft.order_id} · {self.step}: what?", classes="screen-title")
        yield Static(f"Reason: {reason_text(draft.reason)}", classes="hint")
        live = snap.live_units()
        options = [_option(f"The whole order ({plural(live, 'unit')})", snap.whole_order.why_not, "order")]
        for n, p in enumerate(snap.package_choices, 1):
            options.append(_option(f"Package {n}: {p.id} · {status_label(p.status)} "
                                   f"({plural(snap.live_units(p.id), 'unit')})", p.why_not, f"package:{p.id}"))
        options.append(_option("Some items: choose a quantity per item", snap.items_allowed(draft.reason).why_not,
                               "items"))
        yield OptionList(*options, id="scopes")
        yield KeyBar()

    def on_mount(self) -> None:
        scopes = self.query_one(OptionList)
        draft = self.draft
        before = {"order": "order", "package": f"package:{draft.package_id}", "items": "items"}.get(draft.scope)
        enabled = [i for i in range(scopes.option_count) if not scopes.get_option_at_index(i).disabled]
        first = next((i for i in enabled if scopes.get_option_at_index(i).id == before),
                     enabled[0] if enabled else None)  # back from a later step: where the seller was
        if first is not None:
            scopes.highlighted = first
        scopes.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        leave(self, event.option.id)

    def action_back(self) -> None:
        leave(self)
