"""Waiting in tests: for a condition, never for a fixed time.

A test that sleeps a fixed time and then looks fails whenever the machine is slower
than the sleep assumed (a shared 2-core machine with other work running); a test that
waits for what it expects returns as soon as it is there and fails only when it never
comes. PATIENCE is how long "never" is: far beyond any normal run, so a failure
means the thing did not happen, not that the machine was busy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

PATIENCE = 60.0  # seconds
POLL = 0.05  # seconds between looks


def wait_until(condition: Callable[[], object], what: str, timeout: float = PATIENCE) -> None:
    """Until `condition()` is true; else fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(POLL)


async def await_until(condition: Callable[[], object], what: str, timeout: float = PATIENCE) -> None:
    """`wait_until` inside a coroutine (an SSH client's session): the loop runs meanwhile."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(POLL)


async def settle_until(pilot, condition: Callable[[], object], what: str, timeout: float = PATIENCE) -> None:
    """Let the app run (its timers, workers and messages) until `condition()` is true;
    else fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await pilot.pause(POLL)


async def settled(pilot, timeout: float = PATIENCE) -> None:
    """Until the app's database jobs (tui/work.py) have all finished and their results
    are on screen: what a person waits for before reading the screen."""
    from tui.work import running

    deadline = time.monotonic() + timeout
    await pilot.pause()
    while running(pilot.app):
        if time.monotonic() > deadline:
            raise AssertionError(f"the app's database jobs did not finish within {timeout:.0f} s")
        await pilot.pause(POLL)
    await pilot.pause()


async def quiet(pilot, timeout: float = PATIENCE) -> None:
    """Until every worker of the app has done its work (tui/work.py `busy`: a flow waiting
    for a person is not at work), then its messages: `app.workers.wait_for_complete()`,
    which would wait for ever on a flow."""
    from tui.work import busy

    await settle_until(pilot, lambda: not busy(pilot.app), "the app's workers did not finish", timeout)
    await pilot.pause()
