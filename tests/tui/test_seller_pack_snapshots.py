"""Snapshots of scan-to-pack (issue 15) at 120x36 and 80x24, on the demo data at the demo
clock: the pack check with one unit scanned and a wrong item read, and the Out of Stock
cancellation of the unit not on the shelf, and the slip key's answer (the PDF saved; no
printer set). Each was looked at as a picture before it was
committed."""

from __future__ import annotations

import pytest

from tests.tui.test_seller_board import seller_app
from tests.tui.test_seller_scan import MUG, SPLIT_TO_PACK, TOWEL, scan_keys

SIZES = [pytest.param((120, 36), id="120x36"), pytest.param((80, 24), id="80x24")]
PACK = [*scan_keys(SPLIT_TO_PACK), *scan_keys(MUG), *scan_keys(TOWEL)]
SLIPS = "/tmp/orderdesk-snapshot-slips"  # fixed: the screen says where the slip was saved
SHORT = [*scan_keys(SPLIT_TO_PACK), *scan_keys(MUG), *scan_keys(MUG), "o"]


@pytest.mark.parametrize("size", SIZES)
def test_pack_check_snapshot(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=PACK)


@pytest.mark.parametrize("size", SIZES)
def test_short_item_cancel_snapshot(demo_db, snap_compare, size):
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=SHORT)


@pytest.mark.parametrize("size", SIZES)
def test_slip_saved_snapshot(demo_db, snap_compare, size, monkeypatch):
    monkeypatch.setenv("ORDERDESK_SLIPS", SLIPS)
    monkeypatch.delenv("ORDERDESK_PRINTER", raising=False)
    assert snap_compare(seller_app(demo_db), terminal_size=size, press=[*scan_keys(SPLIT_TO_PACK), "s"])
