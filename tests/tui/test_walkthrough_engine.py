"""The walkthrough player: steps, captions, another station, stepping back, export."""

from __future__ import annotations

import asyncio

import pytest

from core.queries import orders as queries
from core.clock import parse_instant
from tests.waiting import settle_until
from tui import walkthrough as wt

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


async def shows(app, pilot, *texts) -> None:
    """Wait until the screen shows every text (screens settle at their own pace)."""
    await settle_until(pilot, lambda: all(t in wt.screen_text(app) for t in texts),
                       f"the screen shows {texts}")


@pytest.fixture
def sample(tmp_path, demo_db):
    with demo_db.read() as session:
        order = next(o for o in queries.list_orders(session, NOW, statuses=["awaiting_shipment"], limit=200)
                     if o["shop"] == "Lakehouse Home" and len(o["packages"]) == 1)
    path = tmp_path / "sample.toml"
    path.write_text(SAMPLE.replace("{package}", order["packages"][0]["id"]))
    return wt.load(path), order


def test_a_walkthrough_plays_step_by_step_with_captions(sample, tmp_path):
    walkthrough, order = sample
    db = wt.fresh_demo(tmp_path / "play.db")

    async def play():
        app = wt.WalkthroughApp(walkthrough, db)
        async with app.run_test(size=(100, 32)) as pilot:
            await shows(app, pilot, "Sample: the board")
            await pilot.press("space")
            await shows(app, pilot, "Step 1/2 · The seller picks their shop.", "Lakehouse Home")
            await pilot.press("right")
            await shows(app, pilot, "Step 2/2 · Another station packs an order.")
            with db.read() as session:
                assert queries.order_view(session, order["id"], NOW)["status"] == "awaiting_collection"
            await pilot.press("left")  # back one step: fresh demo data, step 1 replayed
            await shows(app, pilot, "Step 1/2")
            assert app.done == 1
            with db.read() as session:
                assert queries.order_view(session, order["id"], NOW)["status"] == "awaiting_shipment"

    asyncio.run(play())


def test_export_writes_a_screenshot_per_step(sample, tmp_path):
    walkthrough, _ = sample
    written = asyncio.run(wt.export(walkthrough, tmp_path / "out", wt.fresh_demo(tmp_path / "x.db")))
    svgs = sorted(p.name for p in written if p.suffix == ".svg")
    assert svgs == ["sample-01.svg", "sample-02.svg"]
    assert "Step 2/2" in (tmp_path / "out" / "sample-02.svg").read_text().replace("&#160;", " ")


@pytest.mark.parametrize("text, message", [
    ('title = "x"\n', "no 'step'"),
    ('view = "buyer"\n[[step]]\ncaption = "c"\n', "no 'title'"),
    ('title = "x"\nview = "admin"\n[[step]]\ncaption = "c"\n', "view must be"),
    ('title = "x\n', "not valid TOML"),
])
def test_a_broken_walkthrough_file_says_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(wt.WalkthroughError, match=message):
        wt.load(path)
