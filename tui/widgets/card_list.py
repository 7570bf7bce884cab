"""A virtual list of order cards (the To Ship board), after Textualize/toolong.

Only the lines on screen are rendered (`render_line`); a card's lines are cached
per width. The list holds a window of at most `MAX_CARDS` cards that a `source`
pages in from SQL by keyset (`source(after=key)` / `source(before=key)`) as the
cursor nears either end, so a shop with a million orders costs what a page costs.
Every page is read off the UI thread (tui.work): the cursor keeps moving over the
cards already here while the next page is on its way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from core.money import format_money
from core.queries.cards import PAGE as BOARD_PAGE
from core.queries.cards import TAB_STATUSES, Key, OrderCard
from tui import work
from tui.format import status_label

if TYPE_CHECKING:
    from sqlmodel import Session

MAX_CARDS = 120  # the window: never more cards than this in memory
AHEAD = 3  # the next page is asked for when the cursor comes this near the window's edge
PAGE = BOARD_PAGE  # a page shorter than this is the last one

TO_SHIP_STATUSES = frozenset(TAB_STATUSES["to_ship"])
SLA_STYLES = {"amber": "cardlist--warn", "red": "cardlist--urgent"}  # OrderCard.sla_level -> style

Query = Callable[["Session", datetime], list[OrderCard]]
Source = Callable[..., Query]  # source(after=key | before=key | at=key | nothing) -> the query of that page


def time_left(deadline: datetime | None, now: datetime) -> str:
    """'auto-cancels in 2d 4h' (the SLA clock's next deadline), or '' when there is none.
    Past it (the clock has not run yet) it says 'auto-cancels now'."""
    if deadline is None:
        return ""
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return "auto-cancels now"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    text = f"{days}d {hours}h" if days else f"{hours}h {minutes:02d}m" if hours else f"{max(minutes, 1)}m"
    return f"auto-cancels in {text}"


class CardList(Widget, can_focus=True):
    """Order cards, one under another; ↑/↓ move between cards, PgUp/PgDn by a screen."""

    DEFAULT_CSS = """
    CardList { height: 1fr; background: $surface; }
    CardList > .cardlist--cursor { background: $primary 25%; }
    CardList:focus > .cardlist--cursor { background: $primary 40%; }
    CardList > .cardlist--id { color: $text; text-style: bold; }
    CardList > .cardlist--dim { color: $text-muted; }
    CardList > .cardlist--warn { color: $warning; text-style: bold; }
    CardList > .cardlist--urgent { color: $text; background: $error; text-style: bold; }
    CardList > .cardlist--badge { color: $text; background: $warning 50%; text-style: bold; }
    CardList > .cardlist--status { color: $accent; }
    CardList > .cardlist--rule { color: $panel-lighten-2; }
    """
    COMPONENT_CLASSES = {
        "cardlist--cursor", "cardlist--id", "cardlist--dim", "cardlist--warn", "cardlist--urgent",
        "cardlist--badge", "cardlist--status", "cardlist--rule",
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Previous order", id="cards.up", show=False,
                tooltip="Move to the order above"),
        Binding("down,j", "cursor(1)", "Next order", id="cards.down", show=False,
                tooltip="Move to the order below"),
        Binding("pageup", "page(-1)", "Page up", id="cards.page_up", show=False,
                tooltip="Show the previous screenful of orders"),
        Binding("pagedown,space", "page(1)", "Page down", id="cards.page_down", show=False,
                tooltip="Show the next screenful of orders"),
        Binding("home", "first", "First order", id="cards.first", show=False,
                tooltip="Back to the newest order"),
    ]

    class Moved(Message):
        """The cursor or the window moved (the screen shows the position)."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.cards: list[OrderCard] = []
        self.source: Source | None = None
        self.now: datetime | None = None
        self.station: str | None = None  # this station: its own claims go unsaid
        self.cursor = 0
        self.top = 0
        self.first_index = 0  # the absolute index of cards[0]
        self.more_before = False
        self.more_after = False
        self.empty_text = "No orders here."
        self._cache: dict[tuple, list[Strip]] = {}
        self._base = Style()
        self._styles: dict[str, Style] = {}
        self._view: list[Strip] | None = None
        self._rich_console: Console | None = None
        self.painted_at: float | None = None  # when the list was last drawn (bench/board.py waits for it)
        self.generation = 0  # bumped on every new set of cards
        self._token = object()  # the list now shown (see `_new_token`)
        self._asking: dict[int, object] = {}  # direction -> the list a page is being read for

    # -- data ------------------------------------------------------------------
    @property
    def current(self) -> OrderCard | None:
        return self.cards[self.cursor] if 0 <= self.cursor < len(self.cards) else None

    def load(self, source: Source, *, keep: str | None = None, anchor: Key | None = None) -> None:
        """Show a new list from its first page (or from `anchor`, the top card's key,
        inclusive), keeping the cursor on order `keep` when it is still there. Read off
        the UI thread (tui.work); the cards shown stay, and move, until it is in."""
        self.source = source
        token = self._new_token()
        base = self.first_index + self.top if anchor is not None else 0
        first, at = source(), (source(at=anchor) if anchor is not None else None)

        def query(session, now):
            if at is not None:
                cards = at(session, now)
                if cards:
                    return cards, base, now
            return first(session, now), 0, now

        work.read(self, query, lambda found: self._loaded(token, keep, *found), key="cards.load")

    def _loaded(self, token: object, keep: str | None, cards: list[OrderCard], base: int, now: datetime) -> None:
        if token is not self._token:  # a newer list was asked for meanwhile
            return
        self.now = now
        self.more_before = base > 0
        self.first_index = base
        self._set(cards, keep=keep)

    def show(self, cards: list[OrderCard], *, keep: str | None = None, now: datetime | None = None) -> None:
        """A fixed list (search results): no paging."""
        self._new_token()
        self.source = None
        self.more_before = False
        self.first_index = 0
        if now is not None:
            self.now = now
        self._set(cards, keep=keep, more_after=False)

    def _new_token(self) -> object:
        """A new list: pages asked for the list before it are dropped when they come."""
        self._token = object()
        return self._token

    def _set(self, cards: list[OrderCard], *, keep: str | None, more_after: bool | None = None) -> None:
        old_top_id = self.cards[self.top].id if keep and 0 <= self.top < len(self.cards) else None
        self.cards = cards
        self.more_after = (len(cards) >= PAGE) if more_after is None else more_after
        ids = [c.id for c in cards]
        self.cursor = ids.index(keep) if keep in ids else min(self.cursor if keep else 0, max(len(cards) - 1, 0))
        self.top = ids.index(old_top_id) if old_top_id in ids else 0
        if self.top > self.cursor:
            self.top = self.cursor
        self._cache.clear()
        self.generation += 1
        self._scroll_to_cursor()
        self._changed()

    def _want_more(self, direction: int) -> None:
        """Ask for the page after the last card (1) or before the first (-1), once."""
        if not (self.source and self.cards and (self.more_after if direction > 0 else self.more_before)):
            return
        token = self._token
        if self._asking.get(direction) is token:
            return
        self._asking[direction] = token
        edge = self.cards[-1].key if direction > 0 else self.cards[0].key
        query = self.source(after=edge) if direction > 0 else self.source(before=edge)
        work.read(self, query, lambda more: self._more(token, direction, edge, more), key=f"cards.more{direction}")

    def _more(self, token: object, direction: int, edge: Key, more: list[OrderCard]) -> None:
        self._asking.pop(direction, None)
        if token is not self._token or not self.cards:
            return
        if direction > 0 and self.cards[-1].key == edge:
            self._append(more)
        elif direction < 0 and self.cards[0].key == edge:
            self._prepend(more)
        else:
            return  # the window moved meanwhile: this page no longer joins it
        self._scroll_to_cursor()
        self._changed()

    def _append(self, more: list[OrderCard]) -> None:
        self.more_after = len(more) >= PAGE
        self.cards.extend(more)
        if len(self.cards) > MAX_CARDS:
            drop = len(self.cards) - MAX_CARDS
            for card in self.cards[:drop]:
                self._forget(card)
            del self.cards[:drop]
            self.cursor -= drop
            self.top -= drop
            self.first_index += drop
            self.more_before = True

    def _prepend(self, more: list[OrderCard]) -> None:
        if not more:
            self.more_before = False
            self.first_index = 0
            return
        self.cards[:0] = more
        self.cursor += len(more)
        self.top += len(more)
        self.first_index = max(self.first_index - len(more), 0)
        self.more_before = len(more) >= PAGE
        if not self.more_before:
            self.first_index = 0
        if len(self.cards) > MAX_CARDS:
            for card in self.cards[MAX_CARDS:]:
                self._forget(card)
            del self.cards[MAX_CARDS:]
            self.more_after = True

    def _forget(self, card: OrderCard) -> None:
        for key in [k for k in self._cache if k[0] == card.id]:
            del self._cache[key]

    # -- moving -----------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        if not self.cards:
            return
        if self.cursor + delta >= len(self.cards) - AHEAD:
            self._want_more(1)
        if self.cursor + delta < AHEAD:
            self._want_more(-1)
        target = self.cursor + delta
        self.cursor = max(0, min(target, len(self.cards) - 1))
        self._scroll_to_cursor()
        self._changed()

    def action_page(self, direction: int) -> None:
        if not self.cards:
            return
        if direction > 0:
            shown = self._cards_fitting(self.top)
            if self.top + max(shown, 1) + shown >= len(self.cards) - AHEAD:
                self._want_more(1)
            target = self.top + max(shown, 1)
            if target >= len(self.cards):
                target = len(self.cards) - 1
            self.top = self.cursor = target
        else:
            if self.top < AHEAD:
                self._want_more(-1)
            target = self.top
            height, rows = self.size.height or 1, 0
            while target > 0 and rows + self._height(self.cards[target - 1]) <= height:
                target -= 1
                rows += self._height(self.cards[target])
            if target == self.top and target > 0:
                target -= 1
            self.top = self.cursor = target
        self._scroll_to_cursor()
        self._changed()

    def action_first(self) -> None:
        if self.more_before and self.source:
            self.load(self.source)
            return
        self.cursor = self.top = 0
        self._changed()

    def current_to_top(self) -> None:
        """Show the current card first, so that a picker at the bottom of the screen keeps
        it in sight (tui.screens.seller_package_pick)."""
        if self.cards:
            self.top = self.cursor
            self._changed()

    @property
    def current_rows(self) -> range | None:
        """The widget's rows the current card takes (None: none, or scrolled out)."""
        if not self.cards or self.cursor < self.top:
            return None
        start = self._rows_between(self.top, self.cursor)
        return range(start, start + self._height(self.cards[self.cursor]))

    def _cards_fitting(self, start: int) -> int:
        height, rows, n = self.size.height or 1, 0, 0
        for card in self.cards[start:]:
            rows += self._height(card)
            if rows > height:
                break
            n += 1
        return n

    def _scroll_to_cursor(self) -> None:
        if self.cursor < self.top:
            self.top = self.cursor
        while self.top < self.cursor and self._rows_between(self.top, self.cursor + 1) > (self.size.height or 1):
            self.top += 1

    def _rows_between(self, start: int, end: int) -> int:
        return sum(self._height(c) for c in self.cards[start:end])

    def _changed(self) -> None:
        self._view = None
        self.refresh()
        self.post_message(self.Moved())

    # -- mouse ------------------------------------------------------------------
    def on_mouse_scroll_down(self, event) -> None:
        event.stop()
        self.action_cursor(1)

    def on_mouse_scroll_up(self, event) -> None:
        event.stop()
        self.action_cursor(-1)

    def on_click(self, event) -> None:
        y, index = event.y, self.top
        while index < len(self.cards) and y >= self._height(self.cards[index]):
            y -= self._height(self.cards[index])
            index += 1
        if index < len(self.cards):
            self.cursor = index
            self._changed()

    # -- rendering --------------------------------------------------------------
    def on_resize(self) -> None:
        self._cache.clear()
        self._scroll_to_cursor()
        self._view = None

    def on_focus(self) -> None:
        self._cache.clear()
        self._changed()

    def on_blur(self) -> None:
        self._cache.clear()
        self._changed()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    def _height(self, card: OrderCard) -> int:
        return 3 + sum(1 + len(p.lines) for p in card.packages)

    def render_line(self, y: int) -> Strip:
        if self._view is None:
            self._view = self._build_view()
        if y < len(self._view):
            return self._view[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _build_view(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        self._base = self.rich_style
        self._styles = {name: self.get_component_rich_style(name, partial=True)
                        for name in self.COMPONENT_CLASSES}
        out: list[Strip] = []
        if not self.cards:
            text = Text(f"  {self.empty_text}", style=self._styles["cardlist--dim"])
            out = [Strip.blank(width, self.rich_style), self._strip(text, width)]
        index = self.top
        while len(out) < height and index < len(self.cards):
            out.extend(self._card_strips(self.cards[index], index == self.cursor, width))
            index += 1
        self.painted_at = time.perf_counter()
        return out[:height]

    def _strip(self, text: Text, width: int, background: Style | None = None) -> Strip:
        if self._rich_console is None:
            self._rich_console = self.app.console
        text.truncate(width, overflow="ellipsis", pad=False)
        base = self._base + background if background else self._base
        segments = list(text.render(self._rich_console))
        # line API strips carry their whole style: the widget's background under every cell
        return Strip(segments).adjust_cell_length(width).apply_style(base)

    def _card_strips(self, card: OrderCard, selected: bool, width: int) -> list[Strip]:
        key = (card.id, card.version, tuple(p.claim for p in card.packages), width, selected, self.has_focus,
               self.now, self.station)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._render_card(card, selected, width)
        return cached

    def _render_card(self, card: OrderCard, selected: bool, width: int) -> list[Strip]:
        style = self._styles.__getitem__

        dim, strong = style("cardlist--dim"), style("cardlist--id")
        background = style("cardlist--cursor") if selected else None
        bg = Style(bgcolor=background.bgcolor) if background else None
        cur = card.currency
        lines: list[Text] = []

        # 1: ID, status, the SLA clock (amber, red when close), request badge, the action menu
        head = Text()
        head.append("▌ " if selected else "  ", style("cardlist--status"))
        head.append(card.id, strong)
        head.append("  ")
        head.append(status_label(card.status), style("cardlist--status"))
        if self.now is not None and (left := time_left(card.auto_cancel_at, self.now)):
            head.append("  ")
            level = card.sla_level(self.now)
            head.append(f" {left} " if level == "red" else left, style(SLA_STYLES.get(level, "cardlist--dim")))
        right = Text()
        if card.request_id:
            right.append(" Cancel requested ", style("cardlist--badge"))
            right.append(" ")
        right.append("⋮ Actions ⏎ " if selected else "⋮ ", dim)
        lines.append(self._spread(head, right, width))

        # 2: buyer (caution mark), amounts
        who = Text("  Buyer ")
        who.stylize(dim)
        who.append(card.buyer)
        if card.caution:
            who.append("  ⚠ refused ", style("cardlist--warn"))
            who.append(f"{card.buyer_refusals} deliver{'y' if card.buyer_refusals == 1 else 'ies'}",
                       style("cardlist--warn"))
        money = Text()
        money.append("Total ", dim)
        money.append(format_money(card.total, cur), strong)
        if card.refunded:
            money.append("  refunded ", dim)
            money.append(format_money(card.refunded, cur))
        money.append(" ")
        lines.append(self._spread(who, money, width))

        # packages and their items
        split = len(card.packages) > 1
        for n, package in enumerate(card.packages, 1):
            p = Text("  ")
            p.append(f"Package {n}/{len(card.packages)} " if split else "Package ", dim)
            p.append(package.id, dim)
            p.append("  ")
            # To Ship: only the packages still to pack or hand over stand out
            p.append(status_label(package.status), style("cardlist--status") if package.open else dim)
            packing_at = package.packing_station(self.now)
            if packing_at is not None and packing_at != self.station:  # issue 15: stations that don't collide
                p.append(f"  being packed at {packing_at}", style("cardlist--warn"))
            if package.tracking_number:
                p.append(f"  {package.tracking_number}", dim)
            lines.append(p)
            shipped = card.status in TO_SHIP_STATUSES and not package.open  # not this tab's work
            for line in package.lines:
                bright = line.quantity > line.cancelled_quantity and not shipped
                item = Text("    ")
                title_width = max(width - 44, 10)
                item.append(f"{line.sku:<12} ", None if bright else dim)
                item.append(f"{line.title[:title_width]:<{title_width}} ", None if bright else dim)
                item.append(f"×{line.quantity}", strong if bright else dim)
                if line.cancelled_quantity:
                    item.append(f"  {line.cancelled_quantity} cancelled", style("cardlist--warn"))
                lines.append(item)
        lines.append(Text("  " + "─" * max(width - 4, 0), style("cardlist--rule")))
        return [self._strip(t, width, bg) for t in lines]

    @staticmethod
    def _spread(left: Text, right: Text, width: int) -> Text:
        gap = width - left.cell_len - right.cell_len
        if gap < 1:
            left.truncate(max(width - right.cell_len - 1, 10), overflow="ellipsis")
            gap = max(width - left.cell_len - right.cell_len, 1)
        return Text.assemble(left, " " * gap, right)
