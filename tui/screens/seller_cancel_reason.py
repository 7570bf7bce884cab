"""Cancel wizard, the first step: the reason first (seed 003: "You must first select
the reason for initiating the cancellation"). Answers the reason, or None (leave)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from core.queries.board import CancelDraft
from tui.active import leave, when_active
from tui.widgets.key_bar import KeyBar


class CancelReasonScreen(Screen[str | None]):
    TITLE = "Cancel order"
    BINDINGS = [
        Binding("escape", "back", "Back", id="cancel.back", tooltip="Leave the cancellation"),
    ]

    def __init__(self, draft: CancelDraft, step: str):
        super().__init__()
        self.draft, self.step = draft, step  # step: "step 2 of 4", from the flow (tui.flows.seller_cancel)
        self.sub_title = f"{draft.shop} · order {draft.order_id}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Cancel order {self.draft.order_id} · {self.step}: why?", classes="screen-title")
        yield Static("Choose the reason first. Items can be cancelled one by one only with "
                     "Out of Stock; other reasons cancel the whole order or a package.", classes="hint")
        reasons = self.draft.snap.seller_reasons
        yield OptionList(*[Option(text, id=key) for key, text in reasons.items()], id="reasons")
        yield KeyBar()

    def on_mount(self) -> None:
        reasons = self.query_one(OptionList)
        if self.draft.reason in self.draft.snap.seller_reasons:
            reasons.highlighted = list(self.draft.snap.seller_reasons).index(self.draft.reason)
        elif reasons.option_count:
            reasons.highlighted = 0
        reasons.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        leave(self, event.option.id)

    def action_back(self) -> None:
        leave(self)
