"""TikTok-style 18-digit IDs. A three-digit prefix says what kind of thing it is.

IDs are random; inside `deterministic(seed)` (demo data, tests) they repeat run to run.
"""

import random
import secrets
from contextlib import contextmanager

PREFIX = {"order": "576", "package": "115", "line": "172", "cancellation": "458"}
_seeded: random.Random | None = None


def new_id(kind: str) -> str:
    digits = _seeded.randrange(10**15) if _seeded else secrets.randbelow(10**15)
    return PREFIX[kind] + f"{digits:015d}"


@contextmanager
def deterministic(seed: int):
    global _seeded
    before, _seeded = _seeded, random.Random(seed)
    try:
        yield
    finally:
        _seeded = before
