"""Seed 000, step 1: the buyer's Profile, with the bottom navigation bar (Profile
selected) and the menu (three lines) at the top right that opens Settings and Privacy."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from tui.lazy import lazy_import
from tui.screens.buyer_common import BuyerScreen, NavBar

queries = lazy_import("core.queries.orders")

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

    def __init__(self, role: str, identity: str):
        super().__init__(identity)
        self.role = role
        self.title = "Profile"

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
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
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
        """The first frame comes before the database is open: its keys show greyed then."""
        return True if self.app.db is not None else None

    def reload(self) -> None:
        if self.app.db is None:  # the first frame: the app opens the database right after it
            self.query_one("#profile-card", Static).update(Text("Opening your profile…", style="dim"))
            return
        with self.app.db.read() as session:
            buyer = next((b for b in queries.buyers(session) if b.username == self.identity), None)
            orders = queries.buyer_orders(session, self.identity, "all", now=self.app.now(), limit=1000)
            unread = sum(1 for n in queries.notifications(session, self.identity) if not n["read"])
        name = buyer.name if buyer else self.identity
        card = Text()
        card.append(f"{name}\n", style="bold")
        card.append(f"@{self.identity}", style="dim")
        if buyer and buyer.address:
            card.append(f"\nShips to {buyer.address}", style="dim")
        self.query_one("#profile-card", Static).update(card)

        counts = Text()
        counts.append("Your orders  ", style="bold")
        for tab, title in TAB_TITLES.items():
            n = sum(1 for o in orders if o["status"] in queries.BUYER_TABS[tab])
            counts.append(f"{title} ", style="")
            counts.append(f"{n}", style="bold")
            counts.append("   ")
        counts.append("\nPress o for Your orders, or m for the menu → Settings and Privacy → Orders.",
                      style="dim")
        self.query_one("#profile-orders", Static).update(counts)

        refusals = buyer.refusal_count if buyer else 0
        standing = Text()
        standing.append("Standing  ", style="bold")
        if refusals:
            standing.append(f"You refused {refusals} deliver{'y' if refusals == 1 else 'ies'}; "
                            "sellers see a caution mark on your orders.", style="yellow")
        else:
            standing.append("Good: no refused deliveries.")
        self.query_one("#profile-standing", Static).update(standing)
        self.query_one(NavBar).set_unread(unread)

    def action_menu(self) -> None:
        from tui.screens.buyer_settings import BuyerSettingsScreen

        self.app.push_screen(BuyerSettingsScreen(self.identity))

    def action_orders(self) -> None:
        from tui.screens.buyer_orders import BuyerOrdersScreen

        self.app.push_screen(BuyerOrdersScreen(self.identity))

    def action_inbox(self) -> None:
        from tui.screens.buyer_inbox import BuyerInboxScreen

        self.app.push_screen(BuyerInboxScreen(self.identity))
