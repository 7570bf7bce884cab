"""The order read models (core.queries.orders, core.queries.buyer) on the demo data:
frozen, their JSON without the screens' extra fields, the buyer's verdicts for an app
version, and the buyer app's set-wise lists agreeing with the orders read one by one."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.clock import parse_instant
from core.db import Database
from core.demo import load_demo
from core.queries import buyer as buyer_queries
from core.queries import orders as queries
from tests.databases import fresh_url

CLOCK = parse_instant("2026-11-20T12:00:00Z")
BUYERS = ("aisha.johnson", "carlos.mendez", "emily.nguyen")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    db = Database(fresh_url(tmp_path_factory.mktemp("demo"), "d"))
    assert load_demo(db).ok
    with db.read() as session:
        yield session
    db.dispose()


def every_order(session) -> list[queries.OrderView]:
    return queries.read_orders(session, CLOCK, limit=1000)


def test_read_models_are_frozen_and_their_json_is_the_contracts(session):
    for view in every_order(session):
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.status = "cancelled"  # type: ignore[misc]
        shown = view.as_dict()
        json.dumps(shown)  # JSON-ready, nothing left typed
        assert "buyer_cancel" not in shown and "buyer_reasons" not in shown  # the screens' own
        assert all(set(p) == {"id", "status", "tracking_number", "line_ids"} for p in shown["packages"])
        assert shown["totals"]["refunded"] == sum(c["refund"]["total"] for c in shown["cancellations"]
                                                  if c["status"] in ("success", "complete"))
        assert shown == queries.order_view(session, view.id, CLOCK)


def test_the_buyers_cancel_verdict_matches_the_actions_and_the_app_version(session):
    for view in every_order(session):
        assert view.buyer_cancel.allowed == ("cancel" in view.actions.buyer)
        if not view.buyer_cancel.allowed:
            assert view.buyer_cancel.why_not
    on_hold = next(v for v in every_order(session) if v.status == "on_hold" and v.shop == "Lakehouse Home")
    old = queries.read_order(session, on_hold.id, CLOCK, app_version="29.4.1")
    assert not old.buyer_cancel.allowed and old.buyer_cancel.next_step == "update_app"
    assert "30.0.0" in old.buyer_cancel.why_not
    bad = queries.read_order(session, on_hold.id, CLOCK, app_version="new")
    assert not bad.buyer_cancel.allowed and "is not an app version" in bad.buyer_cancel.why_not


def test_refusable_packages_are_exactly_those_on_their_way(session):
    for view in every_order(session):
        assert [p.id for p in view.packages if p.refusable] == \
            [p.id for p in view.packages if p.status == "in_transit"]
        assert ("refuse_delivery" in view.actions.buyer) == any(p.refusable for p in view.packages)


@pytest.mark.parametrize("username", BUYERS)
def test_your_orders_agrees_with_each_order_read_whole(session, username):
    whole = {v.id: v for v in queries.read_orders(session, CLOCK, buyer=username, limit=1000)}
    rows = buyer_queries.your_orders(session, CLOCK, username=username).rows
    assert [row.id for row in rows] == list(whole)  # newest first, the same orders
    for row in rows:
        view = whole[row.id]
        assert (row.status, row.status_text, row.currency) == (view.status, view.status_text, view.currency)
        assert (row.total, row.refunded) == (view.totals.total, view.totals.refunded)
        assert row.request_pending == (view.pending_request is not None)
        assert row.items == tuple((line.quantity, line.title) for line in view.lines)


@pytest.mark.parametrize("username", BUYERS)
def test_the_profile_counts_each_tab_and_the_unread_notifications(session, username):
    profile = buyer_queries.profile(session, CLOCK, username=username)
    orders = buyer_queries.your_orders(session, CLOCK, username=username)
    assert dict(profile.tabs) == {tab: orders.count(tab) for tab in queries.BUYER_TABS}
    assert profile.unread == buyer_queries.inbox(session, CLOCK, username=username).unread
    assert buyer_queries.profile(session, CLOCK, username="nobody") is None
