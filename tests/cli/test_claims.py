"""`orderdesk claim` and `orderdesk pack` between stations (the `station` setting): another
station's claim refuses the pack (exit 1, nothing changed) until it is taken over."""

from __future__ import annotations

TO_PACK = "115245255553322312"  # a demo package Awaiting Shipment (Rosewater Beauty)


def test_pack_is_refused_while_another_station_packs_it_until_taken_over(od, monkeypatch):
    monkeypatch.setenv("ORDERDESK_STATION", "Station 2")
    claimed = od.ok("claim", TO_PACK)
    assert claimed["station"] == "Station 2" and claimed["package_id"] == TO_PACK
    monkeypatch.setenv("ORDERDESK_STATION", "Station 1")
    before = od.dump()
    run = od("pack", TO_PACK, "--json")
    assert run.code == 1 and run.json["error"]["code"] == "package_claimed"
    message = run.json["error"]["message"]
    assert "being packed at Station 2" in message and f"orderdesk claim {TO_PACK} --take-over" in message
    human = od("pack", TO_PACK)
    assert human.code == 1 and "being packed at Station 2" in human.err and "Traceback" not in human.err
    assert od("claim", TO_PACK).code == 1
    assert od.dump() == before  # nothing changed
    taken = od.ok("claim", TO_PACK, "--take-over")
    assert taken["station"] == "Station 1"
    packed = od.ok("pack", TO_PACK)
    assert packed["status"] == "awaiting_collection"


def test_the_claiming_station_packs_it(od, monkeypatch):
    monkeypatch.setenv("ORDERDESK_STATION", "packing-1")
    od.ok("claim", TO_PACK)
    assert od.ok("pack", TO_PACK)["status"] == "awaiting_collection"
    run = od("claim", TO_PACK, "--json")  # packed: nothing left to claim
    assert run.code == 1 and run.json["error"]["code"] == "wrong_package_status"


def test_claiming_an_unknown_package_is_bad_input(od):
    run = od("claim", "115999999999999999", "--json")
    assert run.code == 2 and run.json["error"]["code"] == "unknown_package"
