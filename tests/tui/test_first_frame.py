"""The first frame comes before the database (issue 8): the start screen's outline,
its keys greyed, drawn without SQLAlchemy; then the database opens and the real
screen takes its place. The outline is held on screen here by not opening the
database (`open_database` replaced), to look at it and press keys on it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from textual.widgets import OptionList, Static

from tests.pty_terminal import ROOT
from tests.waiting import settled
from tui.app import OrderDeskApp
from tui.screens.buyer_profile import BuyerProfileScreen
from tui.screens.seller_board import SellerBoardScreen
from tui.widgets.card_list import CardList

SIZE = (100, 30)


def outline_app(db, **start) -> OrderDeskApp:
    """An app started as the command line starts it, held at its first frame."""
    app = OrderDeskApp(lambda: db, **start)
    app.open_database = lambda: None
    return app


def shown_keys(screen) -> dict[str, bool]:
    """The footer's keys: description -> usable (a greyed key is not)."""
    return {active.binding.description: bool(active.enabled)
            for active in screen.active_bindings.values() if active.binding.show}


def test_the_first_frame_imports_no_database_library():
    code = ("import sys, tui.cli, tui.app, tui.screens.seller_board, tui.screens.buyer_profile; "
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'pydantic') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_the_board_outline_greys_its_keys_then_the_database_opens_on_the_first_shop(demo_db):
    async def drive():
        app = outline_app(demo_db, role="seller")
        async with app.run_test(size=SIZE) as pilot:
            board = app.screen
            assert isinstance(board, SellerBoardScreen) and app.db is None
            assert "To Ship …" in str(board.query_one("#tabs", Static).render())
            assert board.query_one(CardList).empty_text == "Opening the To Ship board…"
            keys = shown_keys(board)
            assert keys["Cancel"] is False and keys["Status"] is False
            await pilot.press("c", "r", "question_mark")  # greyed: nothing opens
            assert app.screen is board

            del app.open_database  # now open it, as the app does after its first frame
            app.open_database()
            await settled(pilot)
            board = app.screen
            assert isinstance(board, SellerBoardScreen) and board.shop_name == "Lakehouse Home"
            assert board.query_one(CardList).cards  # its orders
            assert "To Ship 11" in str(board.query_one("#tabs", Static).render())  # 10 + a partially shipping order
            assert shown_keys(board)["Cancel"] is True
            await pilot.press("escape")  # below it, the launcher, now filled
            assert app.screen.query_one(OptionList).get_option_at_index(0).prompt == "Seller · Lakehouse Home"

    asyncio.run(drive())


def test_a_shop_that_does_not_exist_ends_the_app_with_a_refusal(demo_db):
    async def drive():
        app = OrderDeskApp(lambda: demo_db, role="seller", identity="Nope")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
        return app

    app = asyncio.run(drive())
    assert app.return_code == 2
    assert app.refusal.code == "unknown_shop"
    assert "Lakehouse Home" in app.refusal.message


def test_the_buyer_profile_outline_then_that_buyers_profile(demo_db):
    async def drive():
        app = outline_app(demo_db, role="buyer", identity="derek.w")
        async with app.run_test(size=SIZE) as pilot:
            profile = app.screen
            assert isinstance(profile, BuyerProfileScreen)
            assert "Opening your profile…" in str(profile.query_one("#profile-card", Static).render())
            assert shown_keys(profile)["Your orders"] is False
            del app.open_database
            app.open_database()
            await settled(pilot)
            assert "refused 2 deliveries" in str(app.screen.query_one("#profile-standing", Static).render())

    asyncio.run(drive())


def test_seller_outline_snapshot(demo_db, snap_compare):
    assert snap_compare(outline_app(demo_db, role="seller", identity="Lakehouse Home"), terminal_size=SIZE)


def test_buyer_outline_snapshot(demo_db, snap_compare):
    assert snap_compare(outline_app(demo_db, role="buyer", identity="derek.w"), terminal_size=SIZE)


def test_a_lazy_module_touched_by_two_threads_at_once_is_executed_once_and_whole(tmp_path, monkeypatch):
    """The app's database work runs in threads, each of which may be the first to touch a
    lazily imported module (tui/lazy.py); one that is still executing must not be seen half
    done by the other (Python 3.11's LazyLoader lets it: AttributeError)."""
    import threading

    from tests.waiting import wait_until
    from tui.lazy import lazy_import

    gate = type(sys)("lazy_gate")
    gate.executing, gate.go, gate.runs = threading.Event(), threading.Event(), 0
    monkeypatch.setitem(sys.modules, "lazy_gate", gate)
    (tmp_path / "slow_module.py").write_text(
        "import lazy_gate\nlazy_gate.runs += 1\nlazy_gate.executing.set()\nlazy_gate.go.wait(60)\nanswer = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_module", raising=False)
    module = lazy_import("slow_module")
    found = {}

    def touch(name):
        try:
            found[name] = module.answer
        except Exception as exc:  # noqa: BLE001  (what the other thread saw is the test's answer)
            found[name] = exc

    first = threading.Thread(target=touch, args=("first",))
    first.start()
    wait_until(gate.executing.is_set, "the first thread executing the module")
    second = threading.Thread(target=touch, args=("second",))
    second.start()
    wait_until(lambda: "second" in found or second.is_alive(), "the second thread touching it")
    gate.go.set()
    first.join(60)
    second.join(60)
    assert found == {"first": 42, "second": 42} and gate.runs == 1
