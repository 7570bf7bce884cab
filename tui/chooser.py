"""The SSH demo's chooser: what a visitor of `orderdesk serve ssh --demo` sees first.

`python -m tui.chooser [--now ISO8601]` runs as the session's process, on the connection's
sandbox (its database URL in the environment, set by tui/sandbox.py). One screen: play a
walkthrough, be a buyer, be the seller, or both side by side; the choice runs as its own
`orderdesk` process on the same sandbox (URL in its environment, never argv), and when it
ends the chooser comes back, so a visitor can try another; Escape or q leaves.

Decisions where the spec is silent: the buyer and the seller are the pair the walkthroughs
follow (Aisha Johnson and her shop, Lakehouse Home), locked as `serve ssh` locks a login, so
what one side does, the other sees; a walkthrough plays on its own fresh copy of the demo
data (as `orderdesk walkthrough` always does), made inside the sandbox ($TMPDIR).
"""

from __future__ import annotations

import subprocess
import sys

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tui.side_by_side import SideBySide
from tui.walkthroughs import builtins

DEMO_BUYER = ("aisha.johnson", "Aisha Johnson")
DEMO_SHOP = "Lakehouse Home"
SIDE_BY_SIDE = "side-by-side"


def choices() -> list[tuple[str, str]]:
    """(id, label) of everything a visitor may choose, in the chooser's order."""
    return [("buyer", f"Be a buyer: {DEMO_BUYER[1]}, cancelling an order"),
            ("seller", f"Be the seller: {DEMO_SHOP}'s To Ship board"),
            (SIDE_BY_SIDE, "Both side by side: the buyer and the seller on the same data"),
            *((f"walkthrough:{w.name}", f"Walkthrough: {w.title}") for w in builtins())]


def command(choice: str, app_args: list[str]) -> list[str]:
    """The `orderdesk` command line a choice runs (side by side: each of its two sides)."""
    orderdesk = [sys.executable, "-m", "tui.cli", *app_args]
    if choice == "buyer":
        return [*orderdesk, "--locked", "buyer", "--user", DEMO_BUYER[0]]
    if choice == "seller":
        return [*orderdesk, "--locked", "seller", "--shop", DEMO_SHOP]
    return [*orderdesk, "walkthrough", choice.removeprefix("walkthrough:")]


class Chooser(App[str | None]):
    """One screen: the choices; Enter runs one, Escape or q leaves."""

    TITLE = "orderdesk demo"
    CSS = """
    #intro { padding: 1 2; }
    OptionList { height: 1fr; margin: 0 2; }
    """
    BINDINGS = [Binding("escape,q", "leave", "Leave", id="chooser.leave")]

    def __init__(self, selected: str | None = None):
        super().__init__()
        self.selected = selected

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Welcome! This is your own copy of the demo shop: change anything you like; "
                     "nobody else sees it, and it is deleted when you leave.\nWhat would you like to do?",
                     id="intro")
        yield OptionList(*(Option(label, id=choice_id) for choice_id, label in choices()))
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.selected:
            try:
                options.highlighted = options.get_option_index(self.selected)
            except Exception:  # a walkthrough that is gone since: start at the top
                pass

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.exit(event.option.id)

    def action_leave(self) -> None:
        self.exit(None)


def main(app_args: list[str]) -> int:
    """Choose, run the choice, come back; until the visitor leaves."""
    choice = None
    while True:
        choice = Chooser(choice).run()
        if choice is None:
            return 0
        if choice == SIDE_BY_SIDE:
            SideBySide([("Buyer", DEMO_BUYER[1], command("buyer", app_args)),
                        ("Seller", DEMO_SHOP, command("seller", app_args))]).run()
        else:
            subprocess.run(command(choice, app_args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
