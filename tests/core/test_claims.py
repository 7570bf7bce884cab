"""Station claims (issue 15, "stations that don't collide"): a station that opens a package
to pack it claims it; the others cannot pack it until the claim ends (packed, cancelled,
10 minutes idle) or they take it over. On SQLite and PostgreSQL (tests/databases.py)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from core import rules, services
from sqlmodel import select

from core.db import Database
from core.models import OrderEvent, Package, PackageClaim
from tests.core.builders import NOW, SHOP, OTHER_SHOP, oid, pid, simple_order, split_order
from tests.waiting import PATIENCE

PACKAGE = pid(1)
ONE, TWO = "Station 1", "Station 2"


def claim(world, station, *, at=NOW, package=PACKAGE, **kw):
    return services.claim_package(world.db, package, now=at, station=station, **kw)


def pack(world, station, *, at=NOW, package=PACKAGE):
    return services.pack(world.db, package, now=at, station=station)


def claim_row(world, package=PACKAGE) -> PackageClaim | None:
    with world.db.read() as s:
        return s.get(PackageClaim, package)


def test_a_claimed_package_is_refused_to_another_station_and_says_where(make_world):
    world = make_world(simple_order(1))
    assert claim(world, TWO).ok
    before = world.dump()
    refused = pack(world, ONE, at=NOW + timedelta(minutes=3))
    assert refused.code == "package_claimed"
    assert f"being packed at {TWO} (last active 3 min ago)" in refused.message
    assert f"orderdesk claim {PACKAGE} --take-over" in refused.message
    assert claim(world, ONE).code == "package_claimed"
    assert pack(world, None).code == "package_claimed"  # no station is another station
    assert world.dump() == before  # nothing changed
    assert world.package(PACKAGE).status == "awaiting_shipment"


def test_the_claiming_station_packs_and_packing_ends_the_claim(make_world):
    world = make_world(simple_order(1))
    assert claim(world, TWO).ok
    assert claim(world, TWO, at=NOW + timedelta(minutes=1)).ok  # opening it again renews it
    assert pack(world, TWO, at=NOW + timedelta(minutes=2)).ok
    assert world.package(PACKAGE).status == "awaiting_collection"
    assert claim_row(world) is None


def test_a_claim_changes_no_order_version(make_world):
    world = make_world(simple_order(1))
    version = world.order(oid(1)).version
    assert claim(world, TWO).ok
    assert world.order(oid(1)).version == version


def test_an_idle_claim_lapses_after_ten_minutes_and_activity_renews_it(make_world):
    world = make_world(simple_order(1))
    assert claim(world, TWO).ok
    assert claim(world, TWO, at=NOW + timedelta(minutes=8)).ok  # activity: idle from here
    just_before = NOW + timedelta(minutes=8) + rules.CLAIM_IDLE - timedelta(seconds=1)
    assert pack(world, ONE, at=just_before).code == "package_claimed"
    lapsed = NOW + timedelta(minutes=8) + rules.CLAIM_IDLE
    taken = claim(world, ONE, at=lapsed)
    assert taken.ok and taken.record["station"] == ONE
    assert taken.record["claimed_at"] == lapsed.isoformat()
    assert pack(world, TWO, at=lapsed).code == "package_claimed"  # now Station 1's


def test_a_cancelled_package_ends_its_claim(make_world):
    world = make_world(split_order(1, second="awaiting_shipment"))
    first, second = pid(11), pid(12)
    assert claim(world, TWO, package=first).ok
    assert services.seller_cancel(world.db, oid(1), "out_of_stock", now=NOW, package_id=first).ok
    with world.db.read() as s:
        row, package = s.get(PackageClaim, first), s.get(Package, first)
    assert not rules.claim_holds(row, package, NOW)
    # the order's other package was never claimed: another station packs it
    assert pack(world, ONE, package=second).ok


def test_taking_over_moves_the_claim_and_is_audited(make_world):
    world = make_world(simple_order(1))
    assert claim(world, TWO).ok
    later = NOW + timedelta(minutes=4)
    taken = claim(world, ONE, at=later, take_over=True)
    assert taken.ok and taken.record["station"] == ONE and taken.record["claimed_at"] == later.isoformat()
    assert pack(world, TWO, at=later).code == "package_claimed"
    with world.db.read() as s:
        events = s.exec(select(OrderEvent).where(OrderEvent.kind == "claim_taken_over")).all()
    assert len(events) == 1 and TWO in events[0].detail and ONE in events[0].detail
    assert pack(world, ONE, at=later).ok


def test_only_a_package_that_can_be_packed_is_claimed(make_world):
    world = make_world(simple_order(1, status="awaiting_collection"), simple_order(2, paid=None),
                       simple_order(3))
    assert claim(world, ONE).code == "wrong_package_status"
    assert claim(world, ONE, package=pid(2)).code == "not_ready_to_ship"
    assert claim(world, ONE, package="115999999999999999").code == "unknown_package"
    assert claim(world, ONE, package=pid(3), shop=OTHER_SHOP).code == "forbidden"
    assert claim(world, ONE, package=pid(3), shop=SHOP).ok
    assert world.count("package_claims") == 1


@pytest.mark.parametrize("round_", range(3))
def test_two_stations_claiming_at_once_exactly_one_wins(make_world, round_):
    """Two stations, each with its own connection (its own Database), claim the same
    packages at the same moment (a barrier before each): one claim wins each package,
    the other is refused, and the claim row names the winner."""
    packages = 6
    world = make_world(*(simple_order(n) for n in range(1, packages + 1)))
    stations = {name: Database(world.db.url) for name in (ONE, TWO)}
    barrier = threading.Barrier(2, timeout=PATIENCE)
    results: dict[str, list] = {name: [] for name in stations}

    def station(name: str) -> None:
        for n in range(1, packages + 1):
            barrier.wait()
            results[name].append(services.claim_package(stations[name], pid(n), now=NOW, station=name))

    threads = [threading.Thread(target=station, args=(name,)) for name in stations]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(PATIENCE)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        for db in stations.values():
            db.dispose()
    for n in range(1, packages + 1):
        outcomes = {name: results[name][n - 1] for name in stations}
        winners = [name for name, result in outcomes.items() if result.ok]
        losers = [result for result in outcomes.values() if not result.ok]
        assert len(winners) == 1, outcomes
        assert [r.code for r in losers] == ["package_claimed"]
        assert claim_row(world, pid(n)).station == winners[0]
