"""The SLA clock from the command line, on the demo data (issue 15): `orders show` says
when an order auto-cancels; `clock advance 6h` shows each kind happen, once."""

from __future__ import annotations

from core import rules
from tests.cli.conftest import Orderdesk
from tests.core.tiktok_samples import NOW as SAMPLES_NOW
from tests.core.tiktok_samples import oid, row, write_csv
from tests.databases import fresh_url

PAYMENT = "576656310330697461"  # Metro Kit Co., unpaid since 15:00 yesterday
DISPATCH = "576958692249217732"  # Lakehouse Home, paid 16:00 two days ago, not packed
COLLECTION = "576468476180488348"  # Lakehouse Home, partially shipping, packed package not collected
WAITING = "576445837735980801"  # Metro Kit Co., partially shipping, a power bank to pack by tomorrow 10:00


def test_orders_show_says_when_the_sla_clock_cancels(od):
    assert od.ok("orders", "show", DISPATCH)["auto_cancel"] == [
        {"reason": "dispatch_timeout", "at": "2026-11-20T16:00:00+00:00",
         "package_ids": ["115459967391106538"]}]
    assert [d["reason"] for d in od.ok("orders", "show", PAYMENT)["auto_cancel"]] == ["payment_overdue"]
    assert od.ok("orders", "show", WAITING)["auto_cancel"][0]["at"] == "2026-11-21T10:00:00+00:00"
    assert od.ok("orders", "show", "576669011184424665")["auto_cancel"] == []  # delivered


def test_clock_advance_6h_shows_every_kind_of_auto_cancellation_once(od):
    before = {o["id"]: o for o in od.orders()}
    done = od.ok("clock", "advance", "6h")
    assert done["auto_cancelled"] == 3
    for order_id, reason, scope in ((PAYMENT, "payment_overdue", "order"),
                                    (DISPATCH, "dispatch_timeout", "order"),
                                    (COLLECTION, "collection_timeout", "package")):
        order = od.ok("orders", "show", order_id)
        [system] = [c for c in order["cancellations"] if c["role"] == "system"]
        assert (system["reason"], system["scope"], system["status"]) == (reason, scope, "success")
        assert any(e["actor"] == "system" and e["kind"] == "cancelled" for e in order["timeline"])
        assert rules.REASON_TEXT[reason] in next(
            e["body"] for e in od.ok("outbox", "list") if e["cancellation_id"] == system["id"])
    assert od.ok("orders", "show", COLLECTION)["status"] == "in_transit"  # its other package ships on
    assert od.ok("orders", "show", WAITING)["status"] == "partially_shipping"  # not due yet
    # nothing else changed status but what time does anyway (holds ending)
    after = {o["id"]: o for o in od.orders()}
    moved = {i for i in before if before[i]["status"] != after[i]["status"]}
    assert moved - {PAYMENT, DISPATCH, COLLECTION} == {
        i for i in moved if before[i]["status"] == "on_hold"}
    assert od.ok("worker")["auto_cancelled"] == 0  # once


def test_orders_imported_from_seller_center_keep_the_platforms_clock(tmp_path, capsys, monkeypatch):
    """TikTok runs the clock of the orders it exported; the next export brings what it did.
    So orderdesk never cancels an imported order by time, and a re-import still updates it."""
    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("ORDERDESK_NOW", raising=False)
    od = Orderdesk(fresh_url(tmp_path, "imported"), capsys)
    export = write_csv(tmp_path / "orders.csv", [row(oid(1))])  # To ship, paid on Nov 20
    assert od("--now", SAMPLES_NOW, "import", "tiktok", str(export)).code == 0
    week_later = "2026-11-27T12:00:00Z"
    assert od.ok("--now", week_later, "worker")["auto_cancelled"] == 0
    shown = od.ok("--now", week_later, "orders", "show", oid(1))
    assert (shown["status"], shown["auto_cancel"]) == ("awaiting_shipment", [])
    later = write_csv(tmp_path / "later.csv", [row(oid(1), Order_Status="Cancelled", Order_Substatus="",
                                                   Cancel_By="System", Cancelled_Time="23/11/2026 08:00:00")])
    assert od.ok("--now", week_later, "import", "tiktok", str(later))["updated"] == 1
    assert od.ok("--now", week_later, "orders", "show", oid(1))["status"] == "cancelled"
