"""The app on a private copy of the demo database, at the demo clock, at a fixed size."""

from __future__ import annotations

import shutil

import pytest

from core.db import Database
from core.demo import load_demo

DEMO_NOW = "2026-11-20T12:00:00Z"


@pytest.fixture(scope="session")
def tui_demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("tui") / "demo.db"
    db = Database(f"sqlite:///{path}")
    assert load_demo(db).ok
    db.dispose()
    return path


@pytest.fixture
def demo_db(tui_demo_template, tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERDESK_NOW", DEMO_NOW)
    path = tmp_path / "demo.db"
    shutil.copy(tui_demo_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()
