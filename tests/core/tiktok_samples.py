"""Sample Seller Center order exports for the import tests (invented data, no real people).

`row(order_id, **fields)` is one SKU row with sensible defaults (an unsplit To Ship
order, USD, DD/MM/YYYY times); field names are the export's headers with spaces
as underscores and `#` dropped (`Order_Status`, `Phone`). `write_csv` and
`write_xlsx` write rows the way the different exports do.
"""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = [
    "Order ID", "Order Status", "Order Substatus", "Cancelation/Return Type", "SKU ID", "Seller SKU",
    "Product Name", "Variation", "Quantity", "Sku Quantity of return", "SKU Unit Original Price",
    "SKU Subtotal Before Discount", "SKU Platform Discount", "SKU Seller Discount",
    "SKU Subtotal After Discount", "Shipping Fee After Discount", "Original Shipping Fee",
    "Shipping Fee Seller Discount", "Shipping Fee Platform Discount", "Taxes", "Order Amount",
    "Order Refund Amount", "Created Time", "Paid Time", "RTS Time", "Shipped Time", "Delivered Time",
    "Cancelled Time", "Cancel By", "Cancel Reason", "Fulfillment Type", "Warehouse Name",
    "Tracking ID", "Delivery Option", "Shipping Provider Name", "Buyer Message", "Buyer Username",
    "Recipient", "Phone #", "Zipcode", "Country", "State", "City", "Detail Address", "Package ID",
    "Seller Note",
]
NOW = "2026-11-20T12:00:00Z"


def oid(n: int) -> str:
    return f"5771{n:014d}"


def pkg(n: int) -> str:
    return f"1151{n:014d}"


def _key(header: str) -> str:
    return header.replace("#", "").strip().replace(" ", "_").replace("/", "_")


DEFAULTS = {
    "Order Status": "To ship", "Order Substatus": "Awaiting shipment", "Cancelation/Return Type": "",
    "SKU ID": "1729000000000001", "Seller SKU": "MUG-01", "Product Name": "Stoneware mug",
    "Variation": "Blue", "Quantity": "2", "Sku Quantity of return": "0",
    "SKU Unit Original Price": "$12.50", "SKU Subtotal Before Discount": "$25.00",
    "SKU Platform Discount": "$0.00", "SKU Seller Discount": "$1.00",
    "SKU Subtotal After Discount": "$24.00", "Shipping Fee After Discount": "$4.99",
    "Original Shipping Fee": "$5.99", "Shipping Fee Seller Discount": "$1.00",
    "Shipping Fee Platform Discount": "$0.00", "Taxes": "$2.00", "Order Amount": "$30.99",
    "Order Refund Amount": "", "Created Time": "14/11/2026 09:15:00", "Paid Time": "14/11/2026 09:16:30",
    "RTS Time": "", "Shipped Time": "", "Delivered Time": "", "Cancelled Time": "", "Cancel By": "",
    "Cancel Reason": "", "Fulfillment Type": "Fulfillment by seller", "Warehouse Name": "Main",
    "Tracking ID": "", "Delivery Option": "Standard shipping", "Shipping Provider Name": "",
    "Buyer Message": "", "Buyer Username": "testbuyer1", "Recipient": "Alex Example",
    "Phone #": "(+1)555*****01", "Zipcode": "73301", "Country": "United States", "State": "Texas",
    "City": "Austin", "Detail Address": "1 Example Way", "Package ID": "", "Seller Note": "",
}


def row(order_id: str, **fields) -> dict:
    """One SKU row: DEFAULTS, the Order ID, then `fields` (keys as in `_key`)."""
    out = dict(DEFAULTS, **{"Order ID": order_id})
    by_key = {_key(h): h for h in HEADER}
    for name, value in fields.items():
        out[by_key.get(name, name)] = value
    return out


def write_csv(path: Path, rows: list[dict], *, header: list[str] | None = None,
              encoding: str = "utf-8", delimiter: str = ",", rename: dict | None = None) -> Path:
    header = header or HEADER
    rename = rename or {}
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow([rename.get(h, h) for h in header])
        for r in rows:
            writer.writerow([r.get(h, "") for h in header])
    return path


def write_xlsx(path: Path, rows: list[list], header: list[str]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def edit_part(path: Path, part: str, edit, out: Path | None = None) -> Path:
    """A copy of the XLSX at `path` (or `path` itself) with its part `part` replaced by
    `edit(xml)` (`edit(None)` when there is no such part, and None leaves it out): to
    build files no spreadsheet program writes."""
    import zipfile

    out = out or path
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info).decode() for info in src.infolist()}
    parts[part] = edit(parts.get(part))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            if data is not None:
                dst.writestr(name, data.encode(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out


def edit_sheet(path: Path, edit, out: Path | None = None) -> Path:
    """`edit_part` on the first worksheet."""
    return edit_part(path, "xl/worksheets/sheet1.xml", edit, out)


def with_shared_strings(path: Path) -> Path:
    """The XLSX (as openpyxl writes it: texts inline) rewritten the way Excel writes it:
    every text once in xl/sharedStrings.xml, cells referring to it by index."""
    import re

    strings: dict[str, int] = {}

    def share(match) -> str:
        index = strings.setdefault(match[2], len(strings))
        return f'<c{match[1]} t="s"><v>{index}</v></c>'

    edit_sheet(path, lambda xml: re.sub(r'<c([^>]*?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', share, xml))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    edit_part(path, "xl/sharedStrings.xml", lambda _: (
        f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{text}</t></si>" for text in strings) + "</sst>"))
    edit_part(path, "xl/_rels/workbook.xml.rels", lambda xml: xml.replace("</Relationships>", (
        '<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings"/></Relationships>')))
    edit_part(path, "[Content_Types].xml", lambda xml: xml.replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')))
    return path


def replace_cell(ref: str, xml: str):
    """An `edit_sheet` edit: the cell at `ref` ("F3") becomes `xml`."""
    import re

    def edit(sheet: str) -> str:
        sheet, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', xml, sheet, count=1)
        assert n == 1, f"no cell {ref}"
        return sheet

    return edit
