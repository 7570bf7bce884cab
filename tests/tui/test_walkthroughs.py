"""Every walkthrough in data/walkthroughs/ is a test: each step's keys are played,
the text it promises must be on screen, and each step's screen matches its snapshot."""

from __future__ import annotations

import asyncio

import pytest
from pytest_textual_snapshot import SVGImageExtension

from tests.databases import fresh_url
from tui import walkthrough as wt

SIZE = (100, 32)
WALKTHROUGHS = [w.name for w in wt.all_walkthroughs()]


async def play_all(walkthrough: wt.Walkthrough, db) -> list[str]:
    """Play every step; after each, once it shows what it promises, take the screen's picture."""
    pictures = []
    app = wt.WalkthroughApp(walkthrough, db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for n, step in enumerate(walkthrough.steps, 1):
            await app.play(step)
            text = await wt.settled(app, pilot, step)
            missing = [e for e in step.expect if e not in text]
            assert not missing, f"step {n} ({step.caption}) does not show {missing}:\n{text}"
            pictures.append(app.export_screenshot(title=f"{walkthrough.title}: step {n}"))
    return pictures


def test_there_are_the_seven_walkthroughs_of_the_issue():
    assert len(WALKTHROUGHS) >= 7


@pytest.mark.parametrize("name", WALKTHROUGHS)
def test_walkthrough(name, tmp_path, snapshot):
    walkthrough = wt.find(name)
    db = wt.fresh_demo(fresh_url(tmp_path, "walkthrough"))
    try:
        pictures = asyncio.run(play_all(walkthrough, db))
    finally:
        db.dispose()
    pictured = snapshot.use_extension(SVGImageExtension)
    for n, svg in enumerate(pictures, 1):
        assert svg == pictured(name=f"step-{n:02d}"), f"step {n} of {name} looks different"
