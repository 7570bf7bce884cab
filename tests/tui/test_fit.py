"""Every screen reads right at every size (issue 17): the key bar shows whole keys, the most
important first, and always `? Help`; help uses the width and cuts nothing, the screen's own
keys first; amounts are never cut, and the refund total is on screen while Submit works.
Each looks at what the terminal shows: the screen's rendered lines."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.widgets import Static

from core.money import format_money
from tests.tui.test_buyer_journey import buyer_app, held_late_answers
from tests.tui.test_seller_board import seller_app
from tests.tui.test_seller_snapshots import WIZARD
from tests.waiting import settle_until, settled
from tui import keymap
from tui.app import OrderDeskApp
from tui.screens import buyer_result
from tui.screens.buyer_reason import BuyerReasonScreen
from tui.screens.help import HelpScreen
from tui.screens.seller_cancel_review import CancelReviewScreen
from tui.widgets.fit_table import Col, FitDataTable, FitTable, fit_widths, money

SIZES = [(40, 12), (60, 20), (80, 24), (100, 30), (120, 36), (200, 60)]
SELLER_SCREENS = {"board": [], "requests": ["r"], "outbox": ["o"], "items": WIZARD["items"],
                  "review": WIZARD["review"]}
HELP = "? Help"


def screen_lines(app) -> list[str]:
    """The terminal's rows as the active screen draws them (what a snapshot shows)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def declared_labels(app) -> list[str]:
    """The key bar's candidates, as the screen's code declares them: the screen's shown
    bindings in order (its base class's first), then the focused widget's, then Quit and
    the palette (each that a key reaches: a focused table's Enter hides the screen's)."""
    screen, labels = app.screen, []
    reached = {active.binding.id for active in screen.active_bindings.values()}
    chain = screen.focused.ancestors_with_self if screen.focused else []  # the focused widget first
    for node in [screen, *(node for node in chain if node not in (screen, app))]:
        declared = [binding for cls in reversed(type(node).__mro__) for binding in vars(cls).get("BINDINGS", ())
                    if isinstance(binding, Binding)]  # a base class's first, as Textual merges them
        for binding in declared:
            if binding.show and binding.description and binding.id in reached:
                first = replace(binding, key=binding.key.split(",")[0].strip())
                label = f"{app.get_key_display(first)} {binding.description}"
                if label not in labels:
                    labels.append(label)
    return [*labels, "^q Quit", "^p palette"]


def assert_whole_keys_and_help(app, width: int) -> None:
    """The last row: the first keys in priority order, each whole, one space apart, as many
    as fit, then `? Help` ending in the last column."""
    bar = screen_lines(app)[-1]
    assert len(bar) == width and bar.endswith(HELP), bar
    shown = bar[:-len(HELP)].rstrip()
    labels = declared_labels(app)
    n = next((n for n in range(len(labels), -1, -1) if " ".join(labels[:n]) == shown), None)
    assert n is not None, f"{shown!r} is not the first keys of {labels}, whole"
    if n < len(labels):  # the next key would not have fitted
        assert len(" ".join(labels[:n + 1])) + 1 > width - len(HELP), (bar, labels[n])


async def go(pilot, keys: list[str]) -> None:
    await settled(pilot)
    for key in keys:
        await pilot.press(key)
    await settled(pilot)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_seller_screens_key_bar_shows_whole_keys_and_help_at_every_size(demo_db, size):
    async def drive():
        for keys in SELLER_SCREENS.values():
            app = seller_app(demo_db)
            async with app.run_test(size=size) as pilot:
                await go(pilot, keys)
                assert_whole_keys_and_help(app, size[0])

    asyncio.run(drive())


def test_the_key_bar_chooses_again_when_the_terminal_narrows_and_widens(demo_db):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=(120, 36)) as pilot:
            await go(pilot, [])
            bar = screen_lines(app)[-1]
            for label in ("/ Search", "r Requests", "o Outbox", HELP):  # unreachable by sight before
                assert label in bar
            for size in [(80, 24), (40, 12), (120, 36)]:
                await pilot.resize_terminal(*size)
                await settled(pilot)
                await pilot.pause()
                assert_whole_keys_and_help(app, size[0])

    asyncio.run(drive())


def plain(renderable, width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("size", [(40, 12), (80, 24), (200, 60)], ids=["40x12", "80x24", "200x60"])
def test_help_uses_the_width_cuts_nothing_and_lists_the_screens_own_keys_first(demo_db, size):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=size) as pilot:
            await go(pilot, ["question_mark"])
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            groups = [row.group for row in help_screen.rows]
            assert groups == sorted(groups, key=["This screen", "Everywhere", "Moving around"].index)
            assert help_screen.rows[0].description == "Actions"  # the board's first key
            assert {"Focus Next", "Copy selected text"} <= {r.description for r in help_screen.rows
                                                            if r.group == "Moving around"}
            keys = help_screen.query_one("#keys", Static)
            text = plain(keys.content, keys.content_region.width)
            words = " ".join(text.split())
            assert "…" not in text
            for row in help_screen.rows:  # every description and every word of its more, in order
                assert row.description in text and " ".join(row.tooltip.split()) in words
            box = help_screen.query_one("Vertical").region
            if size[0] >= 200:
                longest = max(len(row.tooltip) for row in help_screen.rows)
                assert box.width > longest + 30  # uses the width: nothing wraps
                assert all(row.tooltip in text for row in help_screen.rows)
            assert box.width <= size[0] and box.height <= size[1]

    asyncio.run(drive())


@pytest.mark.parametrize("size", SIZES[:5], ids=[f"{w}x{h}" for w, h in SIZES[:5]])
def test_the_review_shows_every_amount_whole_and_its_refund_total_while_submit_works(demo_db, size):
    async def drive():
        app = seller_app(demo_db)
        async with app.run_test(size=size) as pilot:
            await go(pilot, WIZARD["review"])
            review = app.screen
            assert isinstance(review, CancelReviewScreen)
            cur = review.draft.snap.order.currency
            refund = review.preview.refund
            shown = "\n".join(screen_lines(app))
            assert f"Refund total {format_money(refund.total, cur)}" in shown
            for part in refund.lines:
                row = next(line for line in shown.splitlines() if format_money(part.total, cur) in line)
                for amount in (part.subtotal, part.tax, part.total):
                    assert format_money(amount, cur) in row
            assert "$…" not in shown

    asyncio.run(drive())


@pytest.mark.parametrize("size", SIZES[:4], ids=[f"{w}x{h}" for w, h in SIZES[:4]])
def test_the_seller_tables_fit_the_width_and_show_their_kept_columns_whole(demo_db, size):
    """The requests and the outbox: no column runs past the edge; the order, the time left,
    the status and the time queued are whole, however narrow (the others gave way)."""
    async def drive():
        for key in ("r", "o"):
            app = seller_app(demo_db)
            async with app.run_test(size=size) as pilot:
                await go(pilot, [key])
                table = app.screen.query_one(FitDataTable)
                assert table.virtual_size.width <= table.size.width
                shown = "\n".join(screen_lines(app))
                kept = [i for i, col in enumerate(table.columns_wanted) if col.keep]
                widths = {str(column.label): column.width for column in table.columns.values()}
                for i in kept:
                    assert str(table.values[0][i]) in shown  # the first row, on screen
                    assert widths[table.columns_wanted[i].header] >= max(len(str(v[i])) for v in table.values)

    asyncio.run(drive())


# -- the buyer's side ----------------------------------------------------------------------------
BUYER_SCREENS = {"profile": [], "orders": ["o"], "order": ["o", "enter"], "reason": ["o", "enter", "c"]}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_buyer_screens_key_bar_shows_whole_keys_and_help_at_every_size(demo_db, size):
    async def drive():
        for keys in BUYER_SCREENS.values():
            app = buyer_app(demo_db, watch=False)
            async with app.run_test(size=size) as pilot:
                await go(pilot, keys)
                assert_whole_keys_and_help(app, size[0])

    asyncio.run(drive())


def test_the_buyers_order_list_shows_every_total_whole_at_40x12(demo_db):
    """The issue saw "$8" for $81.64: every total is whole, the other columns gave way."""
    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=(40, 12)) as pilot:
            await go(pilot, ["o"])
            table = app.screen.query_one(FitDataTable)
            assert table.virtual_size.width <= table.size.width
            totals = [str(row[2]) for row in table.values]
            assert "$81.64" in totals
            shown = "\n".join(screen_lines(app))
            for row in table.values[:3]:  # the first rows, on screen
                assert str(row[2]) in shown
            widths = {str(column.label): column.width for column in table.columns.values()}
            assert widths["Total"] >= max(map(len, totals))

    asyncio.run(drive())


def test_send_before_a_reason_is_picked_says_why(demo_db):
    async def drive():
        app = buyer_app(demo_db, watch=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await go(pilot, ["o", "enter", "c"])
            assert isinstance(app.screen, BuyerReasonScreen)
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, BuyerReasonScreen)  # nothing sent...
            assert any("Pick a reason first" in n.message for n in app._notifications)  # ...and why

    asyncio.run(drive())


def test_the_slow_network_screen_that_says_press_r_has_r_in_its_key_bar(demo_db, monkeypatch):
    monkeypatch.setattr(buyer_result, "GIVE_UP_AFTER", 0.2)

    async def drive():
        app = buyer_app(demo_db, watch=False, simulate="slow-network")
        held_late_answers(app)  # the late answer waits: the screen stays on "no answer yet"
        async with app.run_test(size=(80, 24)) as pilot:
            await go(pilot, ["o", "enter", "c", "enter"])
            await pilot.press("s")
            await settle_until(pilot, lambda: getattr(app.screen, "state", None) == "no_answer", "no answer yet")
            await pilot.pause()
            lines = screen_lines(app)
            assert "press r to Retry" in " ".join(" ".join(lines).split())
            assert "r Retry" in lines[-1]
            assert_whole_keys_and_help(app, 80)

    asyncio.run(drive())


# -- the column rule itself ---------------------------------------------------------------------
COLUMNS = [Col("SKU", give=1), Col("Item", give=0), money("Units"), money("Refund")]
ROWS = [["LH-MUG-350", "Stoneware Mug 350 ml, Sand", "12", "$1,234.56"],
        ["LH-JAR-SET", "Glass Pantry Jars, Set of 3", "1", "$8.00"]]


@pytest.mark.parametrize("width", range(1, 80))
def test_amounts_keep_their_width_and_the_other_columns_give_way_in_order(width):
    widths = fit_widths(COLUMNS, ROWS, width)
    assert widths[2:] == [5, 9]  # kept whole, whatever the width
    natural = [10, 27]
    room = width - (5 + 1) - (9 + 1)
    if room >= 10 + 1 + 27 + 1:
        assert widths[:2] == natural
    elif widths[1] == 0:  # the item left out first, then the SKU
        assert widths[0] in (0, *range(6, 11)) and (widths[0] == 0 or room < 6 + 1 + 6 + 1)
    else:
        assert widths[1] >= 6 and sum(w + 1 for w in widths[:2]) <= room


def test_a_text_cell_that_gives_way_ends_with_an_ellipsis_and_an_amount_never_does():
    text = plain(FitTable(COLUMNS, ROWS), 40)
    assert "$1,234.56" in text and "$8.00" in text and "…" in text


def test_every_binding_names_keys_a_terminal_sends():
    """A binding on a key name Textual never produces ("rbracket" for ]) shows in help and
    the key bar but does nothing: every key of every binding of the app is a real one."""
    wrong = [(cls.__name__, binding.id, key) for cls in keymap.classes_with_bindings(OrderDeskApp)
             for binding in keymap.bindings_of(cls) for key in binding.key.split(",")
             if not keymap.is_key(key)]
    assert wrong == []


def test_a_greyed_key_pressed_says_why_nothing_happened(demo_db):
    """Keys shown greyed (not available yet) answer a key press with why (tui/app.py's
    say_why_not): here a board whose shop does not exist."""
    async def drive():
        app = OrderDeskApp(demo_db, role="seller", identity="No Such Shop")
        async with app.run_test(size=(80, 24)) as pilot:
            await go(pilot, [])
            assert app.screen.check_action("order", ("cancel",)) is None  # greyed
            await pilot.press("c")
            await pilot.pause()
            assert any("There is no shop 'No Such Shop'" in n.message for n in app._notifications)

    asyncio.run(drive())


def test_a_whole_column_is_never_narrowed_only_left_out():
    columns = [Col("Items", give=1), money("Total"), Col("Status", give=0, whole=True)]
    rows = [["1× Chunky Knit Throw Blanket", "$81.64", "Cancelled · refunded $81.64"]]
    for width in range(1, 80):
        widths = fit_widths(columns, rows, width)
        assert widths[2] in (0, 27) and widths[1] == 6
