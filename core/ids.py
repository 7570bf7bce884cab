"""TikTok-style 18-digit IDs. A three-digit prefix says what kind of thing it is.

IDs are random; inside `deterministic(seed)` (demo data), after `seed(n)`, or in a
process started with $ORDERDESK_ID_SEED (walkthroughs and their snapshots) they
repeat run to run. Never seed a real shop's database: IDs would collide.
"""

import os
import random
import secrets
from contextlib import contextmanager

PREFIX = {"order": "576", "package": "115", "line": "172", "cancellation": "458"}
_seeded: random.Random | None = (
    random.Random(int(os.environ["ORDERDESK_ID_SEED"])) if os.environ.get("ORDERDESK_ID_SEED") else None)


def seed(n: int | None) -> None:
    """From now on, this process makes the same IDs every run (walkthroughs); None: random again."""
    global _seeded
    _seeded = None if n is None else random.Random(n)


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
