"""Packing from the board: Pack (through the pack check, tests/tui/test_seller_scan.py),
Hand over, Split (choose lines and quantities)."""

from __future__ import annotations

import asyncio

from textual.containers import Vertical
from textual.widgets import OptionList

from core import services
from core.clock import parse_instant
from core.queries import board
from tests.tui.conftest import DEMO_NOW
from tests.tui.test_seller_board import SHOP, SIZE, SPLIT_ORDER, core_page, seller_app
from tests.waiting import settle_until, settled
from tui.screens.seller_actions import ActionMenuScreen
from tui.screens.seller_board import SellerBoardScreen
from tui.screens.seller_pack import PackScreen
from tui.screens.seller_package_pick import PackagePickScreen
from tui.screens.seller_split import SplitScreen
from tui.widgets.card_list import CardList
from tui.widgets.quantity_picker import QuantityPicker

ONE_PACKAGE_ORDER = "576119369769030276"
MULTI_LINE_ORDER = "576538994597311135"  # awaiting_shipment, one package, three lines
NOW = parse_instant(DEMO_NOW)


def snap(db, order_id):
    with db.read() as session:
        return board.snapshot(session, order_id)


def cursor_to(app, order_id: str) -> None:
    cards = app.screen.query_one(CardList)
    cards.cursor = [c.id for c in cards.cards].index(order_id)


def test_pack_then_hand_over_from_the_action_menu(demo_db):
    package = snap(demo_db, ONE_PACKAGE_ORDER).packages[0]

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cursor_to(app, ONE_PACKAGE_ORDER)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ActionMenuScreen)
            menu = app.screen.query_one(OptionList)
            labels = [str(menu.get_option_at_index(i).prompt).split("\n")[0] for i in range(menu.option_count)]
            assert labels == ["Cancel order", "Pack", "Hand over to carrier", "Mark delivered",
                              "Receive returned package", "Split into packages", "Details"]
            assert menu.get_option("handover").disabled
            menu.highlighted = 1
            await pilot.press("enter")
            await settle_until(pilot, lambda: isinstance(app.screen, PackScreen), "the pack check")  # confirm every unit, then pack
            await pilot.press("a", "down", "a", "p")
            assert isinstance(app.screen, SellerBoardScreen)
            assert snap(demo_db, ONE_PACKAGE_ORDER).packages[0].status == "awaiting_collection"
            card = next(c for c in app.screen.query_one(CardList).cards if c.id == ONE_PACKAGE_ORDER)
            assert card.status == "awaiting_collection"
            cursor_to(app, ONE_PACKAGE_ORDER)
            await pilot.press("h")
            await pilot.pause()

    asyncio.run(drive())
    after = snap(demo_db, ONE_PACKAGE_ORDER)
    assert after.packages[0].id == package.id and after.packages[0].status == "in_transit"
    assert after.order.status == "in_transit"


def test_pack_asks_which_package_when_several_could_be_packed(demo_db):
    order = "576979931811025781"  # two packages
    before = snap(demo_db, order)
    packable = [p for p in before.packages if p.status == "awaiting_shipment"]

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cursor_to(app, order)
            await pilot.press("p")
            await pilot.pause()
            if len(packable) > 1:
                await pilot.press("enter")
                await pilot.pause()
            await settle_until(pilot, lambda: isinstance(app.screen, PackScreen), "the pack check")
            assert app.screen.check.package_id == packable[0].id
            await pilot.press(*["a", "down"] * len(app.screen.check.lines), "p")

    asyncio.run(drive())
    after = {p.id: p.status for p in snap(demo_db, order).packages}
    assert after[packable[0].id] == "awaiting_collection"


def test_split_moves_the_chosen_units_into_a_new_package(demo_db):
    before = snap(demo_db, MULTI_LINE_ORDER)
    source = before.packages[0]
    first, second = before.lines[0], before.lines[1]

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            cursor_to(app, MULTI_LINE_ORDER)
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, SplitScreen)
            picker = app.screen.query_one(QuantityPicker)
            assert [c.id for c in picker.choices] == [l.id for l in before.lines]
            await pilot.press("plus")  # one unit of the first line
            await pilot.press("down", "a")  # every unit of the second
            assert picker.chosen == {first.id: 1, second.id: second.quantity}
            await pilot.press("ctrl+s")

            def card_shows_two_packages() -> bool:  # the board reads the order again when back on top
                if not isinstance(app.screen, SellerBoardScreen):
                    return False
                card = next(c for c in app.screen.query_one(CardList).cards if c.id == MULTI_LINE_ORDER)
                return len(card.packages) == 2

            await settle_until(pilot, card_shows_two_packages, "the board shows the order's two packages")

    asyncio.run(drive())
    after = snap(demo_db, MULTI_LINE_ORDER)
    assert len(after.packages) == 2
    new = next(p for p in after.packages if p.id != source.id)
    moved = {l.sku: l.quantity for l in after.lines if l.package_id == new.id}
    assert moved == {first.sku: 1, second.sku: second.quantity}
    assert sum(l.quantity for l in after.lines) == sum(l.quantity for l in before.lines)


def test_the_split_order_shows_both_packages_on_its_card(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            card = next(c for c in app.screen.query_one(CardList).cards if c.id == SPLIT_ORDER)
            assert [p.status for p in card.packages] == ["awaiting_collection", "awaiting_shipment"]

    asyncio.run(drive())


def test_the_package_picker_shows_each_packages_contents_below_the_card_it_is_about(demo_db):
    """An order low on the board, split into two packages, both to pack."""
    order_id = next(o for o in core_page(demo_db)[2:] if snap(demo_db, o).split_sources[0].allowed)
    first = snap(demo_db, order_id)
    source = first.split_sources[0].id
    line = next(l for l in first.split_lines[source] if l.allowed)
    moved = 1 if line.quantity > 1 else line.quantity
    assert services.split_package(demo_db, source, {line.id: moved}, now=NOW, shop=SHOP).ok
    before = snap(demo_db, order_id)
    n_packages = len(before.packages)
    assert n_packages == 2 and all(c.allowed for c in before.logistics["pack"])

    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=(80, 24)) as pilot:
            await settled(pilot)
            board_screen = app.screen
            cards = board_screen.query_one(CardList)
            cursor_to(app, order_id)
            cards.top = max(0, cards.cursor - 2)  # the card low on the screen, where the picker goes
            assert cards.top < cards.cursor
            await pilot.press("p")
            await settle_until(pilot, lambda: isinstance(app.screen, PackagePickScreen), "the package picker")
            await pilot.pause()
            menu = app.screen.query_one(OptionList)
            prompts = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
            assert len(prompts) == n_packages
            for n, (package, prompt) in enumerate(zip(before.packages, prompts), 1):
                live = [l for l in before.lines if l.package_id == package.id and l.live]
                units = sum(l.live for l in live)
                assert prompt.startswith(f"Package {n} of {n_packages}: {package.id} · ")
                assert f" · {units} unit{'' if units == 1 else 's'}\n" in prompt
                for line in live:
                    assert f"{line.live} × {line.title} ({line.sku})" in prompt
            assert "1 units" not in "".join(prompts)
            # the card stays in sight above the picker
            assert cards.current.id == order_id
            rows = cards.current_rows
            assert rows is not None and len(rows) > 0
            picker = app.screen.query_one(Vertical).region
            assert cards.region.y + rows[-1] < picker.y
            await pilot.press("escape")
            await settle_until(pilot, lambda: app.screen is board_screen, "back on the board")

    asyncio.run(drive())
