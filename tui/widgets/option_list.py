"""Option lists that keep up with fast keys and tiny terminals.

Page moves in an option list that has no rows on screen:
Textual 8.2's `OptionList` pages by the lines it has laid out, and lays none out while
it has no room (a 20×5 or 40×8 terminal, where the header, the footer and the hints
take every row): PageUp/PageDown there raised `KeyError: 0` and ended the app. Every
option list shares that one method: ours, `SelectionList`, and the command palette's
list, which the app does not build and so no subclass of ours could reach. The guard
therefore goes on `OptionList` itself, once, when the app is imported.

Decision: with no rows laid out there is no page, so a page move leaves the highlight
where it is (the list shows nothing to move through; ↑/↓ still move by one).

A highlight reported after the options changed: `SelectionList` turns each highlight
into a message naming the highlighted option, looked up when the highlight's own
message is handled; typing in the product filter narrows the list in between, and the
lookup raised `OptionDoesNotExist`. Our `SelectionList` drops such a late highlight
(the list highlights again once its new options are in).
"""

from __future__ import annotations

from typing import TypeVar

from textual import widgets
from textual.widgets import OptionList

Value = TypeVar("Value")

_textual_move_page = OptionList._move_page


def _move_page(self: OptionList, direction: int) -> None:
    if not self._lines:  # no room: nothing laid out, no page to move by
        return
    _textual_move_page(self, direction)


def guard_page_moves() -> None:
    """Install the guard (idempotent)."""
    OptionList._move_page = _move_page


class SelectionList(widgets.SelectionList[Value]):
    def _on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Textual calls this, then its own (the base class's) unless the default is prevented."""
        if event.option_index >= self.option_count:  # gone before the message was handled
            event.stop()
            event.prevent_default()
