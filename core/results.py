"""What a command returns: success with its record, or a refusal a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Refusal codes caused by bad input (CLI exit 2); every other code is a rule (exit 1).
INPUT_CODES = frozenset({
    "bad_input", "unknown_order", "unknown_package", "unknown_line", "unknown_request",
    "unknown_reason", "unknown_buyer", "unknown_shop", "bad_quantity", "unknown_email",
})


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    ok = False

    @property
    def is_bad_input(self) -> bool:
        return self.code in INPUT_CODES

    def as_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


@dataclass(frozen=True)
class Success:
    record: Any = None
    message: str = ""
    replayed: bool = False  # True when an idempotency key returned an earlier result
    ok = True


Result = Success | Refusal


class Refused(Exception):
    """Raised inside a command to roll its transaction back and return a Refusal."""

    def __init__(self, code: str, message: str, **details: Any):
        super().__init__(message)
        self.refusal = Refusal(code, message, details)
