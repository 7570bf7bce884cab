"""A screen acts only while it is the active one (tui/active.py): on top of the stack and
mounted. A late key resolved against a screen just pushed, not mounted yet, used to take it
down half built (Textual's Header then asked for a title that was gone: NoMatches, found
by the key storm)."""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.screen import Screen
from textual.widgets import Header

from tests.waiting import settle_until
from tui.active import is_active, leave


class Titled(Screen):
    def compose(self):
        yield Header()


def test_a_screen_just_pushed_is_not_active_and_cannot_be_left_until_it_is_mounted():
    async def drive():
        app = App()
        async with app.run_test() as pilot:
            screen = Titled()
            app.push_screen(screen)  # on top of the stack now, mounted later
            assert app.screen is screen and not screen.is_mounted
            assert not is_active(screen)
            assert not leave(screen)  # a late Escape: dropped, the screen stays
            await settle_until(pilot, lambda: screen.is_mounted, "the screen mounts")
            assert is_active(screen)
            assert leave(screen)
            await settle_until(pilot, lambda: app.screen is not screen, "the screen leaves")

    asyncio.run(drive())
