"""The buyer's journey as one flow (issue 14): no SQL on the UI thread while a whole
journey is played by keys, and a Send (or a refusal) shows it is busy from the moment
it is asked for, before any answer."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import event
from textual.widgets import OptionList

from tests.tui.test_buyer_journey import (
    BUYER, buyer_app, open_order, order_in, row_keys, screen_text, send_reason, until_answered,
)
from tests.tui.test_key_storm import press_at_once
from tests.waiting import settle_until, settled
from tui.flows import buyer as buyer_flow
from tui.screens.buyer_buy_again import BuyerBuyAgainScreen
from tui.screens.buyer_inbox import BuyerInboxScreen
from tui.screens.buyer_order import BuyerOrderScreen
from tui.screens.buyer_orders import BuyerOrdersScreen
from tui.screens.buyer_profile import BuyerProfileScreen
from tui.screens.buyer_reason import BuyerReasonScreen
from tui.screens.buyer_refuse import BuyerRefuseScreen
from tui.screens.buyer_result import BuyerResultScreen

SIZE = (100, 32)


class StatementsByThread:
    """Every SQL statement the engine runs, counted by the thread that ran it."""

    def __init__(self, engine):
        self.engine, self.main, self.elsewhere = engine, [], 0
        self.counting = False
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.counting:
            return
        if threading.current_thread() is threading.main_thread():
            self.main.append(statement)
        else:
            self.elsewhere += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.seen)


def test_a_whole_journey_runs_no_sql_on_the_ui_thread(demo_db):
    """Every buyer screen and path, by keys: Profile → ≡ → Settings → Your orders (every
    tab) → an order → Cancel → reason → Send → Your orders → Inbox → the order; Contact
    seller; Refuse delivery; Buy again and the new order. The app's change watcher is
    off: it is the app's, not a buyer screen's; counting starts once the Profile is up
    (the launcher under it is the app's too)."""
    on_hold, packed = order_in(demo_db, "on_hold"), order_in(demo_db, "awaiting_collection")
    in_transit, cancelled = order_in(demo_db, "in_transit"), order_in(demo_db, "cancelled")
    rows = row_keys(BUYER, demo_db)  # read here, before counting: the test's own reads
    counted = StatementsByThread(demo_db.engine)

    async def open_order(pilot, _db, order_id: str) -> None:
        """Profile → ≡ → Settings and Privacy → Orders → the order, by keys."""
        await pilot.press("m", "enter", *["j"] * rows.index(order_id), "enter")
        assert isinstance(pilot.app.screen, BuyerOrderScreen) and pilot.app.screen.order_id == order_id

    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            assert isinstance(app.screen, BuyerProfileScreen)
            counted.counting = True
            await open_order(pilot, demo_db, on_hold["id"])
            await pilot.press("escape")
            assert isinstance(app.screen, BuyerOrdersScreen)
            await pilot.press(*["right"] * 6)  # every tab
            await pilot.press("c")  # not a key here: nothing
            await pilot.press("escape", "escape")
            assert isinstance(app.screen, BuyerProfileScreen)
            await pilot.press("o")
            await pilot.press("escape")

            await open_order(pilot, demo_db, on_hold["id"])
            await pilot.press("c")
            await send_reason(pilot)
            await until_answered(pilot)
            assert "Order cancelled" in screen_text(app)
            await pilot.press("o")
            assert isinstance(app.screen, BuyerOrdersScreen) and app.screen.tab == "cancelled"
            await pilot.press("escape", "escape")  # Settings and Privacy, the Profile
            assert isinstance(app.screen, BuyerProfileScreen)
            await pilot.press("i")
            assert isinstance(app.screen, BuyerInboxScreen)
            await pilot.press("enter")
            assert isinstance(app.screen, BuyerOrderScreen) and "Cancelled" in screen_text(app)
            await pilot.press("escape", "escape")

            await open_order(pilot, demo_db, packed["id"])
            await pilot.press("s")
            await send_reason(pilot)
            await until_answered(pilot)
            assert "Cancellation requested" in screen_text(app)
            await pilot.press("escape", "escape", "escape", "escape")

            await open_order(pilot, demo_db, in_transit["id"])
            await pilot.press("r", "y")
            assert "Delivery refused" in screen_text(app)
            await pilot.press("escape", "escape", "escape", "escape")

            await open_order(pilot, demo_db, cancelled["id"])
            await pilot.press("b", "plus", "p")
            assert isinstance(app.screen, BuyerBuyAgainScreen) and "Place this order for $" in screen_text(app)
            await pilot.press("p")  # confirmed
            assert "placed" in screen_text(app)
            await pilot.press("o")
            assert isinstance(app.screen, BuyerOrderScreen) and app.screen.order_id != cancelled["id"]
            await pilot.press("escape")
            assert isinstance(app.screen, BuyerOrderScreen) and app.screen.order_id == cancelled["id"]

    try:
        asyncio.run(drive())
    finally:
        counted.close()
    assert counted.elsewhere > 0  # the journey did read and write
    assert counted.main == [], f"{len(counted.main)} statements on the UI thread, e.g. {counted.main[:3]}"


def held(monkeypatch, command_name: str) -> threading.Event:
    """The flow's `command_name` command waits, on its worker thread, until the test sets
    the event it gets back: the test looks at the screen while the command is running."""
    go = threading.Event()
    build = getattr(buyer_flow.BuyerJourney, command_name)

    def holding(self, *args):
        command = build(self, *args)
        if command_name == "place_again":  # a command builder: hold what it builds
            return lambda *more: hold(command(*more))
        return hold(command)

    def hold(command):
        def waiting(db, now):
            assert go.wait(60), "the test never let the command go"
            return command(db, now)

        return waiting

    monkeypatch.setattr(buyer_flow.BuyerJourney, command_name, holding)
    return go


def test_send_shows_it_is_busy_before_the_answer(demo_db, monkeypatch):
    order = order_in(demo_db, "on_hold")
    go = held(monkeypatch, "send")

    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("c")
            assert isinstance(app.screen, BuyerReasonScreen)
            await send_reason(pilot)  # the command has not answered: it waits on `go`
            result = app.screen
            assert isinstance(result, BuyerResultScreen)
            text = result.query_one("#result-text")
            assert text.loading  # Textual's loading indicator covers the text
            assert "Sending…" in screen_text(app)
            assert result.check_action("retry", ()) is False  # nothing to retry while it is on its way
            go.set()
            await until_answered(pilot)
            assert not text.loading
            assert "Order cancelled" in screen_text(app)

    asyncio.run(drive())


def test_refusing_a_delivery_shows_it_is_busy_and_takes_no_second_press(demo_db, monkeypatch):
    order = order_in(demo_db, "in_transit")
    go = held(monkeypatch, "refuse_package")

    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await open_order(pilot, demo_db, order["id"])
            await pilot.press("r")
            assert isinstance(app.screen, BuyerRefuseScreen)
            packages = app.screen.query_one(OptionList)
            press_at_once(app, ["y"])  # not Pilot's press: that waits for the refusal, held here
            await settle_until(pilot, lambda: packages.loading, "the package list shows it is busy")
            assert "Delivery refused" not in screen_text(app)
            assert app.screen.check_action("confirm", ()) is False  # a second y does nothing
            go.set()
            await settle_until(pilot, lambda: "Delivery refused" in screen_text(app), "the refusal is shown")
            assert not packages.loading

    asyncio.run(drive())


def test_a_screen_left_while_its_flow_waits_does_not_hold_the_app(demo_db):
    """A screen taken away without an answer (a walkthrough starting over) leaves its
    flow waiting: the app counts as settled, and the Profile starts a new journey."""

    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            profile = app.screen
            await pilot.press("o")
            assert isinstance(app.screen, BuyerOrdersScreen)
            await app.pop_screen()  # no answer
            await settled(pilot)
            assert app.screen is profile
            buyer_flow.start(profile, BUYER, "inbox")
            await settled(pilot)
            assert isinstance(app.screen, BuyerInboxScreen)

    asyncio.run(drive())


def test_keys_typed_ahead_of_the_flows_screens_reach_them(demo_db):
    """Keys queued at once, as an SSH connection or a fast typist delivers them: the key
    that starts the journey and those after it (held while the flow reads and pushes
    each next screen, `tui.work.hold`) each reach the screen they were meant for."""
    rows = row_keys(BUYER, demo_db)

    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            press_at_once(app, ["m", "enter", "j", "enter"])
            await settle_until(pilot, lambda: isinstance(app.screen, BuyerOrderScreen), "the order opens")
            await settled(pilot)
            assert app.screen.order_id == rows[1]
            assert [type(s).__name__ for s in app.screen_stack[-2:]] == ["BuyerProfileScreen", "BuyerOrderScreen"]

    asyncio.run(drive())


def test_keys_typed_ahead_through_a_journey_there_and_back_each_act_on_their_screen(demo_db):
    """A longer burst at once, forward and back: each key waits until the one before it
    has been handled whole (a list's Enter is a key, an action, a message, an answer), so
    none lands on a screen that has already answered or is not up yet. Three times over:
    how the keys interleave with the flow's reads varies from run to run."""
    rows = row_keys(BUYER, demo_db)

    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            for _ in range(3):
                # Profile → Settings → Your orders, down two, open; back, up one, open; back to the Profile.
                press_at_once(app, ["m", "enter", "j", "j", "enter", "escape", "k", "enter"])
                await settle_until(pilot, lambda: isinstance(app.screen, BuyerOrderScreen)
                                   and app.screen.order_id == rows[1], "the second order opens")
                await settled(pilot)
                press_at_once(app, ["escape", "escape", "escape"])
                await settle_until(pilot, lambda: isinstance(app.screen, BuyerProfileScreen), "back on the Profile")
                await settled(pilot)

    asyncio.run(drive())
