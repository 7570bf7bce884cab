"""A keyboard-wedge scanner on the real app (issue 15): `orderdesk seller` on a pseudo-
terminal, each label written in one burst with its Enter, as a wedge types it."""

from __future__ import annotations

import sys

from sqlmodel import select

from core.db import Database
from core.models import Package
from tests.databases import clone_url
from tests.e2e.conftest import DEMO_NOW
from tests.pty_terminal import PtyTerminal
from tests.waiting import wait_until

SPLIT_ORDER = "576557467139907374"
TO_PACK = "115820828613482427"  # SPLIT_ORDER's package still to pack: 2 mugs, 1 jar
USPS = "9400940572075546528806"  # SPLIT_ORDER's other package's tracking number
MUG, JAR = "084217000015", "084217000053"
BELL = b"\x07"


def test_scans_typed_into_the_real_app_open_orders_pack_and_ring_on_nothing(e2e_demo_template, tmp_path):
    url = clone_url(e2e_demo_template, tmp_path)
    argv = [sys.executable, "-m", "tui.cli", "--database-url", url, "--now", DEMO_NOW, "seller"]
    with PtyTerminal(argv, env={"ORDERDESK_SLIPS": str(tmp_path / "slips")}) as term:
        term.wait_for("Order 1 of")
        term.press(USPS + "\r")  # a tracking number: its order opens
        term.wait_for(f"Order {SPLIT_ORDER} · Awaiting Shipment")
        term.press("\x1b")
        term.wait_for("Order 1 of")
        rang = term.output.count(BELL)
        term.press("94001111111111111111111\r")  # nobody's: the bell, and what was read
        term.wait_for("Read '94001111111111111111111'")
        assert term.output.count(BELL) == rang + 1
        term.press(TO_PACK + "\r")  # a package still to pack: its pack check
        term.wait_for(f"Pack package {TO_PACK}")
        term.press(MUG + "\r")
        term.wait_for("1 of 3 units confirmed")
        term.press(MUG + "\r")
        term.wait_for("2 of 3 units confirmed")
        term.press(JAR + "\r")
        term.wait_for("All 3 units confirmed")
        term.press("p")
        term.wait_for("Order 1 of")  # back on the board (most urgent first: the order may be further down)
        wait_until(lambda: package_status(url) == "awaiting_collection", "the package packed")
        term.press("\x11")
        assert term.wait_exit() == 0
    assert package_status(url) == "awaiting_collection"


def package_status(url: str) -> str:
    db = Database(url)
    try:
        with db.read() as session:
            return session.exec(select(Package.status).where(Package.id == TO_PACK)).one()
    finally:
        db.dispose()
