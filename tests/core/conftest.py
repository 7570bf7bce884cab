"""Shared fixtures for the core tests; the builders live in builders.py."""

from __future__ import annotations

import pytest

from tests.core.builders import World, build_world
from tests.mail import mail_server  # noqa: F401  (a scripted SMTP server, for the email tests)


@pytest.fixture
def make_world(tmp_path):
    """make_world(order(...), ..., shop_settings={...}) -> a loaded World on a fresh DB."""
    made = []

    def make(*orders, **kw) -> World:
        directory = tmp_path / f"w{len(made)}"
        directory.mkdir()
        world = build_world(directory, orders, **kw)
        made.append(world)
        return world

    yield make
    for world in made:
        world.db.dispose()
