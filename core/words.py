"""How the app words counts and cancellations for people, in one place: the seller's
done message, the buyer's timeline and notification, and the customer email all say
what a cancellation did with `cancelled_words`, and every count of things goes through
`plural` (never "(1 units)").

Decisions where the spec is silent: a unit is an "item" to the buyer and in these
sentences ("2 items cancelled", as the issue words it); what is left is split into what
has not left the shop ("still to ship": packages not yet collected) and what the
carrier already has ("already shipped": in transit, delivered or refused on the way
back; counted by rules.left_after); a cancellation that leaves nothing is "Order
cancelled". A leaf module: the rules word their refusals with `plural` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`n` and the noun, singular for exactly one: "1 unit", "0 units", "2 packages"."""
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


@dataclass(frozen=True, slots=True)
class Left:
    """Units still live in an order: not yet collected (`to_ship`), with the carrier or
    past it (`shipped`)."""

    to_ship: int = 0
    shipped: int = 0

    @property
    def nothing(self) -> bool:
        return not self.to_ship and not self.shipped


def cancelled_words(units: int, left: Left | None) -> str:
    """What a cancellation of `units` did, leaving `left` ("2 items cancelled, 3 still to
    ship"); "Order cancelled" when nothing is left; without `left` (not known: an older
    record) only what was cancelled."""
    if left is not None and left.nothing:
        return "Order cancelled"
    said = [f"{plural(units, 'item')} cancelled"]
    if left is not None and left.to_ship:
        said.append(f"{left.to_ship:,} still to ship")
    if left is not None and left.shipped:
        said.append(f"{left.shipped:,} already shipped")
    return ", ".join(said)


def cancelled_event_words(detail: Mapping) -> str:
    """A `cancelled` event of an order's timeline (its detail as stored), in words."""
    units = detail.get("units")
    if units is None:  # recorded before events counted units
        return "Cancelled"
    left = Left(detail["left_to_ship"], detail["left_shipped"]) if "left_to_ship" in detail else None
    return cancelled_words(units, left)
