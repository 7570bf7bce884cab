"""Snapshots (80x24, each looked at as a picture before it was committed) of issue 15's
station claims and confirmations: the card another station is packing ("being packed at
Station 2"), the takeover question, and approving a buyer's request with its refund."""

from __future__ import annotations

import pytest

from core import services
from core.clock import parse_instant
from tests.tui.conftest import DEMO_NOW
from tests.tui.test_seller_board import SHOP
from tests.tui.test_seller_packing import ONE_PACKAGE_ORDER, snap
from tui.app import OrderDeskApp

SIZE = (80, 24)


@pytest.fixture
def claimed_elsewhere(demo_db):
    """The package of the board's first order newest first (`u`), opened for packing at
    Station 2."""
    package = snap(demo_db, ONE_PACKAGE_ORDER).packages[0].id
    assert services.claim_package(demo_db, package, now=parse_instant(DEMO_NOW), station="Station 2").ok
    return demo_db


def station_one(db) -> OrderDeskApp:
    return OrderDeskApp(db, role="seller", identity=SHOP, station="Station 1")


def test_card_being_packed_at_another_station_snapshot(claimed_elsewhere, snap_compare):
    assert snap_compare(station_one(claimed_elsewhere), terminal_size=SIZE, press=["u"])


def test_take_over_question_snapshot(claimed_elsewhere, snap_compare):
    assert snap_compare(station_one(claimed_elsewhere), terminal_size=SIZE, press=["u", "p"])


def test_approve_confirmation_snapshot(demo_db, snap_compare):
    assert snap_compare(station_one(demo_db), terminal_size=SIZE, press=["r", "a"])
