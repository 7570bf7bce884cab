"""Scanned labels (core.queries.scan), the pack check (core.queries.packing) and product
barcodes (migration 0006; the demo data, synthetic data and the TikTok import), on the
demo data; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core import synthetic
from core.db import Database
from core.demo import load_demo
from core.models import Order, Product
from core.queries import board, packing, scan
from core.queries.labels import MAX_CHARS, is_gtin, with_check_digit
from core.results import Refusal
from core.tiktok_import import import_file
from tests.core.tiktok_samples import HEADER, oid, row, write_csv
from tests.databases import fresh_url

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SHOP, METRO = "Lakehouse Home", "Metro Kit Co."
SPLIT_ORDER = "576557467139907374"
TO_PACK, PACKED = "115820828613482427", "115585420654459004"  # SPLIT_ORDER's packages
USPS = "9400940572075546528806"  # PACKED's tracking number
UPS_ORDER, UPS_PACKAGE, UPS = "576088046497356603", "115401201713091265", "1ZLUFKSH7610249346"
MUG, JAR, TOWEL = "084217000015", "084217000053", "084217000022"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = Database(fresh_url(tmp_path_factory.mktemp("scan"), "demo"))
    assert load_demo(db).ok
    yield db
    db.dispose()


class Undo(Exception):
    """Raised to roll a test's write back (the module's demo database is shared)."""


def look(db, text, shop=SHOP, **kw):
    with db.read() as session:
        return scan.lookup(session, board.shop_by_name(session, shop).id, text, **kw)


@pytest.mark.parametrize("label, kind, order, package", [
    (SPLIT_ORDER, "order", SPLIT_ORDER, None),
    (SPLIT_ORDER[-4:], "order", SPLIT_ORDER, None),
    (SPLIT_ORDER[-11:], "order", SPLIT_ORDER, None),
    (f"  {SPLIT_ORDER}\r\n", "order", SPLIT_ORDER, None),  # a wedge's stray whitespace
    (TO_PACK, "package", SPLIT_ORDER, TO_PACK),
    (PACKED, "package", SPLIT_ORDER, PACKED),
    (USPS, "tracking", SPLIT_ORDER, PACKED),  # 22 digits, none cut
    ("abc" + SPLIT_ORDER, "order", SPLIT_ORDER, None),  # typed after other text
])
def test_a_label_names_its_order_and_package(demo, label, kind, order, package):
    match = look(demo, label)
    assert (match.kind, match.order_id, match.package_id) == (kind, order, package)
    assert match.opens_order


def test_an_alphanumeric_tracking_number_in_any_case(demo):
    for label in (UPS, UPS.lower()):
        match = look(demo, label, METRO)
        assert (match.kind, match.order_id, match.package_id, match.package_status) == \
            ("tracking", UPS_ORDER, UPS_PACKAGE, "awaiting_collection")


@pytest.mark.parametrize("label", [
    "", "123", "9400000000000000000001", "1ZZZZZZZ0000000000", UPS, "576851466703227585",  # another shop's
    "1" * (MAX_CHARS + 1), "5765 5746", "576%", "57_6", "x' OR 1=1 --", "١٢٣٤٥",  # Arabic-Indic digits
])
def test_what_names_nothing_of_the_shop_is_nothing(demo, label):
    match = look(demo, label)
    assert match.kind == "nothing" and not match.opens_order
    assert "no order, package, tracking number or product of Lakehouse Home" in match.message(SHOP)
    assert len(match.message(SHOP)) < 300  # what was read is shown, bounded


def test_a_suffix_of_several_orders_is_ambiguous(demo):
    twin = "576000000000" + SPLIT_ORDER[-6:]  # another order ending in the same 6 digits
    with pytest.raises(Undo), demo.write() as session:
        order = session.get(Order, SPLIT_ORDER)
        session.add(Order(**{**order.model_dump(), "id": twin}))
        session.flush()
        shop_id = order.shop_id
        ambiguous = scan.lookup(session, shop_id, SPLIT_ORDER[-6:])
        longer = scan.lookup(session, shop_id, SPLIT_ORDER[-13:])
        raise Undo
    assert ambiguous.kind == "ambiguous" and not ambiguous.opens_order
    assert "Several orders" in ambiguous.message(SHOP)
    assert (longer.kind, longer.order_id) == ("order", SPLIT_ORDER)


def test_a_product_barcode_outside_and_inside_a_pack_check(demo):
    outside = look(demo, MUG)
    assert (outside.kind, outside.sku, outside.order_id) == ("product", "LH-MUG-350", None)
    assert "LH-MUG-350" in outside.message(SHOP) and not outside.opens_order
    inside = look(demo, MUG, packing=TO_PACK)
    assert (inside.kind, inside.sku, inside.package_id, inside.order_id) == \
        ("product", "LH-MUG-350", TO_PACK, SPLIT_ORDER)
    wrong = look(demo, TOWEL, packing=TO_PACK)  # the shop's product, not in this package
    assert (wrong.kind, wrong.sku, wrong.package_id) == ("product", "LH-TWL-BTH", None)
    assert look(demo, MUG, METRO, packing=TO_PACK).kind == "nothing"  # another shop's product


def test_the_pack_check_lists_units_and_what_is_short(demo):
    with demo.read() as session:
        check = packing.pack_check(session, TO_PACK, shop=SHOP)
        assert isinstance(packing.pack_check(session, TO_PACK, shop=METRO), Refusal)
        assert packing.pack_check(session, "115000000000000000", shop=SHOP).code == "unknown_package"
    assert check.pack.allowed and check.order_id == SPLIT_ORDER and check.units == 3
    by_sku = {l.sku: l for l in check.lines}
    assert (by_sku["LH-MUG-350"].units, by_sku["LH-MUG-350"].barcode) == (2, MUG)
    assert (by_sku["LH-JAR-SET"].units, by_sku["LH-JAR-SET"].barcode) == (1, JAR)
    mug, jar = by_sku["LH-MUG-350"].line_id, by_sku["LH-JAR-SET"].line_id
    assert check.short({mug: 2}) == {jar: 1}
    assert check.why_not_short({mug: 2}) is None
    assert not check.all_confirmed({mug: 2}) and check.all_confirmed({mug: 2, jar: 1})
    assert check.why_not_short({mug: 2, jar: 1}) == "Every unit is confirmed: nothing is short."
    assert check.confirmed_within({mug: 5, "gone": 1}) == {mug: 2}
    assert check.as_dict()["lines"][0]["barcode"] in (MUG, JAR)


def test_a_packed_package_has_no_pack_to_check(demo):
    with demo.read() as session:
        check = packing.pack_check(session, PACKED, shop=SHOP)
    assert not check.pack.allowed and check.pack.why_not


def test_a_barcode_is_unique_per_shop(demo):
    with pytest.raises(IntegrityError):
        with demo.write() as session:
            shop = board.shop_by_name(session, SHOP)
            session.add(Product(shop_id=shop.id, sku="LH-NEW", title="New", price=100, barcode=MUG))
    with pytest.raises(Undo), demo.write() as session:  # another shop may use it; many may have none
        metro = board.shop_by_name(session, METRO)
        session.add(Product(shop_id=metro.id, sku="MK-NEW", title="New", price=100, barcode=MUG))
        session.add(Product(shop_id=metro.id, sku="MK-NEW2", title="New", price=100))
        session.add(Product(shop_id=metro.id, sku="MK-NEW3", title="New", price=100))
        session.flush()
        raise Undo


def test_every_demo_and_synthetic_product_has_a_barcode(demo, tmp_path):
    with demo.read() as session:
        codes = session.exec(select(Product.barcode)).all()
    assert codes and all(code and is_gtin(code) for code in codes)
    db = Database(fresh_url(tmp_path, "synthetic"))
    try:
        synthetic.generate(db, 50, seed=1, now=NOW, workers=0)
        with db.read() as session:
            rows = session.exec(select(Product.shop_id, Product.barcode)).all()
    finally:
        db.dispose()
    assert rows and all(code and is_gtin(code) and with_check_digit(code[:-1]) == code for _, code in rows)
    assert len(set(rows)) == len(rows)


def test_the_tiktok_import_takes_a_barcode_column_when_the_export_has_one(tmp_path):
    db = Database(fresh_url(tmp_path, "import"))
    try:
        path = write_csv(tmp_path / "a.csv", [
            {**row(oid(1)), "GTIN/UPC": "0 84217 00001 5"},
            {**row(oid(2), Seller_SKU="TEE-M"), "GTIN/UPC": "084217000015"},  # taken by MUG-01: not given
            {**row(oid(3), Seller_SKU="CAP"), "GTIN/UPC": "not a code"},
        ], header=[*HEADER, "GTIN/UPC"])
        assert import_file(db, path, now=NOW)["problems"] == []
        with db.read() as session:
            codes = dict(session.exec(select(Product.sku, Product.barcode)).all())
            shop_id = session.exec(select(Product.shop_id)).first()
            assert scan.lookup(session, shop_id, "084217000015").sku == "MUG-01"
    finally:
        db.dispose()
    assert codes == {"MUG-01": "084217000015", "TEE-M": None, "CAP": None}


def test_check_digits():
    assert with_check_digit("08421700001") == "084217000015"  # UPC-A
    assert with_check_digit("400638133393") == "4006381333931"  # EAN-13
    assert not is_gtin("1234567") and is_gtin("12345678") and not is_gtin("1" * 15) and not is_gtin("١٢٣٤٥٦٧٨")
