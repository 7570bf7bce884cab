"""Packing slips (issue 15): what the slip says, read in one go, rendered to a PDF whose
barcode a real decoder reads back, and sent to `lp`.

The barcode is read the way a station would meet it: the page rasterized at 203 dpi
(a thermal label printer's resolution, the coarsest a station prints at) and decoded
with zxing-cpp, a real decoder."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime

import pypdfium2 as pdfium
import pytest
import zxingcpp

from core import rules, slips
from core.queries.slips import PackingSlip, SlipLine, packing_slip
from core.results import Refusal
from tests.core.builders import (
    OTHER_SHOP, PAID, PAID_ON_HOLD, SHOP, lid, line, oid, order, package, pid, simple_order, split_order,
)

STATION_DPI = 203


def pages(pdf: bytes) -> list[tuple[str, list]]:
    """Each page's text and the barcodes decoded from it at the station's resolution."""
    document = pdfium.PdfDocument(pdf)
    try:
        out = []
        for page in document:
            text = page.get_textpage().get_text_range()
            image = page.render(scale=STATION_DPI / 72).to_pil()
            out.append((text, zxingcpp.read_barcodes(image)))
        return out
    finally:
        document.close()


def read(world, package_id: str, **kw) -> PackingSlip | Refusal:
    with world.db.read() as session:
        return packing_slip(session, package_id, **kw)


def a_slip(lines, **kw) -> PackingSlip:
    fields = dict(shop=SHOP, order_id=oid(1), package_id=pid(1), package_status="awaiting_shipment",
                  ship_by=datetime(2026, 11, 23, 8, tzinfo=UTC), recipient="Mia Chen",
                  address="1 Elm St, Springfield", lines=tuple(lines))
    return PackingSlip(**{**fields, **kw})


# -- what the slip says ---------------------------------------------------------------------
def test_a_slip_lists_the_units_still_to_pack_and_the_ship_by_deadline(make_world):
    world = make_world(order(1, package(1, line(11, "MUG", 3), line(12, "LAMP", 1), line(13, "VASE", 2)),
                             then=[{"do": "cancel_items", "at": "2026-11-20T09:00:00Z",
                                    "items": {lid(11): 1, lid(13): 2}}]))
    slip = read(world, pid(1))
    assert [(l.sku, l.units) for l in slip.lines] == [("MUG", 2), ("LAMP", 1)]  # VASE: nothing left
    assert slip.units == 3
    assert slip.ship_by == world.order(oid(1)).ship_by == datetime(2026, 11, 23, 8, tzinfo=UTC)  # paid + 72 h
    assert (slip.shop, slip.order_id, slip.recipient, slip.address) == (
        SHOP, oid(1), "Mia Chen", "1 Elm St, Springfield")
    assert slip.as_dict()["lines"] == [
        {"line_id": lid(11), "sku": "MUG", "title": "Stoneware Mug", "units": 2},
        {"line_id": lid(12), "sku": "LAMP", "title": "Desk Lamp", "units": 1}]


def test_only_the_packages_own_lines_are_on_its_slip(make_world):
    world = make_world(split_order(1, first="awaiting_shipment", second="awaiting_collection"))
    assert [l.sku for l in read(world, pid(11)).lines] == ["MUG", "LAMP"]
    assert [l.sku for l in read(world, pid(12)).lines] == ["VASE"]  # awaiting collection: still gets one


@pytest.mark.parametrize("status", ["in_transit", "delivered", "returned"])
def test_a_package_that_left_gets_no_slip(make_world, status):
    world = make_world(simple_order(1, status=status))
    refused = read(world, pid(1))
    assert isinstance(refused, Refusal) and refused.code == "wrong_package_status"
    assert rules.STATUS_LABELS[status] in refused.message


def test_a_cancelled_package_gets_no_slip(make_world):
    world = make_world(simple_order(1, then=[{"do": "cancel_order", "at": "2026-11-20T09:00:00Z",
                                              "reason": "out_of_stock"}]))
    refused = read(world, pid(1))
    assert refused.code == "wrong_package_status" and "Cancelled" in refused.message


@pytest.mark.parametrize("paid, label", [(None, "Unpaid"), (PAID_ON_HOLD, "On Hold")])
def test_an_order_not_ready_to_ship_gets_no_slip(make_world, paid, label):
    world = make_world(simple_order(1, paid=paid))
    refused = read(world, pid(1))
    assert refused.code == "not_ready_to_ship" and label in refused.message


def test_a_shop_gets_slips_of_its_own_packages_only(make_world):
    world = make_world(simple_order(1))
    assert read(world, pid(1), shop=SHOP).package_id == pid(1)
    refused = read(world, pid(1), shop=OTHER_SHOP)
    assert refused.code == "forbidden" and OTHER_SHOP in refused.message
    assert read(world, "115000000000000999").code == "unknown_package"


# -- the PDF ------------------------------------------------------------------------------
def test_the_rendered_slip_scans_back_to_the_package_id_and_reads_as_the_slip(make_world):
    world = make_world(order(1, package(1, line(11, "MUG", 3), line(12, "LAMP", 1)), paid=PAID,
                             then=[{"do": "cancel_items", "at": "2026-11-20T09:00:00Z", "items": {lid(11): 1}}]))
    [(text, codes)] = pages(slips.render(read(world, pid(1))))
    assert [(c.format, c.text) for c in codes] == [(zxingcpp.BarcodeFormat.Code128, pid(1))]
    for shown in (SHOP, f"Order: {oid(1)}", f"Package: {pid(1)}", "Ship by: Mon 23 Nov 2026, 08:00 UTC",
                  "Mia Chen", "1 Elm St, Springfield"):
        assert shown in text
    assert re.search(r"MUG\s+Stoneware Mug\s+2\b", text)  # the live units, not the 3 ordered
    assert re.search(r"LAMP\s+Desk Lamp\s+1\b", text)
    assert re.search(r"Units to pack\s+3\b", text)


def test_every_page_of_a_long_slip_carries_the_header_and_a_barcode_that_scans():
    lines = [SlipLine(f"l{n}", f"SKU-{n:03d}", f"Product number {n}", n % 4 + 1) for n in range(120)]
    read_back = pages(slips.render(a_slip(lines)))
    assert len(read_back) >= 3
    for text, codes in read_back:
        assert [c.text for c in codes] == [pid(1)] and f"Order: {oid(1)}" in text
    everything = "\n".join(text for text, _ in read_back)
    assert all(f"SKU-{n:03d}" in everything for n in range(120))


def test_texts_from_outside_are_printed_as_text_and_clipped_to_fit_a_page():
    """Titles and names come from imports: markup, CJK, control characters, 10,000 characters."""
    hostile = [SlipLine("l1", "<b>&amp;", "<font size=90>x</font> & <para>", 1),
               SlipLine("l2", "CJK-1", "陶瓷杯 😀 \x00\r\n end", 2),
               SlipLine("l3", "LONG", "y" * 10_000, 3)]
    pdf = slips.render(a_slip(hostile, shop="W" * 5_000, recipient="R" * 5_000, address="A" * 50_000))
    [(text, codes)] = pages(pdf)
    assert [c.text for c in codes] == [pid(1)]
    assert "<b>&amp;" in text and "<font size=90>x</font> & <para>" in text
    assert "end" in text and "y" * (slips.LIMITS["title"] - 1) + "…" in text.replace("\r\n", "")
    assert "y" * slips.LIMITS["title"] not in text.replace("\r\n", "")


# -- printing -----------------------------------------------------------------------------
def fake_lp(folder, *, says: str = "request id is Station-2-7 (1 file(s))", exit_code: int = 0):
    """An `lp` that records its arguments and standard input, says `says` and exits."""
    folder.mkdir(exist_ok=True)
    script = folder / "lp"
    script.write_text(f"""#!/bin/sh
printf '%s\\n' "$@" > "{folder}/argv"
cat > "{folder}/stdin"
printf '%s\\n' '{says}' >&2
exit {exit_code}
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def test_the_pdf_goes_to_lp_on_its_standard_input_never_through_a_shell(tmp_path, monkeypatch):
    spool = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{spool}:/usr/bin:/bin")
    pdf = slips.render(a_slip([SlipLine("l1", "MUG", "Mug", 1)]))
    said = slips.send_to_printer(pdf, "Station-2", "Packing slip 1; rm -rf ~")
    assert said == "request id is Station-2-7 (1 file(s))"
    assert (spool / "argv").read_text().splitlines() == ["-d", "Station-2", "-t", "Packing slip 1; rm -rf ~"]
    assert (spool / "stdin").read_bytes() == pdf


def test_what_a_failing_lp_says_is_the_error_and_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{fake_lp(tmp_path / 'bin', says='lp: The printer does not exist.', exit_code=1)}"
                               ":/usr/bin:/bin")
    with pytest.raises(slips.PrintError, match="Cannot print on Nowhere: lp says: lp: The printer does not exist."):
        slips.send_to_printer(b"%PDF", "Nowhere", "t")
    monkeypatch.setenv("PATH", f"{fake_lp(tmp_path / 'loud', says='x' * 1_000_000, exit_code=1)}:/usr/bin:/bin")
    with pytest.raises(slips.PrintError) as caught:
        slips.send_to_printer(b"%PDF", "Nowhere", "t")
    assert len(str(caught.value)) < slips.MESSAGE_BYTES + 100


def test_without_lp_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(slips.PrintError, match="`lp` command .* not installed"):
        slips.send_to_printer(b"%PDF", "Station-2", "t")
