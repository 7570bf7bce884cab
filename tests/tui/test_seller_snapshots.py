"""Snapshots of the seller's screens from the demo data at the demo clock, at
120x36 and at 80x24: the board, each cancel wizard step, the requests, the outbox, an
order's Details.
Each was looked at as a picture before it was committed."""

from __future__ import annotations

import pytest

from tests.tui.test_seller_board import SPLIT_ORDER, seller_app
from tests.waiting import settled

SIZES = [pytest.param((120, 36), id="120x36"), pytest.param((80, 24), id="80x24")]
SCAN = [*SPLIT_ORDER, "enter"]  # the scanner opens the split order
WIZARD = {
    "reason": [*SCAN, "c"],
    "scope": [*SCAN, "c", "enter"],  # Out of Stock
    "items": [*SCAN, "c", "enter", "down", "down", "down", "enter"],
    "review": [*SCAN, "c", "enter", "down", "down", "down", "enter", "plus", "enter"],
}


@pytest.mark.parametrize("size", SIZES)
def test_board_snapshot(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, run_before=settled)


@pytest.mark.parametrize("step", list(WIZARD))
@pytest.mark.parametrize("size", SIZES)
def test_cancel_wizard_snapshot(demo_db, snap_compare, size, step):
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=WIZARD[step])


@pytest.mark.parametrize("size", SIZES)
def test_requests_snapshot(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=["r"])


@pytest.mark.parametrize("size", SIZES)
def test_outbox_snapshot(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=["o"])


CANCELLED_TWICE = "576356574267024879"  # a package cancelled by the shop, then the rest by the buyer


@pytest.mark.parametrize("size", SIZES)
def test_order_details_snapshot(demo_db, snap_compare, size):
    """The order's Details: packages and lines, amounts, both cancellations with their
    refunds, the timeline, what can be done now (each greyed with why)."""
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=[*CANCELLED_TWICE, "enter"],
                        run_before=settled)
