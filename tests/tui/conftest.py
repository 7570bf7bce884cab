"""The app on a private copy of the demo database, at the demo clock, at a fixed size."""

from __future__ import annotations

import pytest

from core.db import Database
from core.demo import load_demo
from tests.databases import clone_url, fresh_url

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
