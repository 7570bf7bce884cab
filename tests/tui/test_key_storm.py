"""Key storms: a few hundred realistic keys, at random but from a fixed seed, into the
seller board and the buyer app at sizes down to 20×5; the app must still be running,
with no exception, when the storm has passed.

The keys arrive in bursts, as a terminal (or an SSH connection) delivers them: each
burst is queued at once, without waiting for the app between keys (what found the
crashes `Pilot.press`, which waits after every key, never did). Between bursts the
app settles: its messages handled and its workers finished, so a seed replays the
same storm. Each case's seed is in its test id (`pytest -k seller-80x24-seed7`), and
a failure prints every key pressed, `|` where the app settled.

Quit keys (ctrl+q, ctrl+c) are not in the alphabet; the command palette's "Quit" can
still be picked: a clean exit (code 0, no exception) ends the storm early and is not a
failure. The seeds kept here are ones that crashed the app before its fixes (PageDown
in a list with no room, a second Enter on a closed menu, a palette opened ahead of the
keys before it, a screen left before it was mounted, a highlight after the product
filter emptied the list) or a first version of them (Escape on a locked start screen);
many more seeds were run while fixing.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata

import pytest
from textual import events
from textual.app import _get_unicode_name_from_key

from core.queries import board
from tests.waiting import quiet
from tui.app import OrderDeskApp

# Keys a person presses on these screens, weighted towards moving around.
MOVES = ["up", "down", "left", "right", "pageup", "pagedown", "home", "end", "tab", "shift+tab", "j", "k"]
ACTIONS = ["enter", "escape", "space", "backspace", "question_mark", "ctrl+n", "ctrl+r", "ctrl+s",
           "slash", "plus", "minus"]
LETTERS = list("abcdfhilmoprstxy")  # the letters the screens bind (q only closes help: left out)
DIGITS = list("0123456789")
ALPHABET = MOVES * 3 + ACTIONS * 2 + ["enter", "escape"] * 2 + LETTERS + DIGITS + ["ctrl+p"]
REPEAT = 0.2  # how often a key is pressed 2 or 3 times running (a double press, a held key)

KEYS = 250
BURST = 12  # at most this many keys arrive before the app settles
APPS = {
    "seller": {"role": "seller", "identity": "Lakehouse Home"},
    "buyer": {"role": "buyer", "identity": "aisha.johnson"},
}
# (app, size, seed, locked as `serve ssh` runs it, a large shop: counts in the background)
CASES = [
    ("seller", (20, 5), 6, False, False),
    ("seller", (40, 8), 31, True, False),
    ("seller", (80, 24), 7, False, False),
    ("seller", (80, 24), 12, False, False),
    ("seller", (80, 24), 23, False, False),
    ("seller", (120, 36), 11, False, True),
    ("buyer", (20, 5), 5, False, False),
    ("buyer", (40, 8), 30, True, False),
    ("buyer", (80, 24), 2, False, False),
    ("buyer", (80, 24), 10, False, False),
    ("buyer", (120, 36), 33, True, False),
]


def case_id(who, size, seed, locked, large) -> str:
    return f"{who}-{size[0]}x{size[1]}-seed{seed}" + "-locked" * locked + "-large" * large


def storm(seed: int, n: int = KEYS) -> list[list[str]]:
    """`n` keys in bursts of 1 to BURST keys, the same for the same seed."""
    rng = random.Random(seed)
    keys: list[str] = []
    while len(keys) < n:
        key = rng.choice(ALPHABET)
        keys += [key] * (rng.choice((2, 3)) if rng.random() < REPEAT else 1)
    del keys[n:]
    bursts = []
    while keys:
        size = rng.randint(1, BURST)
        bursts.append(keys[:size])
        keys = keys[size:]
    return bursts


def press_at_once(app: OrderDeskApp, keys: list[str]) -> None:
    """Queue the keys as a terminal delivers them, one after another without waiting for
    the app; each key's event is the one Pilot would make."""
    for key in keys:
        try:
            character = unicodedata.lookup(_get_unicode_name_from_key(key))
        except KeyError:
            character = key if len(key) == 1 else None
        event = events.Key(key, character)
        event.set_sender(app)
        app.post_message(event)


async def settle(app: OrderDeskApp, pilot) -> None:
    """Until the app has done what the keys started: its workers, then its messages."""
    await quiet(pilot)


@pytest.mark.parametrize("who,size,seed,locked,large", [pytest.param(*c, id=case_id(*c)) for c in CASES])
def test_a_key_storm_leaves_the_app_running(demo_db, monkeypatch, who, size, seed, locked, large):
    if large:
        monkeypatch.setattr(board, "LARGE", 0)  # the demo shop counts as large
    pressed: list[str] = []

    async def drive() -> OrderDeskApp:
        app = OrderDeskApp(demo_db, locked=locked, **APPS[who])
        app.animation_level = "none"
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            for burst in storm(seed):
                press_at_once(app, burst)
                pressed.extend([*burst, "|"])
                await settle(app, pilot)
                if app.return_code is not None or app._exception is not None:
                    break  # the palette's Quit, or a crash (raised as the app ends)
            await settle(app, pilot)  # no worker left behind when the app ends
        return app

    try:
        app = asyncio.run(drive())
    except Exception as exc:
        raise AssertionError(f"{case_id(who, size, seed, locked, large)}: {type(exc).__name__}: {exc}\n"
                             f"after these keys: {' '.join(pressed)}") from exc
    assert app.return_code in (None, 0), f"exit code {app.return_code} after these keys: {' '.join(pressed)}"
