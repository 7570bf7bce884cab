"""The app and its settings (core/settings.py): the theme it starts in and remembers, the
keymap the footer and `?` show, and the app-level database work kept off the UI thread."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import event
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

import tui
from core import settings
from core.db import Database
from core.models import Shop
from tests.waiting import settle_until, settled, wait_until
from tui import keymap
from tui.app import OrderDeskApp
from tui.screens.help import HelpScreen
from tui.screens.seller_board import SellerBoardScreen

SIZE = (100, 30)


@pytest.fixture
def config(tmp_path, monkeypatch):
    for name in ("THEME", "KEYMAP", "SMTP"):
        monkeypatch.delenv(f"ORDERDESK_{name}", raising=False)
    file = tmp_path / "orderdesk" / "config.toml"
    monkeypatch.setenv("ORDERDESK_CONFIG", str(file))
    file.parent.mkdir()
    return file


def first_offer(palette) -> str | None:
    results = palette.query_one(CommandList)
    return str(results.get_option_at_index(0).prompt) if results.option_count else None


def toasts(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def test_the_app_starts_in_the_settings_theme_and_remembers_one_picked_in_the_palette(demo_db, config):
    config.write_text('# my station\nstation = "packing-1"\ntheme = "nord"  # calm\n')

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            assert app.theme == "nord"
            app.action_change_theme()  # Ctrl+P, "Change theme"
            await settle_until(pilot, lambda: isinstance(app.screen, CommandPalette), "the theme palette")
            await pilot.press(*"gruvbox")
            await settle_until(pilot, lambda: first_offer(app.screen) == "gruvbox", "gruvbox offered")
            await pilot.press("enter")
            await settle_until(pilot, lambda: app.theme == "gruvbox", "the theme changed")
            await settle_until(pilot, lambda: 'theme = "gruvbox"' in config.read_text(), "the theme remembered")

    asyncio.run(drive())
    text = config.read_text()
    assert "# my station" in text and 'station = "packing-1"' in text and "nord" not in text


def test_a_theme_orderdesk_does_not_have_is_a_warning_not_a_crash(demo_db, config):
    config.write_text('theme = "no-such-theme"\n')

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            assert app.theme == "textual-dark"
            assert "There is no theme 'no-such-theme'" in toasts(app)

    asyncio.run(drive())


def test_a_remapped_key_works_and_the_footer_and_help_show_it(demo_db, config):
    config.write_text('[keymap]\n"board.requests" = "z"\n')

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await pilot.press("enter")  # the first shop's board
            board = app.screen
            assert isinstance(board, SellerBoardScreen)
            footer = {key.description: key.key for key in board.query(FooterKey)}
            assert footer["Requests"] == "z"
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            rows = {row.description: row.key_text for row in app.screen.rows}
            assert rows["Requests"] == "z"
            await pilot.press("escape")
            await pilot.press("r")  # the old key does nothing now
            assert app.screen is board
            await pilot.press("z")
            await settle_until(pilot, lambda: "Request" in type(app.screen).__name__, "the requests opened")
            assert "keymap" not in toasts(app)

    asyncio.run(drive())


def test_keymap_entries_that_cannot_work_are_named_in_a_warning(demo_db, config):
    config.write_text('[keymap]\n"board.nothing" = "x"\n"board.status" = "ctrl+bogus"\n"board.pack" = "k"\n')

    async def drive():
        app = OrderDeskApp(demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            await settle_until(pilot, lambda: "keymap" in toasts(app), "the keymap warning")
            shown = toasts(app)
            assert "'board.nothing' is no binding's id" in shown
            assert "'ctrl+bogus' is not a key" in shown
            assert "board.pack" not in shown  # a good entry is applied, not warned about
            await pilot.press("enter")
            assert isinstance(app.screen, SellerBoardScreen)

    asyncio.run(drive())


def test_a_bad_settings_file_ends_the_app_with_a_refusal_naming_the_file_and_key(demo_db, config):
    config.write_text("colour = 1\n")

    async def drive():
        app = OrderDeskApp(lambda: demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
        return app

    app = asyncio.run(drive())
    assert app.return_code == 2 and app.refusal.code == "bad_input"
    assert f"{config}: colour: no such setting" in app.refusal.message


def every_class_with_bindings():
    """Every app, screen and widget class in tui/ that declares BINDINGS (the app's own
    screens, and the apps beside it: serve ssh --demo's chooser and side-by-side view)."""
    seen = set(keymap.classes_with_bindings(OrderDeskApp))
    for info in pkgutil.walk_packages(tui.__path__, "tui."):
        if info.name.endswith("__main__"):
            continue  # runs the command line
        module = importlib.import_module(info.name)
        seen |= {value for value in vars(module).values() if isinstance(value, type)
                 and issubclass(value, DOMNode) and value.__module__ == module.__name__ and "BINDINGS" in vars(value)}
    return sorted(seen, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_binding_has_an_id_unique_on_its_screen():
    missing, repeated = [], []
    classes = every_class_with_bindings()
    assert len(classes) > 20
    for cls in classes:
        ids = [binding.id for binding in keymap.bindings_of(cls)]
        missing += [f"{cls.__name__}: {b.key} -> {b.action}" for b in keymap.bindings_of(cls) if not b.id]
        repeated += [f"{cls.__name__}: {i}" for i in {i for i in ids if i and ids.count(i) > 1}]
    assert not missing and not repeated
    assert {"quit", "help", "board.status", "help.close"} <= keymap.binding_ids(OrderDeskApp)


@pytest.mark.parametrize("key, valid", [("f", True), ("?", True), ("ctrl+s", True), ("question_mark", True),
                                        ("f5", True), ("ctrl+shift+up", True), ("pageup", True),
                                        ("ctrl+ctrl+a", False), ("bogus", False), ("ctrl+", False),
                                        ("", False), ("hyper+meta+escape", True), ("cmd+s", False)])
def test_which_key_names_a_key(key, valid):
    assert keymap.is_key(key) is valid


def test_opening_the_listing_and_watching_run_no_sql_on_the_ui_thread(demo_db, config, monkeypatch):
    """As the command line starts it: the database opens, the launcher lists, another station
    adds a shop and the launcher shows it; not one statement on the UI thread, and the change
    watcher looks from a thread of its own that ends with the app."""
    on_ui_thread, watcher_threads = [], set()

    def statement(conn, cursor, sql, *args):
        if threading.current_thread() is threading.main_thread():
            on_ui_thread.append(sql)

    import core.watch

    changed = core.watch.ChangeWatcher.changed

    def watched(self):
        watcher_threads.add(threading.current_thread())
        return changed(self)

    monkeypatch.setattr(core.watch.ChangeWatcher, "changed", watched)
    event.listen(demo_db.engine, "before_cursor_execute", statement)
    other_station = Database(demo_db.url)

    async def drive():
        app = OrderDeskApp(lambda: demo_db)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            options = app.screen.query_one(OptionList)
            listed = options.option_count
            assert listed > 1 and options.get_option_at_index(0).prompt.startswith("Seller · ")
            with other_station.write() as session:
                session.add(Shop(name="AAA New Shop", email="new@example.com"))
            await settle_until(pilot, lambda: options.option_count == listed + 1, "the new shop listed")
            assert options.get_option_at_index(0).prompt == "Seller · AAA New Shop"

    try:
        asyncio.run(drive())
    finally:
        event.remove(demo_db.engine, "before_cursor_execute", statement)
        other_station.dispose()
    assert on_ui_thread == []
    assert watcher_threads and threading.main_thread() not in watcher_threads
    wait_until(lambda: not any(thread.is_alive() for thread in watcher_threads), "the watcher's thread ended")


def test_the_readmes_settings_file_is_valid_and_its_keymap_works(config, monkeypatch):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    config.write_text(re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1))
    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    loaded = settings.load()
    assert loaded.origins["keymap"] == "file" and loaded.mail().port == 587
    assert keymap.problems(loaded.settings.keymap, keymap.binding_ids(OrderDeskApp)) == []


def test_a_failure_while_opening_ends_the_app_as_an_internal_error_not_an_outline_for_ever(tmp_path):
    def connect():
        raise RuntimeError("a bug")

    async def drive():
        app = OrderDeskApp(connect, role="seller", log_file=str(tmp_path / "app.log"))
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
        return app

    app = asyncio.run(drive())
    assert app.return_code == 70 and app.refusal.code == "internal"
    assert "RuntimeError: a bug" in (tmp_path / "app.log").read_text()
