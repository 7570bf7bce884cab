"""A keyboard-wedge scanner's keys: the characters of a label, then Enter (issue 15).

A screen that takes scans whatever has focus (the seller board, the pack screen) hands
every key to its `Wedge` first, from `on_key`; the wedge takes the label's keys (they
reach no widget and no binding) and answers the label on its Enter.

Decisions where the spec is silent:
- A scan starts with a digit or a capital letter: the screens' own keys are small
  letters and named keys, so no key of theirs is ever taken for a scan (labels are
  printed in capitals: UPS 1Z…, and a wedge types them with Shift). Once started, it
  goes on with letters, digits and '-'; any other key (an arrow, Escape) ends it
  unread and does what it always does.
- A label is at most core.queries.labels.MAX_CHARS characters: beyond, the keys are still
  taken (a long burst must not turn into key presses) but not kept, and Enter answers
  what was kept plus "…" so the lookup says it is not a label.
"""

from __future__ import annotations

from textual import events

from core.queries.labels import MAX_CHARS

TOO_LONG = "…"


class Wedge:
    """The label being typed, until its Enter."""

    def __init__(self) -> None:
        self.text = ""
        self.overflow = False

    def take(self, event: events.Key) -> str | None:
        """Take `event` if it is part of a scan (then it goes nowhere else); the label on
        its Enter, else None."""
        char = event.character or ""
        starts = len(char) == 1 and (char.isdigit() or ("A" <= char <= "Z"))
        goes_on = self.text and len(char) == 1 and (char.isascii() and (char.isalnum() or char == "-"))
        if event.key == "enter" and self.text:
            label = self.text + (TOO_LONG if self.overflow else "")
            self.text, self.overflow = "", False
            self._swallow(event)
            return label
        if starts or goes_on:
            if len(self.text) < MAX_CHARS:
                self.text += char
            else:
                self.overflow = True
            self._swallow(event)
            return None
        self.text, self.overflow = "", False
        return None

    @staticmethod
    def _swallow(event: events.Key) -> None:
        event.stop()
        event.prevent_default()
