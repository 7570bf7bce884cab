"""The walkthrough player: steps, captions, another station, stepping back and forth,
auto-play, and the app's own keys."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from core.clock import parse_instant
from core.queries import orders as queries
from tests.waiting import settle_until
from tui import app as tui_app
from tui.app import OrderDeskApp
from tui.walkthroughs import builtin, parse
from tui.walkthroughs import check as checker
from tui.walkthroughs.player import (
    PLAYER_ACTIONS,
    WalkthroughApp,
    fresh_demo,
    screen_text,
)

NOW = parse_instant("2026-11-20T12:00:00Z")

SAMPLE = '''
title = "Sample: the board, and another station packs an order"
view = "launcher"

[[step]]
caption = "The seller picks their shop."
keys = ["enter"]
expect = ["Lakehouse Home"]

[[step]]
caption = "Another station packs an order."
station = ["pack", "{package}"]
expect = "Lakehouse Home"
'''

# Three screens, each with its own title in the header: what each step's caption must match.
THREE = parse('''
title = "Three screens"
view = "buyer"
identity = "aisha.johnson"

[[step]]
caption = "One: the profile."
expect = "Aisha Johnson"

[[step]]
caption = "Two: the menu."
keys = ["m"]
expect = "Settings and Privacy"

[[step]]
caption = "Three: the orders."
keys = ["enter"]
expect = "Your orders"
''', Path("three.toml"))
TITLES = {1: "Profile", 2: "Settings and Privacy", 3: "Your orders"}


async def shows(app, pilot, *texts) -> None:
    """Wait until the screen shows every text (screens settle at their own pace)."""
    await settle_until(pilot, lambda: all(t in screen_text(app) for t in texts), f"the screen shows {texts}")


async def still(app, pilot) -> None:
    """Until the player is done moving between steps."""
    await settle_until(pilot, lambda: not app.walking and app.shown == app.target,
                       f"the player stops (at {app.shown}, heading for {app.target})")


def caption_and_screen_agree(app) -> int:
    """The step the caption names, after checking the screen is that step's."""
    text = screen_text(app)
    found = re.search(r"Step (\d)/3 · ", text)
    step = int(found.group(1)) if found else 0
    assert step == app.shown, text
    header = text.splitlines()[0].split()
    assert " ".join(header[1:]) == TITLES[step or 1], f"the caption says step {step}, the screen shows:\n{text}"
    return step


@pytest.fixture
def sample(tmp_path, demo_db):
    with demo_db.read() as session:
        order = next(o for o in queries.list_orders(session, NOW, statuses=["awaiting_shipment"], limit=200)
                     if o["shop"] == "Lakehouse Home" and len(o["packages"]) == 1)
    return parse(SAMPLE.replace("{package}", order["packages"][0]["id"]), tmp_path / "sample.toml"), order


def test_a_walkthrough_plays_step_by_step_with_captions(sample, tmp_path):
    walkthrough, order = sample
    db = fresh_demo(tmp_path / "play.db")

    async def play():
        app = WalkthroughApp(walkthrough, db)
        async with app.run_test(size=(100, 32)) as pilot:
            await shows(app, pilot, "Sample: the board")
            await pilot.press("space")
            await shows(app, pilot, "Step 1/2 · The seller picks their shop.", "Lakehouse Home")
            await pilot.press("n")
            await shows(app, pilot, "Step 2/2 · Another station packs an order.")
            with db.read() as session:
                assert queries.order_view(session, order["id"], NOW)["status"] == "awaiting_collection"
            await pilot.press("backspace")  # back one step: fresh demo data, step 1 replayed
            # (← is the board's: previous tab)
            await shows(app, pilot, "Step 1/2")
            await still(app, pilot)
            assert app.shown == 1
            with db.read() as session:
                assert queries.order_view(session, order["id"], NOW)["status"] == "awaiting_shipment"

    asyncio.run(play())


def test_back_and_forth_caption_and_screen_name_the_same_step(tmp_path):
    """← and → one at a time, then in bursts faster than the steps play: whatever step
    the player is on, the caption and the screen agree."""
    db = fresh_demo(tmp_path / "play.db")

    async def play():
        app = WalkthroughApp(THREE, db)
        async with app.run_test(size=(100, 32)) as pilot:
            # (Your orders, step 3, keeps ← and → for its tabs: Backspace steps back there)
            for key, step in [("n", 1), ("right", 2), ("space", 3), ("backspace", 2), ("left", 1),
                              ("backspace", 0), ("n", 1), ("n", 2)]:
                await pilot.press(key)
                await still(app, pilot)
                assert caption_and_screen_agree(app) == step, key
            for burst in (["left", "n", "n"], ["n", "left", "left", "n"], ["left"] * 3, ["n"] * 5):
                await pilot.press(*burst)
                await still(app, pilot)
                caption_and_screen_agree(app)

    asyncio.run(play())


def test_autoplay_plays_every_step_without_a_key(tmp_path):
    db = fresh_demo(tmp_path / "play.db")

    async def play():
        app = WalkthroughApp(THREE, db, delay=0.5, autoplay=True)
        async with app.run_test(size=(100, 32)) as pilot:
            await settle_until(pilot, lambda: app.shown == 3 and not app.walking, "auto-play reaches step 3")
            assert caption_and_screen_agree(app) == 3

    asyncio.run(play())


def test_the_player_never_takes_a_key_a_screen_uses(tmp_path):
    """`a` in the item picker is "All units", not the player's; the player's keys are no
    priority bindings, so any screen's own binding wins."""
    assert not [b for b in WalkthroughApp.BINDINGS if b.priority]
    assert {b.action for b in WalkthroughApp.BINDINGS} == set(PLAYER_ACTIONS)
    db = fresh_demo(tmp_path / "play.db")

    async def play():
        app = WalkthroughApp(builtin("5-seller-cancels-out-of-stock-item"), db)
        async with app.run_test(size=(100, 32)) as pilot:
            app.go_to(5)  # the item picker, the mug of the package Awaiting Shipment selected
            await still(app, pilot)
            await shows(app, pilot, "Step 5/8", "0 +  of 2")
            await pilot.press("a")
            await shows(app, pilot, "2 +  of 2")
            assert app.auto is None and app.shown == 5

    asyncio.run(play())


def test_a_step_that_quits_the_app_fails_there_rather_than_checking_a_dead_screen(tmp_path):
    """Ctrl+Q in a step ends the app: `check` says so at that step (the frozen last screen
    still showed "Settings and Privacy", and the walkthrough passed)."""
    quits = parse('''
title = "Quits"
view = "buyer"
identity = "aisha.johnson"

[[step]]
caption = "Leave."
keys = ["ctrl+q"]

[[step]]
caption = "The menu."
keys = ["m"]
expect = "Settings and Privacy"
''', tmp_path / "quits.toml")
    outcome = checker.run(quits)
    assert [(f.number, f.caption) for f in outcome.failures] == [(1, "Leave.")]
    assert "the app quit" in outcome.failures[0].message


@pytest.mark.parametrize("where, identity, step", [("view", "No Such Shop", 1), ("open", "Nope Shop", 2)])
def test_an_identity_the_demo_data_does_not_have_fails_its_step(tmp_path, where, identity, step):
    """The board of a shop that is not there only says so on screen; `check` names the step."""
    text = '''
title = "Someone else"
view = "seller"
identity = "{view}"

[[step]]
caption = "The board."

[[step]]
caption = "Another shop."
{open}
'''.format(view=identity if where == "view" else "Lakehouse Home",
           open=f'open = ["seller", "{identity}"]' if where == "open" else "")
    outcome = checker.run(parse(text, tmp_path / "who.toml"))
    assert [f.number for f in outcome.failures] == [step]
    assert f"there is no shop {identity!r} in the demo data" in outcome.failures[0].message
    assert "Lakehouse Home" in outcome.failures[0].message  # the ones there are


def test_the_caption_timer_ticking_as_the_app_closes_does_nothing(tmp_path):
    """The caption's 0.2 s timer may tick once the app's screens are gone (as run_test or a
    person's Ctrl+Q closes it): no screen, no caption to show, no ScreenStackError."""
    app = WalkthroughApp(THREE, fresh_demo(tmp_path / "play.db"))
    assert not app.screen_stack
    app.show_caption()


def test_an_expect_is_looked_for_on_the_apps_screen_not_in_a_caption(tmp_path):
    """The caption bar is on the screen too: a step whose expected text is only in the
    caption (here the step before's, still shown while the step is played) must fail."""
    teaser = parse('''
title = "A caption that promises"
view = "buyer"
identity = "aisha.johnson"

[[step]]
caption = "Next comes the Zebra Dance."
expect = "Aisha Johnson"

[[step]]
caption = "The Zebra Dance."
expect = "Zebra Dance"
''', tmp_path / "teaser.toml")
    outcome = checker.run(teaser)
    assert [f.number for f in outcome.failures] == [2]
    assert "expected the screen to show 'Zebra Dance'" in outcome.failures[0].message



def test_a_walkthrough_never_sends_its_demo_emails_whatever_the_smtp_setting(tmp_path, mail_server, monkeypatch):
    """A walkthrough auto-played for three steps (over a second: five send ticks) sends
    none of the demo's queued emails; the app, on the same settings and data, does (its
    outbox is there to be shown, not sent)."""
    monkeypatch.setenv("ORDERDESK_SMTP", mail_server.address)
    monkeypatch.setattr(tui_app, "EMAIL_EVERY", 0.2)

    async def run(app, until):
        async with app.run_test(size=(100, 32)) as pilot:
            await settle_until(pilot, until, "the app played on")

    played = WalkthroughApp(THREE, fresh_demo(tmp_path / "walk.db"), delay=0.5, autoplay=True)
    asyncio.run(run(played, lambda: played.shown == 3 and not played.walking))
    assert mail_server.accepted == []
    app = OrderDeskApp(fresh_demo(tmp_path / "app.db"))
    asyncio.run(run(app, lambda: bool(mail_server.accepted)))
