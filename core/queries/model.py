"""What every read model shares: frozen, slotted dataclasses whose `as_dict()` is their
JSON (CONTRACT.md). Plain Python, no database: a screen may import it before SQLAlchemy.

Decision: a model carries what a screen needs beyond the contract (a status's words, a
verdict for this app's version) in fields marked `internal()`; `as_dict()` leaves them
out, so the JSON a script reads stays exactly what it was.
"""

from __future__ import annotations

from dataclasses import field, fields, is_dataclass
from typing import Any


def internal(**kwargs: Any):
    """A field for screens, not for the JSON."""
    return field(metadata={"json": False}, **kwargs)


def plain(value: Any) -> Any:
    """A model, a tuple of them, or a plain value, as JSON-ready Python (tuples as lists)."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value


class ReadModel:
    """Mixin for a `@dataclass(frozen=True, slots=True)` read model."""

    __slots__ = ()

    def as_dict(self) -> dict:
        assert is_dataclass(self)
        return {f.name: plain(getattr(self, f.name)) for f in fields(self) if f.metadata.get("json", True)}
