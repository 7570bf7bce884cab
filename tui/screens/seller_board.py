"""The seller's To Ship board (seed 003, issue 4).

Tabs as the seller centre has them (To Ship first) with their counts; in To Ship
a status filter with counts per status, a product filter (the shop's SKUs) and a
search box (full ID, ID suffix, buyer, tracking number). The cards page from SQL
(core.queries.board) behind a virtual list (tui.widgets.card_list). A barcode scanner
types a label (an order or package ID, the end of an order ID, a tracking number) and
Enter, whatever on the board has focus: the order opens, or the package's pack check
when it is still to pack (core.queries.scan matches; tui.scanner takes the keys).
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Static

from core.queries.labels import ScanMatch
from core.queries.cards import (
    DUE_SOON, SORTS, TAB_LABELS, TAB_ORDER, TAB_STATUSES, TO_SHIP_FILTERS, BoardCounts, BoardFilter, BoardShop,
)
from tui import work
from tui.active import leave, when_active
from tui.scanner import Wedge
from tui.format import status_label
from tui.lazy import keep_loaded, lazy_import
from tui.widgets.card_list import CardList
from tui.widgets.key_bar import KeyBar

board = lazy_import("core.queries.board")
scan = lazy_import("core.queries.scan")
seller = lazy_import("tui.flows.seller")  # its screens and commands: not needed for the first frame

SCAN_MIN_DIGITS = 4
OPENING = "Opening the To Ship board…"
NARROW = 110  # columns: below this the bars shorten large counts
SEARCH_PAUSE = 0.15  # seconds of no typing before a large shop is searched
# the To Ship filters on a narrow terminal (all five fit in 80 columns)
SHORT_STATUS = {"awaiting_shipment": "Shipment", "awaiting_collection": "Collection",
                "partially_shipping": "Part shipped"}


class SellerBoardScreen(Screen):
    """A shop's orders as cards, To Ship first: there the most urgent first (ship-by; `u`
    toggles newest first), elsewhere newest first."""

    TITLE = "To Ship board"
    BINDINGS = [
        Binding("enter", "actions", "Actions", id="board.actions",
                tooltip="The order's action menu: cancel, pack, hand over, split, details"),
        Binding("c", "order('cancel')", "Cancel", id="board.cancel",
                tooltip="Cancel the order, a package, or (Out of Stock) some items"),
        Binding("p", "order('pack')", "Pack", id="board.pack",
                tooltip="Pack: Awaiting Shipment → Awaiting Collection"),
        Binding("h", "order('handover')", "Hand over", id="board.handover",
                tooltip="Hand over to the carrier: → In Transit"),
        Binding("s", "order('split')", "Split", id="board.split",
                tooltip="Split the order into packages"),
        Binding("d", "order('details')", "Details", id="board.details", show=False,
                tooltip="The whole order"),
        Binding("right,right_square_bracket", "tab(1)", "Next tab", id="board.next_tab", show=False,
                tooltip="The next tab (To Ship, Unpaid, Shipped, Completed, Cancelled, All)"),
        Binding("left,left_square_bracket", "tab(-1)", "Previous tab", id="board.prev_tab", show=False,
                tooltip="The previous tab"),
        Binding("t", "status_filter", "Status", id="board.status",
                tooltip="To Ship: All, Awaiting Shipment, Awaiting Collection, Partially Shipping, "
                        "or Due soon (auto-cancels within 12 h)"),
        Binding("u", "sort", "Sort", id="board.sort", show=False,
                tooltip="To Ship: most urgent first (ship-by) or newest first"),
        Binding("f", "products", "Products", id="board.products",
                tooltip="Show only orders with some of the shop's products"),
        Binding("slash", "search", "Search", id="board.search",
                tooltip="Find an order by ID, end of ID, buyer or tracking number"),
        Binding("r", "requests", "Requests", id="board.requests",
                tooltip="The buyers' cancellation requests"),
        Binding("o", "outbox", "Outbox", id="board.outbox", tooltip="The customer emails"),
        Binding("ctrl+r", "refresh", "Refresh", id="board.refresh", show=False,
                tooltip="Read the counts and the orders again"),
        Binding("escape", "back", "Back", id="board.back", show=False,
                tooltip="Leave the search, or back to the launcher"),
    ]

    def __init__(self, role: str, identity: str):
        super().__init__()
        self.role, self.shop_name = role, identity
        self.shop: BoardShop | None = None
        self.tab = "to_ship"
        self.status: str | None = None
        self.sort = "urgent"
        self.skus: frozenset[str] = frozenset()
        self.query_text = ""
        self.counts: BoardCounts | None = None
        self.wedge = Wedge()
        self._search_timer = None
        self.flows_loaded = False
        self.sub_title = identity

    # -- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="tabs")
        yield Static(id="filters")
        with Horizontal(id="searchbar"):
            yield Label("Search")
            yield Input(placeholder="order ID, last digits, buyer or tracking number (/)", id="search")
            yield Static(id="products")
        yield Static(id="position")
        yield CardList(id="cards")
        yield KeyBar()

    def on_mount(self) -> None:
        self._paint_bars()
        self.cards.focus()
        self.cards.empty_text = OPENING  # also what a key pressed meanwhile is told (why_not)
        if self.app.db is not None:  # else the first frame: the app opens the database right after it
            self.open_shop()

    def opened(self, identity: str) -> None:
        """The app has opened the database (after the first frame): `identity`'s board."""
        self.shop_name = self.sub_title = identity
        self.open_shop()

    def open_shop(self) -> None:
        """Find the shop (off the UI thread), then read its board. The read side is loaded
        here, on the UI thread (tui.lazy), before any worker uses it; the flows once the
        first cards are on the screen (`on_card_list_moved`)."""
        find, name = board.board_shop, self.shop_name
        work.read(self, lambda session, now: find(session, name), self._shop_found, key="board.shop")

    def _shop_found(self, shop: BoardShop | None) -> None:
        if shop is None:
            self.cards.empty_text = (
                f"There is no shop {self.shop_name!r}. Run `orderdesk seed demo`, then open a shop.")
            self.cards.refresh()
            return
        self.shop = shop
        self.refresh_bindings()
        self.reread()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until the board has its shop (the first frame, or no such shop) its keys show
        greyed, and only Back works (once the database is open)."""
        if self.app.db is not None and (self.shop is not None or action == "back"):
            return True
        return None

    def why_not(self, action: str) -> str | None:
        """A greyed key pressed (tui/app.py): the board is still opening, or has no shop."""
        return self.cards.empty_text if self.shop is None else None

    @property
    def shop_id(self) -> int | None:
        return self.shop.id if self.shop else None

    @property
    def cards(self) -> CardList:
        return self.query_one(CardList)

    @property
    def filter(self) -> BoardFilter:
        return BoardFilter(self.shop_id, self.tab, self.status if self.tab == "to_ship" else None, self.skus,
                           self.sort)

    def _source(self):
        """The board's pages as queries (tui.widgets.card_list.Source)."""
        flt, page = self.filter, board.page

        def source(after=None, before=None, at=None):
            return lambda session, now: page(session, flt, after=after, before=before, at=at, now=now)

        return source

    # -- reading (tui.work: off the UI thread; a newer read of a kind supersedes an older)
    def reread(self, *, keep_place: bool = True) -> None:
        """Read the counts and the visible page again (after a change here or elsewhere)."""
        if self.shop is None:
            return
        self._count()
        cards = self.cards
        cards.station = self.app.station  # its own claims go unsaid on the cards
        current = cards.current if keep_place else None
        if self.query_text:
            self._search(keep=current.id if current else None)
        else:
            anchor = cards.cards[cards.top].key if keep_place and cards.cards and cards.top < len(cards.cards) else None
            cards.empty_text = "No orders here."
            cards.load(self._source(), keep=current.id if current else None, anchor=anchor)
        self._paint_bars()

    def _count(self) -> None:
        """Read the tabs' and statuses' counts, of the orders the product filter lets through."""
        shop_id, skus, count = self.shop_id, self.skus, board.counts
        work.read(self, lambda session, now: count(session, shop_id, now, skus), self._counted, key="board.counts")

    def _search(self, keep: str | None = None) -> None:
        shop_id, text = self.shop_id, self.query_text
        search, load = board.search_ids, board.load_cards

        def found(result) -> None:
            if text != self.query_text:  # typed on meanwhile
                return
            self.cards.empty_text = f"No order of {self.shop_name} matches {text!r}."
            self.cards.show(result[0], keep=keep, now=result[1])
            self._paint_position()

        work.read(self, lambda session, now: (load(session, search(session, shop_id, text)), now), found,
                  key="board.search")

    def _counted(self, counts: BoardCounts) -> None:
        self.counts = counts
        self._paint_bars()

    def _count_text(self, n) -> str:
        """A count; on a narrow terminal, large ones in thousands (286k)."""
        if not isinstance(n, int):
            return f"{n:,}"  # not counted yet: …
        if self.size.width < NARROW and n >= 10_000:
            return f"{round(n / 1000):,}k"
        return f"{n:,}"

    def _paint_bars(self) -> None:
        counts = self.counts
        if counts is None:
            counts = BoardCounts.unknown()
        c = self._count_text
        narrow = self.size.width < NARROW
        tabs = Text()
        for tab in TAB_ORDER:
            label = f"{TAB_LABELS[tab]} {c(counts.by_tab[tab])}"
            if tab == self.tab and not self.query_text:
                tabs.append(f" {label} ", "bold reverse")
            else:
                tabs.append(label if narrow else f" {label} ")
            tabs.append(" " if narrow else "  ")
        self.query_one("#tabs", Static).update(tabs)

        bar = Text()
        if self.tab == "to_ship":
            bar.append("Status ", "dim")
            for status in TO_SHIP_FILTERS:
                name = "All" if status is None else "Due soon" if status == DUE_SOON else \
                    SHORT_STATUS[status] if narrow else status_label(status)
                due = status == DUE_SOON and isinstance(counts.due_soon, int) and counts.due_soon > 0
                bar.append(f" {name} {c(counts.of_filter(status))} ",
                           "bold reverse" if status == self.status else "bold yellow" if due else "")
            bar.append(" (t)", "dim")
        else:
            shown = TAB_STATUSES[self.tab] or ()
            bar.append(" · ".join(f"{status_label(s)} {c(counts.by_status[s])}" for s in shown) or
                       f"Every status {c(counts.by_tab['all'])}", "dim")
        self.query_one("#filters", Static).update(bar)

        products = Text("Products ", "dim")
        if self.skus:
            products.append(", ".join(sorted(self.skus)) if len(self.skus) <= 2 else f"{len(self.skus)} picked",
                            "bold")
        else:
            products.append("all")
        products.append(" (f)", "dim")
        self.query_one("#products", Static).update(products)
        self._paint_position()

    def _paint_position(self) -> None:
        cards = self.cards
        counts = self.counts
        if self.shop_id is None:
            text = ""
        elif self.query_text:
            text = f"{len(cards.cards)} found for {self.query_text!r} · Escape clears the search"
        elif not cards.cards:
            text = "No orders"
        else:
            total = self._total()
            of = f" of {total:,}" if total is not None else ""
            order = SORTS[self.sort] if self.tab == "to_ship" else SORTS["newest"]
            text = f"Order {cards.first_index + cards.cursor + 1:,}{of} · {order}"
        line = Text(text, "dim")
        requests = counts.requests if counts is not None else None
        if requests is not None:
            line.append("   Buyer requests ", "dim")
            line.append(f"{requests:,}", "bold yellow" if requests else "dim")
            line.append(" (r)", "dim")
        self.query_one("#position", Static).update(line)

    def on_resize(self) -> None:
        self._paint_bars()

    def _total(self) -> int | None:
        counts = self.counts
        if counts is None:
            return None
        if self.tab == "to_ship" and self.status:
            return counts.of_filter(self.status)
        return counts.by_tab[self.tab]

    def on_card_list_moved(self, _message) -> None:
        self._paint_position()
        if self.shop is not None and not self.flows_loaded:
            self.flows_loaded = True
            self.call_after_refresh(self._load_flows)

    @staticmethod
    def _load_flows() -> None:
        """The seller's flows and their screens (tui.lazy), loaded on the UI thread once
        the board's data is painted: a first key then finds them ready, and the board's
        first page does not wait for them."""
        seller.start  # noqa: B018
        keep_loaded("seller flows")

    def on_data_changed(self, _message=None) -> None:
        """Another station (or this one) committed: show the new state within a second."""
        self.reread()

    # -- keys -------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        """The scanner: a label's characters then Enter, whatever has focus (inside the
        search box, Enter reads what is in it the same way)."""
        if isinstance(self.focused, Input):
            return
        label = self.wedge.take(event)
        if label is not None:
            self.scanned(label)

    def scanned(self, text: str, *, search: Input | None = None) -> None:
        """Open what the label names (core.queries.scan): an order, or a package (to pack it
        when it is still to pack). Nothing: the bell, and what was read. `search`: read from
        the search box, emptied once the label opened something (ready for the next scan)."""
        if self.shop is None:
            return
        shop_id, shop, lookup = self.shop_id, self.shop_name, scan.lookup

        def found(match: ScanMatch) -> None:
            if not match.opens_order:
                if search is not None and self.cards.cards:  # a search that found orders: go through them
                    self.cards.focus()
                    return
                self.app.bell()
                self.notify(match.message(shop), title="Scan", severity="warning")
                return
            if search is not None:
                self._clear_search()
            if match.package_id is not None and match.package_status == "awaiting_shipment":
                seller.start(self.app, seller.pack(self.app, shop, match.package_id))
            else:
                seller.start(self.app, seller.details(self.app, shop, match.order_id))

        work.read(self, lambda session, now: lookup(session, shop_id, text), found, key="board.scan")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        if self.query_text and not self._searchable(self.query_text):
            return
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        if self.shop is not None and self.shop.large:  # a large shop: search when the typing (or a scan) pauses
            self._search_timer = self.set_timer(SEARCH_PAUSE, lambda: self.reread(keep_place=False))
        else:
            self.reread(keep_place=False)

    @staticmethod
    def _searchable(text: str) -> bool:
        return not text.isdigit() or len(text) >= SCAN_MIN_DIGITS

    @when_active
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.scanned(event.value, search=event.input)
        else:
            self.cards.focus()

    def _clear_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        self.query_text = ""
        self.cards.focus()
        self.reread(keep_place=False)

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.value or search.has_focus:
            self._clear_search()
            return
        leave(self)

    def action_refresh(self) -> None:
        self.reread()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_tab(self, delta: int) -> None:
        if self.shop_id is None:
            return
        self.tab = TAB_ORDER[(TAB_ORDER.index(self.tab) + delta) % len(TAB_ORDER)]
        self._refilter()

    def select_tab(self, tab: str) -> None:
        self.tab = tab
        self._refilter()

    def action_status_filter(self) -> None:
        if self.tab != "to_ship":
            self.tab = "to_ship"
            self.status = None
        else:
            self.status = TO_SHIP_FILTERS[(TO_SHIP_FILTERS.index(self.status) + 1) % len(TO_SHIP_FILTERS)]
        self._refilter()

    def action_sort(self) -> None:
        """To Ship: most urgent first <-> newest first (another tab: To Ship, sorted so)."""
        if self.tab == "to_ship":
            self.sort = "newest" if self.sort == "urgent" else "urgent"
        self.tab = "to_ship"
        self._refilter()

    def set_status(self, status: str | None) -> None:
        self.tab, self.status = "to_ship", status
        self._refilter()

    def _refilter(self) -> None:
        if self.query_text:
            self.query_one("#search", Input).value = ""
            self.query_text = ""
        self.cards.empty_text = "No orders here."
        self.cards.load(self._source())
        self._paint_bars()

    def action_products(self) -> None:
        if self.shop is not None:
            seller.start(self.app, seller.products(self.app, self.shop_id, self.skus, self._picked))

    def _picked(self, skus: frozenset[str]) -> None:
        if skus == self.skus:
            return
        self.skus, self.counts = skus, None  # the counts were of the other filter: "…" until read
        self._count()
        self._refilter()

    def action_actions(self) -> None:
        card = self.cards.current
        if card is not None:
            seller.start(self.app, seller.menu(self.app, self.shop_name, card.id))

    def action_order(self, action: str) -> None:
        card = self.cards.current
        if card is not None:
            seller.start(self.app, seller.act(self.app, self.shop_name, card.id, action))

    def action_requests(self) -> None:
        seller.requests_screen(self.app, self.shop_name)

    def action_outbox(self) -> None:
        seller.outbox_screen(self.app, self.shop_name)

    def on_screen_suspend(self) -> None:
        self._suspended = True

    def on_screen_resume(self) -> None:
        """Back on top: read again what may have changed meanwhile (the app tells changes
        to the screen on top only). Not when a flow only passed by between two of its
        screens (a wizard's steps): it is covered again by the next frame."""
        if getattr(self, "_suspended", False) and self.shop is not None:
            self.call_after_refresh(self._resumed)

    def _resumed(self) -> None:
        if self.is_active:
            self.reread()
