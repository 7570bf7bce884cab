"""`orderdesk slip PACKAGE_ID -o FILE.pdf [--print] [--shop NAME]` on the demo data (issue 15):
the slip a station prints scans back into orderdesk; refusals change nothing and write
nothing; printing goes to `lp` (a fake one on PATH) or says what to set."""

from __future__ import annotations

import pytest

from tests.core.test_slips import fake_lp, pages
from tui.cli import main

TO_PACK = "115517092471264906"  # Lakehouse Home: LH-JAR-SET 2 (1 cancelled), LH-TWL-BTH 2
ORDER = "576822136523160258"
IN_TRANSIT = "115112144152503605"
CANCELLED = "115481669143743465"
ON_HOLD = "115616820766229203"


def test_the_slips_barcode_scanned_at_the_station_packs_that_package(od, tmp_path):
    pdf = tmp_path / "slip.pdf"
    made = od.ok("slip", TO_PACK, "-o", str(pdf))
    assert (made["file"], made["order_id"], made["units"]) == (str(pdf), ORDER, 3)
    [(text, codes)] = pages(pdf.read_bytes())
    assert ORDER in text and TO_PACK in text
    assert "LH-JAR-SET" in text and "LH-TWL-BTH" in text and "Units to pack 3" in text
    [scanned] = codes
    packed = od.ok("pack", scanned.text, "--shop", "Lakehouse Home")  # what the scanner types
    assert packed["status"] == "awaiting_collection"
    assert od.ok("slip", TO_PACK, "-o", str(pdf))["package_status"] == "awaiting_collection"  # still to hand over


@pytest.mark.parametrize("package_id, code", [
    (IN_TRANSIT, "wrong_package_status"), (CANCELLED, "wrong_package_status"), (ON_HOLD, "not_ready_to_ship"),
])
def test_a_package_with_nothing_to_pack_gets_no_slip_and_nothing_changes(od, tmp_path, package_id, code):
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(b"yesterday's slip")
    od("orders", "list")  # time's own work done first: the dump below compares only the refusal
    before = od.dump()
    run = od("slip", package_id, "-o", str(pdf), "--json")
    assert run.code == 1 and run.json["error"]["code"] == code
    assert pdf.read_bytes() == b"yesterday's slip" and od.dump() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".part" or p.name.startswith(".")) == []


def test_another_shops_package_is_forbidden(od, tmp_path):
    run = od("slip", TO_PACK, "-o", str(tmp_path / "slip.pdf"), "--shop", "Metro Kit Co.", "--json")
    assert run.code == 1 and run.json["error"]["code"] == "forbidden"
    assert not (tmp_path / "slip.pdf").exists()
    assert od.ok("slip", TO_PACK, "-o", str(tmp_path / "slip.pdf"), "--shop", "Lakehouse Home")["shop"] == \
        "Lakehouse Home"


@pytest.mark.parametrize("args, code, words", [
    (["115000000000000000", "-o", "{tmp}/slip.pdf"], "unknown_package", "There is no package"),
    ([TO_PACK], "bad_input", "Say where the slip goes"),
    ([TO_PACK, "-o", "-"], "bad_input", "write the PDF with -o FILE.pdf"),
    ([TO_PACK, "-o", "{tmp}/missing/slip.pdf"], "output", "check that the folder exists"),
    ([TO_PACK, "-o", "/dev/full"], "output", "No space left"),
    ([TO_PACK, "-o", "{tmp}"], "bad_input", "is a directory"),
])
def test_bad_input_is_exit_2_and_says_what_to_do(od, tmp_path, args, code, words):
    run = od("slip", *[a.replace("{tmp}", str(tmp_path)) for a in args], "--json")
    assert run.code == 2 and run.json["error"]["code"] == code and words in run.json["error"]["message"]


def test_dash_writes_the_pdf_to_standard_output(demo_template, tmp_path, capsysbinary, monkeypatch):
    from tests.databases import clone_url

    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    url = clone_url(demo_template, tmp_path)
    assert main(["--database-url", url, "slip", TO_PACK, "-o", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert captured.out.startswith(b"%PDF-") and b"Packing slip of package" in captured.err
    [(_, [code])] = pages(captured.out)
    assert code.text == TO_PACK


# -- printing -----------------------------------------------------------------------------
def test_print_sends_the_same_pdf_to_the_configured_printer(od, tmp_path, monkeypatch):
    spool = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{spool}:/usr/bin:/bin")
    monkeypatch.setenv("ORDERDESK_PRINTER", "Station-2")
    pdf = tmp_path / "slip.pdf"
    made = od.ok("slip", TO_PACK, "-o", str(pdf), "--print")
    assert (made["printer"], made["print_job"]) == ("Station-2", "request id is Station-2-7 (1 file(s))")
    assert (spool / "argv").read_text().splitlines() == ["-d", "Station-2", "-t", f"Packing slip {TO_PACK}"]
    assert (spool / "stdin").read_bytes() == pdf.read_bytes()
    run = od("slip", TO_PACK, "--print")  # the printer alone
    assert run.code == 0 and "to printer Station-2" in run.out


def test_the_printer_setting_in_the_settings_file_is_used_and_the_environment_wins(od, tmp_path, monkeypatch):
    spool = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{spool}:/usr/bin:/bin")
    monkeypatch.delenv("ORDERDESK_PRINTER", raising=False)
    config = tmp_path / "config.toml"
    config.write_text('printer = "Desk-Printer"\n')
    monkeypatch.setenv("ORDERDESK_CONFIG", str(config))
    assert od.ok("config", "show")["settings"]["printer"] == {"value": "Desk-Printer", "from": "file"}
    assert od.ok("slip", TO_PACK, "--print")["printer"] == "Desk-Printer"
    assert (spool / "argv").read_text().splitlines()[:2] == ["-d", "Desk-Printer"]
    monkeypatch.setenv("ORDERDESK_PRINTER", "Station-2")
    assert od.ok("slip", TO_PACK, "--print")["printer"] == "Station-2"
    monkeypatch.setenv("ORDERDESK_PRINTER", "two words")
    run = od("slip", TO_PACK, "--print", "--json")
    assert run.code == 2 and "ORDERDESK_PRINTER" in run.json["error"]["message"]
    assert "not a printer name" in run.json["error"]["message"]


def test_print_without_a_printer_says_what_to_set_and_prints_nothing(od, tmp_path, monkeypatch):
    monkeypatch.delenv("ORDERDESK_PRINTER", raising=False)
    spool = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{spool}:/usr/bin:/bin")
    run = od("slip", TO_PACK, "-o", str(tmp_path / "slip.pdf"), "--print", "--json")
    assert run.code == 2 and run.json["error"]["code"] == "no_printer"
    assert "ORDERDESK_PRINTER" in run.json["error"]["message"] and "`printer`" in run.json["error"]["message"]
    assert not (spool / "argv").exists() and not (tmp_path / "slip.pdf").exists()


def test_a_printer_failure_is_exit_1_with_what_lp_said(od, tmp_path, monkeypatch):
    spool = fake_lp(tmp_path / "bin", says="lp: The printer or class does not exist.", exit_code=1)
    monkeypatch.setenv("PATH", f"{spool}:/usr/bin:/bin")
    monkeypatch.setenv("ORDERDESK_PRINTER", "Nowhere")
    run = od("slip", TO_PACK, "-o", str(tmp_path / "slip.pdf"), "--print")
    assert run.code == 1
    assert "lp says: lp: The printer or class does not exist." in run.err
    assert f"The slip was written to {tmp_path / 'slip.pdf'}" in run.err
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no lp at all
    run = od("slip", TO_PACK, "--print", "--json")
    assert run.code == 1 and run.json["error"]["code"] == "print_failed"
    assert "not installed" in run.json["error"]["message"]
