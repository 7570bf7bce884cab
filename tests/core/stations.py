"""A packing station (or a buyer's phone) doing random valid things to orders, for a while.

Run in separate processes by the concurrency proof and the crash test. Every call
goes through `core.services`, as the screens and the CLI do. A retry re-sends an
earlier call with its idempotency key and must get the first result back.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable

from core import rules, services
from core.queries import orders as queries
from core.clock import parse_instant
from core.db import Database
from tests.waiting import PATIENCE

NOW = parse_instant("2026-11-20T12:00:00Z")


def _key() -> str:
    return uuid.uuid4().hex


def _buyer_cancel(db, view, rng):
    reason = rng.choice(list(rules.buyer_reasons_for(view["status"])) or ["no_longer_needed"])
    key = _key()  # a retry re-sends the very same request
    call = lambda: services.buyer_cancel(db, view["id"], reason, now=NOW,  # noqa: E731
                                         idempotency_key=key, expected_version=view["version"])
    return call, key


def _request(db, view, rng):
    key = _key()
    call = lambda: services.request_cancellation(db, view["id"], "no_longer_needed", now=NOW,  # noqa: E731
                                                 idempotency_key=key)
    return call, key


def _seller_order(db, view, rng):
    key, reason, version = _key(), rng.choice(list(rules.SELLER_REASONS)), rng.choice([None, view["version"]])
    call = lambda: services.seller_cancel(db, view["id"], reason, now=NOW,  # noqa: E731
                                          idempotency_key=key, expected_version=version)
    return call, key


def _seller_package(db, view, rng):
    package = rng.choice(view["packages"])["id"]
    key = _key()
    call = lambda: services.seller_cancel(db, view["id"], "unable_to_deliver", package_id=package,  # noqa: E731
                                          now=NOW, idempotency_key=key)
    return call, key


def _seller_items(db, view, rng):
    eligible = [l for l in view["lines"] if l["item_cancel"]["allowed"]]
    if not eligible:
        return None, None
    line = rng.choice(eligible)
    qty = rng.randint(1, line["item_cancel"]["max_quantity"])
    key, version = _key(), rng.choice([None, view["version"]])
    call = lambda: services.seller_cancel(db, view["id"], "out_of_stock", items={line["id"]: qty},  # noqa: E731
                                          now=NOW, idempotency_key=key, expected_version=version)
    return call, key


def _answer(db, view, rng):
    pending = view["pending_request"]
    if not pending:
        return None, None
    if rng.random() < 0.5:
        return (lambda: services.approve_request(db, pending["id"], now=NOW)), None
    return (lambda: services.reject_request(db, pending["id"], "cannot_change_address", now=NOW)), None


def _logistics(service):
    def make(db, view, rng):
        package = rng.choice(view["packages"])["id"]
        return (lambda: service(db, package, now=NOW)), None
    make.__name__ = service.__name__
    return make


OPERATIONS = {
    "buyer_cancel": _buyer_cancel, "request": _request, "answer_request": _answer,
    "seller_cancel_order": _seller_order, "seller_cancel_package": _seller_package,
    "seller_cancel_items": _seller_items, "pack": _logistics(services.pack),
    "handover": _logistics(services.handover), "deliver": _logistics(services.deliver),
    "refuse": _logistics(services.refuse_delivery), "receive_return": _logistics(services.receive_return),
}


def work(url: str, order_ids: list[str], seconds: float, seed: int, succeeded: int = 0,
         cancelled: Callable[[], None] | None = None) -> tuple[Counter, list[str]]:
    """Run random operations for `seconds`, and then on until `succeeded` of them have
    succeeded and one retry was made (a busy machine does fewer a second, and the proof
    must not run on nothing), for at most PATIENCE more; return what was done and what
    went wrong. `cancelled` is called after the first cancellation this station commits."""
    db = Database(url, upgrade=False)
    rng = random.Random(seed)
    done: Counter = Counter()
    problems: list[str] = []
    sent: list[tuple] = []  # (call, first record id) of successful keyed calls, to retry
    started = time.monotonic()

    def more() -> bool:
        elapsed = time.monotonic() - started
        ok = sum(n for name, n in done.items() if name.endswith(":ok"))
        return elapsed < seconds or (elapsed < seconds + PATIENCE and (ok < succeeded or not done["retry"]))

    while more():
        if sent and rng.random() < 0.1:
            call, first_id = rng.choice(sent)
            result = call()
            done["retry"] += 1
            if not (result.ok and result.replayed and result.record["id"] == first_id):
                problems.append(f"retry with the same key gave {result!r}, not the first result {first_id}")
            continue
        order_id = rng.choice(order_ids)
        with db.read() as session:
            view = queries.order_view(session, order_id, NOW)
        name = rng.choice(list(OPERATIONS))
        call, key = OPERATIONS[name](db, view, rng)
        if call is None:
            continue
        try:
            result = call()
        except Exception as exc:  # any exception is a bug: commands answer with results
            problems.append(f"{name} on {order_id} raised {exc!r}")
            continue
        done[f"{name}:{'ok' if result.ok else result.code}"] += 1
        if result.ok and key and isinstance(result.record, dict) and "refund" in result.record:
            sent.append((call, result.record["id"]))
            if cancelled is not None and len(sent) == 1:
                cancelled()
    db.dispose()
    return done, problems


def work_forever(url: str, order_ids: list[str], seed: int) -> None:  # pragma: no cover - killed
    """For the crash test: say "ready", then cancel until killed; say "cancelled" once
    the first cancellation is committed."""
    print("ready", flush=True)
    work(url, order_ids, 10**9, seed, cancelled=lambda: print("cancelled", flush=True))
