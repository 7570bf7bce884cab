"""Packing slips on paper: a `PackingSlip` (core.queries.slips) rendered to PDF, and sent
to a printer with `lp` (issue 15).

Decisions where the spec is silent:
- US Letter, since the shops sell in USD; Helvetica, the standard PDF font, so no font
  file ships (a character it lacks, a CJK title say, prints as ■; SKUs stay readable).
- Every page carries the header: shop, order and package IDs, ship-by (UTC, as stored)
  and the Code 128 barcode of the package ID, so any page of a long slip scans. Sized
  for a handheld scanner: 0.5 mm narrowest bar (GS1's minimum for logistic labels), 20 mm
  tall, a quarter inch of quiet zone each side; an 18-digit ID (Code 128's digit set C)
  is then 80 mm wide, and decodes from the page rasterized at 90 dpi and up.
- Texts are clipped to a length that fits a page (a 10,000-character title from an
  import would otherwise not fit in its table cell): shop 80, recipient 200, address
  500, SKU 200, title 300 characters, the cut marked with "…".
- Printing runs `lp -d PRINTER -t TITLE`, never a shell, the PDF on its standard input;
  the printer's name is the `printer` setting (core.settings: the settings file or
  $ORDERDESK_PRINTER, checked there to be a name CUPS takes). What `lp` says is read through a temporary file, and only
  its first 2,000 bytes; it gets 60 s.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.queries.slips import PackingSlip

PAGE = LETTER
MARGIN = 15 * mm
BAR_WIDTH = 0.5 * mm  # the narrowest bar (GS1's "X-dimension" for logistic labels)
BAR_HEIGHT = 20 * mm
HEADER = 42 * mm  # from the top margin down to where the page's own content starts
PRINT_TIMEOUT = 60  # seconds for `lp` to take the job
MESSAGE_BYTES = 2_000  # of what `lp` says
LIMITS = {"shop": 80, "recipient": 200, "address": 500, "sku": 200, "title": 300}

_STYLE = ParagraphStyle("slip", fontName="Helvetica", fontSize=10, leading=13)
_BOLD = ParagraphStyle("bold", _STYLE, fontName="Helvetica-Bold")
_SHOP = ParagraphStyle("shop", _STYLE, fontName="Helvetica-Bold", fontSize=18, leading=22)
_FACT = ParagraphStyle("fact", _STYLE, fontSize=12, leading=16)
_UNITS_HEAD = ParagraphStyle("units_head", _BOLD, alignment=TA_RIGHT)
_UNITS = ParagraphStyle("units", _UNITS_HEAD, fontSize=13, leading=15)


def clip(text: str, kind: str) -> str:
    limit = LIMITS[kind]
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _para(text: str, style: ParagraphStyle = _STYLE) -> Paragraph:
    return Paragraph(escape(text), style)


def ship_by_text(slip: PackingSlip) -> str:
    return slip.ship_by.strftime("%a %d %b %Y, %H:%M UTC") if slip.ship_by else "not set"


def barcode(package_id: str) -> Code128:
    return Code128(package_id, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, humanReadable=True,
                   fontSize=11)


def render(slip: PackingSlip) -> bytes:
    """The slip as a PDF document."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + HEADER, bottomMargin=MARGIN + 8 * mm,
                            title=f"Packing slip {slip.package_id}", author=clip(slip.shop, "shop"),
                            subject=f"Order {slip.order_id}")
    header = _header(slip)
    doc.build(_story(slip, doc.width), onFirstPage=header, onLaterPages=header)
    return out.getvalue()


def _story(slip: PackingSlip, width: float) -> list:
    ship_to = [_para("Ship to", _BOLD), _para(clip(slip.recipient, "recipient"), _FACT),
               _para(clip(slip.address, "address"), _FACT)]
    rows = [[_para("SKU", _BOLD), _para("Item", _BOLD), _para("Units", _UNITS_HEAD)]]
    rows += [[_para(clip(line.sku, "sku")), _para(clip(line.title, "title")), _para(str(line.units), _UNITS)]
             for line in slip.lines]
    rows.append(["", _para("Units to pack", _BOLD), _para(str(slip.units), _UNITS)])
    table = Table(rows, colWidths=[0.28 * width, 0.57 * width, 0.15 * width], repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.grey),
        ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return [*ship_to, Spacer(1, 6 * mm), table]


def _header(slip: PackingSlip):
    """Draws the header (shrunk to fit, whatever the shop's name) and footer of every page."""
    def draw(canvas, doc) -> None:
        canvas.saveState()
        top = PAGE[1] - MARGIN
        code = barcode(slip.package_id)
        code.drawOn(canvas, PAGE[0] - MARGIN - code.width, top - code.height)
        facts = [_para("PACKING SLIP", _BOLD), _para(clip(slip.shop, "shop"), _SHOP), Spacer(1, 2 * mm)]
        facts += [Paragraph(f"<b>{label}:</b> {escape(value)}", _FACT)
                  for label, value in (("Order", slip.order_id), ("Package", slip.package_id),
                                       ("Ship by", ship_by_text(slip)))]
        width, height = PAGE[0] - 2 * MARGIN - code.width - 5 * mm, HEADER - 6 * mm
        block = KeepInFrame(width, height, facts, mode="shrink")
        _, used = block.wrapOn(canvas, width, height)
        block.drawOn(canvas, MARGIN, top - used)
        rule = top - HEADER + 3 * mm
        canvas.setLineWidth(1)
        canvas.line(MARGIN, rule, PAGE[0] - MARGIN, rule)
        canvas.setFont("Helvetica", 9)
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN, f"Package {slip.package_id} \u00b7 page {doc.page}")
        canvas.restoreState()

    return draw


# -- printing -----------------------------------------------------------------------------
class PrintError(Exception):
    """The slip could not be sent to the printer; the message says why and what to do."""


def send_to_printer(pdf: bytes, printer: str, title: str) -> str:
    """Queue `pdf` on `printer` with `lp`; returns what lp said (its request ID)."""
    with tempfile.TemporaryFile() as said:
        try:
            done = subprocess.run(["lp", "-d", printer, "-t", title], input=pdf, stdout=said,
                                  stderr=subprocess.STDOUT, timeout=PRINT_TIMEOUT, check=False)
        except FileNotFoundError as exc:
            raise PrintError("Cannot print: the `lp` command (CUPS) is not installed. Install the "
                             "CUPS client (e.g. the cups-client package), or write the slip with "
                             "-o FILE.pdf and print it yourself.") from exc
        except subprocess.TimeoutExpired as exc:
            raise PrintError(f"Cannot print: `lp` did not take the job within {PRINT_TIMEOUT} s. "
                             "Check the print system with `lpstat -t`.") from exc
        except OSError as exc:
            raise PrintError(f"Cannot print: `lp` could not be started ({exc.strerror}).") from exc
        said.seek(0)
        message = said.read(MESSAGE_BYTES).decode("utf-8", "replace").strip()
    if done.returncode != 0:
        why = message or f"it exited with code {done.returncode}"
        raise PrintError(f"Cannot print on {printer}: lp says: {why}")
    return message
