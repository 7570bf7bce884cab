"""Say which database the suite runs on, clean up the PostgreSQL databases it made, and keep
the log out of the user's home."""

from __future__ import annotations

import pytest

from textual.pilot import Pilot

from core import models  # noqa: F401  (the tables, for tests.databases.dump)
from tests import databases
from tests.waiting import settled


@pytest.fixture(autouse=True, scope="session")
def _log_in_a_temporary_folder(tmp_path_factory):
    """The suite never writes the user's own log (core.logs): the app's background email
    sender and anything else that logs without being told where write here. Nor does it
    read or write the user's settings file (core/config_file.py): it has none of its own."""
    patch = pytest.MonkeyPatch()
    patch.setenv("ORDERDESK_LOG_FILE", str(tmp_path_factory.mktemp("log") / "orderdesk.log"))
    patch.setenv("ORDERDESK_CONFIG", str(tmp_path_factory.mktemp("config") / "config.toml"))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _pilot_waits_for_the_screen(monkeypatch):
    """A key pressed or a click made through Pilot returns once the database work it
    started (tui/work.py, off the UI thread) is on screen, as a person waits before
    reading it."""
    press, click = Pilot.press, Pilot.click

    async def pressed(self, *keys):
        await press(self, *keys)
        await settled(self)

    async def clicked(self, *args, **kwargs):
        done = await click(self, *args, **kwargs)
        await settled(self)
        return done

    monkeypatch.setattr(Pilot, "press", pressed)
    monkeypatch.setattr(Pilot, "click", clicked)


def pytest_report_header(config):
    if databases.PG_URL:
        return "orderdesk: every test database is a fresh PostgreSQL database ($ORDERDESK_TEST_DATABASE_URL)"
    return ("orderdesk: tests run on SQLite; the PostgreSQL half was NOT run "
            "(set ORDERDESK_TEST_DATABASE_URL to a PostgreSQL server to run it)")


def pytest_sessionfinish(session, exitstatus):
    if databases.PG_URL:
        databases.drop_created()
