"""`orderdesk seller` and `orderdesk buyer` as a person starts them: a real process on a
terminal. The app opens the database after its first frame, so these check that a
start still ends on the right screen, and that a bad start still ends with the
contract's exit code and error."""

from __future__ import annotations

import json
import sys

from tests.databases import clone_url, fresh_url
from tests.e2e.conftest import DEMO_NOW
from tests.pty_terminal import PtyTerminal
from tests.waiting import PATIENCE


def orderdesk(url: str, *args: str) -> PtyTerminal:
    return PtyTerminal([sys.executable, "-m", "tui.cli", "--database-url", url, "--now", DEMO_NOW, *args])


def test_seller_opens_on_the_first_shops_board_with_its_orders(e2e_demo_template, tmp_path):
    with orderdesk(clone_url(e2e_demo_template, tmp_path), "seller") as term:
        term.wait_for("To Ship 11")  # counted (the outline shows "To Ship …")
        term.wait_for("Order 1 of 11 · most urgent first")
        assert "To Ship board — Lakehouse Home" in term.text
        term.press("ctrl+q")
        assert term.wait_exit() == 0


def test_buyer_opens_on_that_buyers_profile(e2e_demo_template, tmp_path):
    with orderdesk(clone_url(e2e_demo_template, tmp_path), "buyer", "--user", "derek.w") as term:
        term.wait_for("refused 2 deliveries")
        assert "@derek.w" in term.text
        term.press("ctrl+q")
        assert term.wait_exit() == 0


def test_a_terminal_that_hangs_up_ends_the_app(e2e_demo_template, tmp_path):
    """No SIGHUP here (the terminal is not the app's controlling one): the app notices
    the hang-up itself instead of spinning on a dead terminal."""
    with orderdesk(clone_url(e2e_demo_template, tmp_path), "seller") as term:
        term.wait_for("most urgent first")
        term.hang_up()
        assert term.process.wait(PATIENCE) == 129


def test_an_unknown_shop_ends_with_exit_2_and_the_contracts_error(e2e_demo_template, tmp_path):
    with orderdesk(clone_url(e2e_demo_template, tmp_path), "seller", "--shop", "Nope", "--json") as term:
        assert term.wait_exit() == 2
        error = json.loads(term.after_app)["error"]
        assert error["code"] == "unknown_shop"
        assert "Lakehouse Home" in error["message"]  # it names the shops there are


def test_an_empty_database_says_how_to_fill_it(tmp_path):
    with orderdesk(fresh_url(tmp_path, "empty"), "buyer") as term:
        assert term.wait_exit() == 1
        assert "orderdesk seed demo" in term.after_app


def test_a_bad_now_is_refused_before_the_app_opens(e2e_demo_template, tmp_path):
    with PtyTerminal([sys.executable, "-m", "tui.cli", "--database-url", clone_url(e2e_demo_template, tmp_path),
                      "--now", "yesterday", "seller"]) as term:
        assert term.wait_exit() == 2
        assert "--now" in term.text and "ISO 8601" in term.text
        assert "\x1b[?1049h" not in term.output.decode()  # the app never opened
