"""The app on a private copy of the demo database, at the demo clock, at a fixed size."""

from __future__ import annotations

import inspect

import pytest

from core.db import Database
from core.demo import load_demo
from tests.databases import clone_url, fresh_url
from tests.mail import mail_server  # noqa: F401  (a scripted SMTP server, for the email tests)
from tests.waiting import settled

DEMO_NOW = "2026-11-20T12:00:00Z"


@pytest.fixture(scope="session")
def tui_demo_template(tmp_path_factory):
    url = fresh_url(tmp_path_factory.mktemp("tui"), "demo")
    db = Database(url)
    assert load_demo(db).ok
    db.dispose()
    return url


@pytest.fixture
def demo_db(tui_demo_template, tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERDESK_NOW", DEMO_NOW)
    db = Database(clone_url(tui_demo_template, tmp_path))
    yield db
    db.dispose()


@pytest.fixture
def snap_compare(snap_compare):
    """pytest-textual-snapshot's, except that around the keys of `press` it waits until the
    app's database jobs have finished and their results are on screen (tests/waiting.py's
    `settled`), as a person looks before pressing keys and again before reading: its own
    presses one pause after the start and takes the picture one pause after the last key,
    which on a busy machine can be before the screen has read its data (a key pressed while
    the board is still opening is greyed). The keys are pressed together, as typed ahead.
    Without `press`, `run_before` alone says when the picture is taken (a screen caught
    while it waits for an answer)."""
    def compare(app, press=(), run_before=None, **kwargs):
        if not press:
            return snap_compare(app, run_before=run_before, **kwargs)

        async def before(pilot):
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            await settled(pilot)
            await pilot.press(*press)
            await settled(pilot)
        return snap_compare(app, run_before=before, **kwargs)
    return compare
