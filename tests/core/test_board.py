"""core.queries.board: keyset pages match a plain sort, counts, search, the scanner,
the cancel preview equals what the service refunds, and the queries use indexes."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import services, synthetic
from core.queries import orders as queries
from core.queries import board
from core.queries.cards import TAB_ORDER, BoardFilter
from core.clock import parse_instant
from core.db import Database
from core.demo import load_demo
from core.models import Order, OrderLine

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SPLIT_ORDER = "576557467139907374"


@pytest.fixture(scope="module")
def many_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("board") / "many.db"
    db = Database(f"sqlite:///{path}")
    assert load_demo(db).ok
    synthetic.generate(db, 4000, seed=3, now=NOW, workers=0)
    db.dispose()
    return path


@pytest.fixture
def many(many_template, tmp_path):
    path = tmp_path / "many.db"
    shutil.copy(many_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


def all_pages(session, flt, limit=37):
    out, after = [], None
    while True:
        page = board.page_keys(session, flt, after=after, limit=limit)
        out += page
        if len(page) < limit:
            return out
        after = page[-1]


def naive(session, flt):
    query = select(Order.created_at, Order.id).where(Order.shop_id == flt.shop_id)
    if flt.statuses:
        query = query.where(Order.status.in_(flt.statuses))
    if flt.skus:
        query = query.where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku.in_(flt.skus))))
    return [tuple(r) for r in session.exec(query.order_by(Order.created_at.desc(), Order.id.desc())).all()]


def test_keyset_pages_walk_every_tab_exactly_like_a_sort(many):
    with many.read() as session:
        shop = queries.shops(session)[-1]
        skus = [s for s, _ in board.shop_skus(session, shop.id)][:2]
        for tab in TAB_ORDER:
            flt = BoardFilter(shop.id, tab)
            assert all_pages(session, flt) == naive(session, flt), tab
        for status in ("awaiting_shipment", "awaiting_collection"):
            flt = BoardFilter(shop.id, "to_ship", status)
            assert all_pages(session, flt) == naive(session, flt)
        flt = BoardFilter(shop.id, "all", skus=frozenset(skus))
        assert all_pages(session, flt) == naive(session, flt)


def test_pages_backwards_and_from_an_anchor(many):
    with many.read() as session:
        shop = queries.shops(session)[-1]
        flt = BoardFilter(shop.id, "completed")
        keys = naive(session, flt)
        assert board.page_keys(session, flt, before=keys[60], limit=20) == keys[40:60]
        assert board.page_keys(session, flt, at=keys[60], limit=20) == keys[60:80]
        assert board.page_keys(session, flt, after=keys[60], limit=20) == keys[61:81]


def test_counts_per_status_and_tab(many):
    with many.read() as session:
        shop = queries.shops(session)[0]
        counts = board.counts(session, shop.id)
        for status, n in counts.by_status.items():
            assert n == session.exec(select(func.count()).select_from(Order).where(
                Order.shop_id == shop.id, Order.status == status)).one()
        assert counts.by_tab["to_ship"] == counts.by_status["awaiting_shipment"] + \
            counts.by_status["awaiting_collection"]
        assert counts.by_tab["all"] == sum(counts.by_status.values())


def test_a_card_carries_packages_lines_amounts_and_request(many):
    with many.read() as session:
        card = board.load_cards(session, [SPLIT_ORDER])[0]
        view = queries.order_view(session, SPLIT_ORDER, NOW)
    assert [p.id for p in card.packages] == [p["id"] for p in view["packages"]]
    assert [l.id for p in card.packages for l in p.lines] == \
        [l["id"] for p in view["packages"] for l in view["lines"] if l["package_id"] == p["id"]]
    assert card.total == view["totals"]["total"]
    assert card.buyer == view["buyer"] and card.version == view["version"]


def test_search(many):
    with many.read() as session:
        shop = board.shop_by_name(session, "Lakehouse Home")
        assert board.search_ids(session, shop.id, SPLIT_ORDER) == [SPLIT_ORDER]
        assert SPLIT_ORDER in board.search_ids(session, shop.id, SPLIT_ORDER[-7:])
        found = board.search_ids(session, shop.id, "aisha")
        assert SPLIT_ORDER in found


def test_the_cancel_preview_is_what_the_service_refunds(many):
    now = parse_instant("2026-11-20T12:00:00Z")
    with many.read() as session:
        snap = board.snapshot(session, SPLIT_ORDER)
    choices = snap.item_choices("out_of_stock")
    open_line = next(c for c in choices if c.allowed)
    assert [c.allowed for c in choices].count(False) == 2
    preview = board.cancel_preview(snap, "items", items={open_line.id: 1})
    result = services.seller_cancel(many, SPLIT_ORDER, "out_of_stock", now=now, items={open_line.id: 1},
                                    expected_version=snap.version, expected_refund=preview.refund.total)
    assert result.ok and result.record["refund"]["total"] == preview.refund.total
    # items only with Out of Stock
    assert not snap.items_allowed("pricing_error").allowed
    assert all(not c.allowed for c in snap.item_choices("pricing_error"))


def plan(session, query) -> str:
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
    return "\n".join(r[-1] for r in rows)


def test_board_queries_use_indexes(many, monkeypatch):
    """EXPLAIN QUERY PLAN: every page query searches an index and sorts nothing."""
    captured = []
    real = board._keys

    def spy(session, flt, status, **kw):
        captured.append((flt, status, kw))
        return real(session, flt, status, **kw)

    monkeypatch.setattr(board, "_keys", spy)
    with many.read() as session:
        shop = queries.shops(session)[0]
        key = board.page_keys(session, BoardFilter(shop.id, "all"), limit=5)[-1]
        for tab in TAB_ORDER:
            board.page_keys(session, BoardFilter(shop.id, tab), after=key)
            board.page_keys(session, BoardFilter(shop.id, tab, skus=frozenset({"X"})), before=key)
        from sqlalchemy import and_, exists, or_

        for flt, status, kw in captured:
            query = select(Order.created_at, Order.id).where(Order.shop_id == flt.shop_id)
            if status:
                query = query.where(Order.status == status)
            if flt.skus:
                query = query.where(exists().where(OrderLine.order_id == Order.id,
                                                   OrderLine.sku.in_(sorted(flt.skus))))
            after = kw.get("after") or kw.get("before")
            if after is None:
                continue
            query = query.where(or_(Order.created_at < after[0],
                                    and_(Order.created_at == after[0], Order.id < after[1])))
            text = plan(session, query.order_by(Order.created_at.desc(), Order.id.desc()).limit(30))
            assert "USING" in text and "INDEX" in text, text
            assert "TEMP B-TREE" not in text, text
            assert "SCAN orders" not in text or "COVERING INDEX" in text, text
