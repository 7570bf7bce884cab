"""Snapshots at the sizes of issue 17's audit, 40x12, 60x20, 80x24 and 120x36: the board,
the cancel review, help, the buyer's order list and order screen (the demo data at the demo
clock). The board and the review at 80x24 and 120x36 are in test_seller_snapshots.py. Each
was looked at as a picture before it was committed."""

from __future__ import annotations

import pytest

from tests.tui.test_buyer_journey import buyer_app, order_in
from tests.tui.test_buyer_snapshots import at_order
from tests.tui.test_seller_board import seller_app
from tests.tui.test_seller_snapshots import WIZARD
from tests.waiting import settled

SMALL = [pytest.param((40, 12), id="40x12"), pytest.param((60, 20), id="60x20")]
ALL = [*SMALL, pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.mark.parametrize("size", SMALL)
def test_board_at_size(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", SMALL)
def test_cancel_review_at_size(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=WIZARD["review"])


@pytest.mark.parametrize("size", ALL)
def test_board_help_at_size(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=["question_mark"])


@pytest.mark.parametrize("size", ALL)
def test_buyer_order_list_at_size(demo_db, snap_compare, size):
    assert snap_compare(buyer_app(demo_db, watch=False), terminal_size=size, press=["o"])


@pytest.mark.parametrize("size", ALL)
def test_buyer_order_at_size(demo_db, snap_compare, size):
    order = order_in(demo_db, "on_hold")
    assert snap_compare(buyer_app(demo_db, watch=False), terminal_size=size, run_before=at_order(order["id"]))
