"""Whom orderdesk can be opened as: the launcher's list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from core.models import Buyer, Shop


@dataclass(frozen=True, slots=True)
class Identity:
    role: str  # "seller" | "buyer"
    name: str  # the shop's name, the buyer's username: what the start screen is opened with
    label: str  # as the launcher lists it

    @property
    def key(self) -> str:
        return f"{self.role}:{self.name}"


def identities(session: Session) -> list[Identity]:
    """Every shop (by name), then every buyer (by username)."""
    shops = session.exec(select(Shop.name).order_by(Shop.name)).all()
    buyers = session.exec(select(Buyer.name, Buyer.username).order_by(Buyer.username)).all()
    return ([Identity("seller", name, f"Seller · {name}") for name in shops]
            + [Identity("buyer", username, f"Buyer  · {name} ({username})") for name, username in buyers])
