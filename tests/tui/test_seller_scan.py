"""Scan anything on a label, and scan-to-pack (issue 15), on the demo data at the demo
clock. A scan is typed as a keyboard-wedge scanner types it: its characters, then Enter."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import event
from textual.widgets import Input, Static

from core import slips
from core.queries import board
from tests.core.test_slips import fake_lp
from tests.tui.test_seller_board import SIZE, SPLIT_ORDER, seller_app
from tests.waiting import settled
from tui.app import OrderDeskApp
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_cancel_review import CancelReviewScreen
from tui.screens.seller_order import SellerOrderScreen
from tui.screens.seller_pack import PackScreen

SPLIT_TO_PACK = "115820828613482427"  # of SPLIT_ORDER: 2 x LH-MUG-350, 1 x LH-JAR-SET (out of stock)
SPLIT_PACKED = "115585420654459004"  # of SPLIT_ORDER: awaiting collection
USPS = "9400940572075546528806"  # SPLIT_PACKED's tracking number
MUG, JAR, TOWEL = "084217000015", "084217000053", "084217000022"  # demo products' barcodes
METRO = "Metro Kit Co."
UPS_ORDER, UPS = "576088046497356603", "1ZLUFKSH7610249346"


def scan_keys(label: str) -> list[str]:
    """The keys a wedge types for `label`."""
    return [*label, "enter"]


class Bells:
    """Counts the app's bells."""

    def __init__(self, app: OrderDeskApp):
        self.rung = 0
        app.bell = self.ring

    def ring(self) -> None:
        self.rung += 1


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def snap(db, order_id):
    with db.read() as session:
        return board.snapshot(session, order_id)


def lines_of(db, package_id):
    return {l.sku: (l.quantity, l.cancelled_quantity) for l in snap(db, SPLIT_ORDER).lines
            if l.package_id == package_id}


def run(app, drive, size=SIZE):
    async def main():
        async with app.run_test(size=size) as pilot:
            await settled(pilot)
            await drive(pilot)
    asyncio.run(main())


# -- scan anything on a label ---------------------------------------------------------
def test_the_full_order_id_or_its_last_digits_opens_the_order(demo_db):
    async def drive(pilot):
        for label in (SPLIT_ORDER, SPLIT_ORDER[-4:], SPLIT_ORDER[-9:]):
            await pilot.press(*scan_keys(label))
            await settled(pilot)
            assert isinstance(pilot.app.screen, SellerOrderScreen), label
            assert pilot.app.screen.order_id == SPLIT_ORDER
            await pilot.press("escape")
            await settled(pilot)
            assert isinstance(pilot.app.screen, SellerBoardScreen)

    run(seller_app(demo_db), drive)


def test_a_package_id_opens_its_pack_check_or_its_order_once_packed(demo_db):
    async def drive(pilot):
        await pilot.press(*scan_keys(SPLIT_TO_PACK))
        await settled(pilot)
        assert isinstance(pilot.app.screen, PackScreen)
        assert pilot.app.screen.check.package_id == SPLIT_TO_PACK
        await pilot.press("escape")
        await settled(pilot)
        await pilot.press(*scan_keys(SPLIT_PACKED))
        await settled(pilot)
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        assert pilot.app.screen.order_id == SPLIT_ORDER

    run(seller_app(demo_db), drive)


def test_a_numeric_tracking_number_opens_its_order_from_the_cards_or_the_search_box(demo_db):
    async def drive(pilot):
        await pilot.press(*scan_keys(USPS))
        await settled(pilot)
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        assert pilot.app.screen.order_id == SPLIT_ORDER
        await pilot.press("escape")
        await settled(pilot)
        await pilot.press("slash", *scan_keys(USPS))  # all 22 digits, none cut
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        assert pilot.app.screen.order_id == SPLIT_ORDER

    run(seller_app(demo_db), drive)


def test_an_alphanumeric_tracking_number_opens_its_order_letters_and_all(demo_db):
    async def drive(pilot):
        await pilot.press(*scan_keys(UPS))
        await settled(pilot)
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        assert pilot.app.screen.order_id == UPS_ORDER
        await pilot.press("escape")
        await settled(pilot)
        await pilot.press("slash", *scan_keys(UPS))
        await settled(pilot)
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        assert pilot.app.screen.order_id == UPS_ORDER

    run(OrderDeskApp(demo_db, role="seller", identity=METRO), drive)


def test_an_unknown_scan_rings_the_bell_and_says_what_was_read(demo_db):
    app = seller_app(demo_db)
    bells = Bells(app)

    async def drive(pilot):
        for label, read in (("9400000000000000000001", "9400000000000000000001"),
                            ("1ZZZZZZZ0000000000", "1ZZZZZZZ0000000000"),
                            (UPS, UPS),  # another shop's package
                            (MUG, "LH-MUG-350")):  # a product, with no pack check open
            rung = bells.rung
            await pilot.press(*scan_keys(label))
            await settled(pilot)
            assert isinstance(app.screen, SellerBoardScreen)
            assert bells.rung == rung + 1, label
            assert read in notes(app)[-1] and label in notes(app)[-1]
        for keys in (scan_keys("4" * 200), ["slash", *scan_keys("4" * 200)]):  # longer than any label
            rung = bells.rung
            await pilot.press(*keys)
            await settled(pilot)
            assert bells.rung == rung + 1 and isinstance(app.screen, SellerBoardScreen)
            assert "no order, package, tracking number or product" in notes(app)[-1]
            assert len(notes(app)[-1]) < 300 and app.screen.wedge.text == ""

    run(app, drive)


def test_after_a_scan_the_search_box_is_empty_for_the_next_one(demo_db):
    async def drive(pilot):
        search = pilot.app.screen.query_one("#search", Input)
        await pilot.press("slash", *scan_keys(SPLIT_ORDER))
        await settled(pilot)
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        await pilot.press("escape")
        await settled(pilot)
        assert search.value == ""
        await pilot.press(*scan_keys(USPS))  # the next scan is not appended to the last
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        await pilot.press("escape")
        await settled(pilot)
        # a scan after something typed in the box: still opens, and the box is emptied
        await pilot.press("slash", *"der", *scan_keys(SPLIT_ORDER))
        await settled(pilot)
        assert isinstance(pilot.app.screen, SellerOrderScreen)
        await pilot.press("escape")
        await settled(pilot)
        assert search.value == ""

    run(seller_app(demo_db), drive)


# -- scan-to-pack ---------------------------------------------------------------------------
def confirmed_text(app) -> str:
    return str(app.screen.query_one("#progress", Static).render())


def test_product_barcodes_confirm_units_and_a_wrong_or_extra_scan_rings(demo_db):
    app = seller_app(demo_db)
    bells = Bells(app)

    async def drive(pilot):
        await pilot.press(*scan_keys(SPLIT_TO_PACK))
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, PackScreen)
        assert "0 of 3 units confirmed" in confirmed_text(app)
        await pilot.press(*scan_keys(MUG))
        await settled(pilot)
        assert "1 of 3" in confirmed_text(app) and bells.rung == 0
        await pilot.press(*scan_keys(TOWEL))  # a product of the shop, not in this package
        assert bells.rung == 1 and "Wrong item" in str(screen.query_one("#scan", Static).render())
        await pilot.press(*scan_keys(MUG))
        await settled(pilot)
        await pilot.press(*scan_keys(MUG))  # a third mug: the package has two
        assert bells.rung == 2 and "Extra" in str(screen.query_one("#scan", Static).render())
        await pilot.press("p")  # the jar is not confirmed yet
        assert bells.rung == 3 and isinstance(app.screen, PackScreen)
        await pilot.press("down", "space")  # the jar, confirmed by key
        assert "All 3 units confirmed" in confirmed_text(app)
        await pilot.press("p")
        await settled(pilot)
        assert isinstance(app.screen, SellerBoardScreen)  # where the scan came from
        assert any(f"Package {SPLIT_TO_PACK}" in note for note in notes(app))

    run(app, drive)
    assert {p.id: p.status for p in snap(demo_db, SPLIT_ORDER).packages}[SPLIT_TO_PACK] == "awaiting_collection"


def test_scan_confirm_two_short_one_submit_pack_in_at_most_five_keys(demo_db):
    """Issue 15's target: scan the order, confirm two items, short one unit, submit, pack."""
    before = snap(demo_db, SPLIT_ORDER)
    keys: list[str] = []

    async def drive(pilot):
        async def press(*pressed):
            keys.extend(pressed)
            await pilot.press(*pressed)
            await settled(pilot)

        await pilot.press(*scan_keys(SPLIT_ORDER))

        await settled(pilot)
        await press("p")
        assert isinstance(pilot.app.screen, PackScreen)
        await pilot.press(*scan_keys(MUG))
        await settled(pilot)
        await pilot.press(*scan_keys(MUG))
        await settled(pilot)
        await press("o")  # the jar is not on the shelf
        review = pilot.app.screen
        assert isinstance(review, CancelReviewScreen)
        assert review.draft.reason == "out_of_stock" and review.draft.scope == "items"
        jar = next(l.id for l in before.lines if l.sku == "LH-JAR-SET" and l.package_id == SPLIT_TO_PACK)
        assert dict(review.draft.items) == {jar: 1}
        refund = review.preview.refund.total
        assert refund > 0
        await press("enter")
        assert isinstance(pilot.app.screen, PackScreen)
        assert "All 2 units confirmed" in confirmed_text(pilot.app)
        await press("p")
        assert not isinstance(pilot.app.screen, PackScreen)
        assert len(keys) <= 5, keys

    run(seller_app(demo_db), drive)
    after = snap(demo_db, SPLIT_ORDER)
    assert {p.id: p.status for p in after.packages}[SPLIT_TO_PACK] == "awaiting_collection"
    assert lines_of(demo_db, SPLIT_TO_PACK) == {"LH-MUG-350": (2, 0), "LH-JAR-SET": (1, 1)}


def test_the_slip_key_saves_the_packing_slip_where_the_screen_says(demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERDESK_SLIPS", str(tmp_path / "slips"))
    monkeypatch.delenv("ORDERDESK_PRINTER", raising=False)

    async def drive(pilot):
        await pilot.press(*scan_keys(SPLIT_TO_PACK))
        await settled(pilot)
        await pilot.press("s")
        await settled(pilot)
        said = str(pilot.app.screen.query_one("#slip", Static).render())
        path = tmp_path / "slips" / f"slip-{SPLIT_TO_PACK}.pdf"
        assert str(path) in said.replace("\n", "")
        assert path.read_bytes().startswith(b"%PDF")

    run(seller_app(demo_db), drive)


def test_the_slip_key_prints_on_the_configured_printer(demo_db, tmp_path, monkeypatch):
    spool = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{spool}:/usr/bin:/bin")
    monkeypatch.setenv("ORDERDESK_PRINTER", "Station-2")
    monkeypatch.setenv("ORDERDESK_SLIPS", str(tmp_path / "slips"))

    async def drive(pilot):
        await pilot.press(*scan_keys(SPLIT_TO_PACK), "s")
        await settled(pilot)
        said = str(pilot.app.screen.query_one("#slip", Static).render()).replace("\n", "")
        assert "sent to printer Station-2 (request id is Station-2-7" in said

    run(seller_app(demo_db), drive)
    assert (spool / "argv").read_text().splitlines()[:2] == ["-d", "Station-2"]
    assert (spool / "stdin").read_bytes() == (tmp_path / "slips" / f"slip-{SPLIT_TO_PACK}.pdf").read_bytes()


def test_a_slip_that_cannot_be_saved_says_where_and_what_to_do(demo_db, tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ORDERDESK_SLIPS", str(blocked / "slips"))
    app = seller_app(demo_db)
    bells = Bells(app)

    async def drive(pilot):
        await pilot.press(*scan_keys(SPLIT_TO_PACK), "s")
        await settled(pilot)
        said = str(app.screen.query_one("#slip", Static).render()).replace("\n", "")
        assert "could not be saved" in said and "ORDERDESK_SLIPS" in said
        assert bells.rung == 1 and isinstance(app.screen, PackScreen)

    run(app, drive)


def test_scans_packing_and_the_slip_run_off_the_ui_thread(demo_db, tmp_path, monkeypatch):
    """No SQL and no PDF rendering on the UI thread, from the scan of the order to Pack."""
    monkeypatch.setenv("ORDERDESK_SLIPS", str(tmp_path / "slips"))
    on_ui: list[str] = []
    rendered: list[threading.Thread] = []

    def record(conn, cursor, statement, *args):
        if threading.current_thread() is threading.main_thread():
            on_ui.append(statement)

    render = slips.render
    monkeypatch.setattr(slips, "render", lambda slip: rendered.append(threading.current_thread()) or render(slip))

    async def drive(pilot):
        event.listen(demo_db.engine, "before_cursor_execute", record)
        await pilot.press(*scan_keys(SPLIT_TO_PACK), *scan_keys(MUG), *scan_keys(MUG), "s", "o", "enter", "p")
        await settled(pilot)
        assert isinstance(pilot.app.screen, SellerBoardScreen)

    try:
        run(seller_app(demo_db), drive)
    finally:
        event.remove(demo_db.engine, "before_cursor_execute", record)
    assert on_ui == []
    assert rendered and threading.main_thread() not in rendered
    assert {p.id: p.status for p in snap(demo_db, SPLIT_ORDER).packages}[SPLIT_TO_PACK] == "awaiting_collection"


def test_another_label_in_a_pack_check_says_what_it_is(demo_db):
    app = seller_app(demo_db)
    bells = Bells(app)

    async def drive(pilot):
        await pilot.press(*scan_keys(SPLIT_TO_PACK), *scan_keys(USPS))
        await settled(pilot)
        said = str(app.screen.query_one("#scan", Static).render()).replace("\n", "")
        assert f"package {SPLIT_PACKED} of order {SPLIT_ORDER}" in said and bells.rung == 1
        await pilot.press(*scan_keys(SPLIT_TO_PACK))  # its own label: nothing wrong
        assert bells.rung == 1 and isinstance(app.screen, PackScreen)

    run(app, drive)


def test_the_last_unit_left_is_said_in_the_singular(demo_db):
    """One mug confirmed, the rest short and cancelled: one unit is left to pack."""
    async def drive(pilot):
        await pilot.press(*scan_keys(SPLIT_TO_PACK), *scan_keys(MUG))
        await settled(pilot)
        await pilot.press("o")
        await settled(pilot)
        assert isinstance(pilot.app.screen, CancelReviewScreen)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(pilot.app.screen, PackScreen)
        assert "The unit is confirmed. p packs it." in confirmed_text(pilot.app)

    run(seller_app(demo_db), drive)
