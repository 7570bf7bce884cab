"""Key storms: a few hundred realistic keys, at random but from a fixed seed, into the
seller board and the buyer app at sizes down to 20×5; the app must still be running,
with no exception, when the storm has passed.

Each case's seed is in its test id, so `pytest -k 'seller and 40x8 and 7'` replays it,
and a failure prints the keys pressed, burst by burst. The storm is pressed in bursts;
between them the app settles (its messages handled, its workers finished) rather than
a fixed time passing. Quit keys (ctrl+q, ctrl+c) are not in the alphabet; the command
palette's "Quit" can still be picked: a clean exit (code 0, no exception) ends the
storm early and is not a failure.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata

import pytest
from textual import events
from textual.app import _get_unicode_name_from_key

from tui.app import OrderDeskApp

# Keys a person presses on these screens, weighted towards moving around.
MOVES = ["up", "down", "left", "right", "pageup", "pagedown", "home", "end", "tab", "shift+tab",
         "j", "k"]
ACTIONS = ["enter", "escape", "space", "backspace", "question_mark", "ctrl+n", "ctrl+r", "ctrl+s",
           "slash", "plus", "minus"]
LETTERS = list("abcdfhilmoprstxy")  # the letters the screens bind (q only closes help: left out)
DIGITS = list("0123456789")
ALPHABET = MOVES * 3 + ACTIONS * 2 + ["enter", "escape"] * 2 + LETTERS + DIGITS + ["ctrl+p"]
REPEAT = 0.2  # how often a key is pressed 2 or 3 times running (a double press, a held key)

KEYS = 300
BURST = 12  # at most this many keys arrive before the app may settle
SIZES = [(20, 5), (40, 8), (80, 24), (120, 36)]
APPS = {
    "seller": {"role": "seller", "identity": "Lakehouse Home"},
    "buyer": {"role": "buyer", "identity": "aisha.johnson"},
}
SEEDS = {"seller": [1, 2], "buyer": [1, 2]}
CASES = [pytest.param(who, size, seed, id=f"{who}-{size[0]}x{size[1]}-seed{seed}")
         for who in APPS for size in SIZES for seed in SEEDS[who]]


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
    the app (`Pilot.press` waits for it after each key); the event for each key is the
    one Pilot would make."""
    for key in keys:
        try:
            character = unicodedata.lookup(_get_unicode_name_from_key(key))
        except KeyError:
            character = key if len(key) == 1 else None
        event = events.Key(key, character)
        event.set_sender(app)
        app.post_message(event)


async def settle(app: OrderDeskApp, pilot) -> None:
    """Until the app has handled what the keys started: its workers and its messages."""
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("who,size,seed", CASES)
def test_a_key_storm_leaves_the_app_running(demo_db, who, size, seed):
    bursts = storm(seed)
    pressed: list[str] = []

    async def drive() -> OrderDeskApp:
        app = OrderDeskApp(demo_db, **APPS[who])
        app.animation_level = "none"
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            for burst in bursts:
                press_at_once(app, burst)
                pressed.extend(burst)
                pressed.append("|")  # where the app settled
                await settle(app, pilot)
                if app._exit or app._exception is not None:
                    break
            await settle(app, pilot)
            assert app._exception is None
        return app

    try:
        app = asyncio.run(drive())
    except BaseException as exc:  # noqa: BLE001 - any crash fails with the keys that caused it
        raise AssertionError(f"{who} at {size[0]}x{size[1]}, seed {seed}: {type(exc).__name__}: {exc}\n"
                             f"after {len(pressed)} keys: {' '.join(pressed)}") from exc
    assert app.return_code in (None, 0), f"exit code {app.return_code} after: {' '.join(pressed)}"
