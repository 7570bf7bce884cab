"""The side-by-side view passes each key on as a terminal sends it: the app on the other side
(Textual, parsing what its terminal sends) reads the very key that was pressed."""

from __future__ import annotations

import pytest
from textual._xterm_parser import XTermParser

from tui.side_by_side import key_bytes

TERMINAL_SENDS = ["a", "Z", "?", " ", "é", "\r", "\t", "\x1b[Z", "\x7f", "\x01", "\x10", "\x11", "\x1bx",
                  "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[H", "\x1b[F", "\x1b[1;5A", "\x1b[1;2D",
                  "\x1b[2~", "\x1b[3~", "\x1b[5~", "\x1b[6~", "\x1b[5;2~", "\x1bOP", "\x1bOS", "\x1b[15~",
                  "\x1b[17~", "\x1b[24~", "\x1b[1;5P"]


def keys(sent: str) -> list[tuple[str, str | None]]:
    parser = XTermParser()
    events = [*parser.feed(sent), *parser.feed("")]  # "" ends the input: a lone ESC prefix is read
    return [(event.key, event.character) for event in events if hasattr(event, "key")]


@pytest.mark.parametrize("sent", TERMINAL_SENDS)
def test_a_key_reaches_the_app_on_a_side_as_it_was_pressed(sent):
    [(key, character)] = keys(sent)  # what the view itself reads
    [passed_on] = keys(key_bytes(key, character).decode())  # what the side's app reads
    assert passed_on == (key, character)
