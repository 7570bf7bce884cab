"""Confirm what can't be undone (issue 15): the app shows the refund of an approval or of a
returned package, then runs the command with that figure (`expected_refund`). A different
figure is refused (`conflict`) and changes nothing; the same figure is what is refunded."""

from __future__ import annotations

from core import services
from tests.core.builders import NOW, SIMPLE_TOTAL, oid, pid, simple_order


def test_approving_with_the_refund_shown_refunds_it_and_another_figure_is_refused(make_world):
    world = make_world(simple_order(1, status="awaiting_collection"))
    request = services.request_cancellation(world.db, oid(1), "no_longer_needed", now=NOW).record
    before = world.dump()
    wrong = services.approve_request(world.db, request["id"], now=NOW, expected_refund=SIMPLE_TOTAL - 1)
    assert wrong.code == "conflict" and "Review the refund again" in wrong.message
    assert world.dump() == before
    done = services.approve_request(world.db, request["id"], now=NOW, expected_refund=SIMPLE_TOTAL)
    assert done.ok and done.record["refund"]["total"] == SIMPLE_TOTAL
    assert world.order(oid(1)).status == "cancelled"


def test_receiving_a_return_with_the_refund_shown_refunds_it_and_another_figure_is_refused(make_world):
    world = make_world(simple_order(1, status="in_transit"))
    assert services.refuse_delivery(world.db, pid(1), now=NOW).ok
    before = world.dump()
    wrong = services.receive_return(world.db, pid(1), now=NOW, expected_refund=1)
    assert wrong.code == "conflict"
    assert world.dump() == before
    done = services.receive_return(world.db, pid(1), now=NOW, expected_refund=SIMPLE_TOTAL)
    assert done.ok and done.record["refund"]["total"] == SIMPLE_TOTAL
    assert world.package(pid(1)).status == "cancelled"
