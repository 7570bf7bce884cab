"""Seed 000, step 1: the buyer's Profile, with the bottom navigation bar (Profile
selected) and the menu (three lines) at the top right that opens Settings and Privacy.

The app's start screen: its keys start the buyer's journey (tui/flows/buyer.py), which
brings the buyer back here when it ends."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Header, Static
from textual.worker import Worker

from tui import work
from tui.flows import buyer as buyer_flow
from tui.lazy import lazy_import
from tui.screens.buyer_common import BuyerScreen, NavBar
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.buyer import BuyerProfile

queries = lazy_import("core.queries.buyer")

TAB_TITLES = {"to_pay": "To pay", "to_ship": "To ship", "shipped": "Shipped",
              "delivered": "Delivered", "cancelled": "Cancelled"}


class BuyerProfileScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerProfileScreen #profile-top { height: 1; padding: 0 1; background: $boost; }
    BuyerProfileScreen #profile-handle { width: 1fr; text-style: bold; }
    BuyerProfileScreen #profile-menu { width: auto; text-style: bold; color: $accent; }
    BuyerProfileScreen #profile-body { height: 1fr; padding: 1 2; }
    BuyerProfileScreen .profile-name { text-style: bold; color: $accent; }
    BuyerProfileScreen .profile-section { margin-top: 1; }
    """
    BINDINGS = [
        Binding("m", "menu", "≡ Menu", id="buyer.profile.menu",
                tooltip="Settings and Privacy (the three lines at the top right)"),
        Binding("o", "orders", "Your orders", id="buyer.profile.orders",
                tooltip="Your orders, all tabs"),
        Binding("i", "inbox", "Inbox", id="buyer.profile.inbox",
                tooltip="Notifications: cancellations, request answers"),
    ]

    profile: reactive[BuyerProfile | None] = reactive(None, init=False)

    def __init__(self, role: str, identity: str):
        super().__init__(identity)
        self.role = role
        self.title = "Profile"
        self.journey: Worker | None = None  # the flow the keys here started, while it runs

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="profile-top"):
            yield Static(f"@{self.identity or '…'}", id="profile-handle")
            yield Static("≡  Menu (m)", id="profile-menu")
        with VerticalScroll(id="profile-body"):
            yield Static(id="profile-card")
            yield Static(id="profile-orders", classes="profile-section")
            yield Static(id="profile-standing", classes="profile-section")
        yield NavBar("Profile", id="navbar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        """Back here (not only between two screens of a journey): read again."""
        if not work.journeying(self.journey):
            self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self.journey and event.worker.is_finished:  # back from the journey
            self.refresh_bindings()
            self.reload()

    def on_data_changed(self, message) -> None:
        self.reload()

    def opened(self, identity: str) -> None:
        """The app has opened the database (after the first frame): `identity`'s profile."""
        self.identity = identity
        self.query_one("#profile-handle", Static).update(f"@{identity}")
        self.reload()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The first frame comes before the database is open: its keys show greyed then.
        While a journey from here runs, a key that slipped in between two of its screens
        starts no second one."""
        if self.app.db is None:
            return None
        return not work.journeying(self.journey)

    def reload(self) -> None:
        if self.app.db is None:  # the first frame: the app opens the database right after it
            self.query_one("#profile-card", Static).update(Text("Opening your profile…", style="dim"))
            return
        work.read(self, partial(queries.profile, username=self.identity), self.show, key="buyer.profile")

    def show(self, profile: BuyerProfile | None) -> None:
        self.profile = profile

    def watch_profile(self, buyer: BuyerProfile | None) -> None:
        name = buyer.name if buyer else self.identity
        card = Text()
        card.append(f"{name}\n", style="bold")
        card.append(f"@{self.identity}", style="dim")
        if buyer and buyer.address:
            card.append(f"\nShips to {buyer.address}", style="dim")
        self.query_one("#profile-card", Static).update(card)

        counts = Text()
        counts.append("Your orders  ", style="bold")
        tabs = dict(buyer.tabs) if buyer else {}
        for tab, title in TAB_TITLES.items():
            counts.append(f"{title} ", style="")
            counts.append(f"{tabs.get(tab, 0)}", style="bold")
            counts.append("   ")
        counts.append("\nPress o for Your orders, or m for the menu → Settings and Privacy → Orders.",
                      style="dim")
        self.query_one("#profile-orders", Static).update(counts)

        refusals = buyer.refusals if buyer else 0
        standing = Text()
        standing.append("Standing  ", style="bold")
        if refusals:
            standing.append(f"You refused {refusals} deliver{'y' if refusals == 1 else 'ies'}; "
                            "sellers see a caution mark on your orders.", style="yellow")
        else:
            standing.append("Good: no refused deliveries.")
        self.query_one("#profile-standing", Static).update(standing)
        self.query_one(NavBar).set_unread(buyer.unread if buyer else 0)

    def on_key(self, event) -> None:
        """A key that starts the journey starts it here, before the keys typed after it
        are looked at (a binding acts only once the key has passed every screen's
        handlers): the app then holds those keys for the journey's screens (tui/work.py
        `hold`). The keys are the bindings' (a keymap may change them)."""
        active = self.active_bindings.get(event.key)
        place = active.binding.action if active and active.node is self else None
        if place in buyer_flow.PLACES and self.is_active and self.check_action(place, ()):
            event.stop()
            event.prevent_default()
            self.go(place)

    def go(self, place: str) -> None:
        self.journey = buyer_flow.start(self, self.identity, place)

    def action_menu(self) -> None:
        self.go("menu")

    def action_orders(self) -> None:
        self.go("orders")

    def action_inbox(self) -> None:
        self.go("inbox")
