"""Reading a spreadsheet that came from outside (CSV or XLSX), within fixed bounds.

`open_table(path)` checks the file and gives a `Table`: its kind, encoding, header
and `rows()`, a stream of `(row number, cells, problem)` over the data rows (read
again from the start at each call). Row numbers are a spreadsheet's (the header is
row 1); blank rows are skipped. Whatever the file holds, memory and work stay
bounded: a file over a limit is refused (`TableFileError`, saying the limit), a cell
over a limit makes its row a bad row (`problem` names the column, the bad cell is
None) and the rest of the file is read as usual.

- Only a regular file is read. A FIFO, a device (/dev/zero), a directory or a socket
  is refused before anything is read: `stat` first, then `fstat` on the descriptor,
  opened non-blocking, so a FIFO swapped in meanwhile cannot block the import.
- MAX_FILE_BYTES: the file's size on disk; reading stops there even if it grows.
- MAX_ROWS data rows; one more and the file is refused. Blank rows are not counted
  there, but no file may have more than MAX_RECORDS rows in all (Excel's limit), so
  a file of empty lines or empty <row/> elements is refused quickly too.
- MAX_COLUMNS: cells past that column are ignored (an export has about 50 columns).
- MAX_CELL_CHARS: a longer cell, or one holding a NUL character (which no text
  export has and PostgreSQL cannot store), is a bad cell.
- CSV: the file is never held whole. Its encoding is decided by a first pass (see
  `_encoding`), rows are then parsed as a stream. A row (a record, line breaks in
  quotes included) longer than MAX_ROW_CHARS is a bad row and reading goes on at the
  next line.
- XLSX: the first worksheet, streamed with expat (the sheet's declared dimension is
  ignored: a row is the cells it holds, so `A1:XFD1048576` costs nothing). The sheet
  may unpack to MAX_SHEET_BYTES; its shared strings (kept in memory, as every cell
  may refer to any) to MAX_STRINGS_BYTES and MAX_STRINGS texts; the workbook, its
  relationships and styles to MAX_PART_BYTES each. Numbers are int or float (a
  non-finite one is a bad cell), cells styled as dates are datetimes (a serial out of
  Excel's range is a bad cell), booleans bool, everything else stripped text.
  openpyxl's read-only mode is not used to read cells: it builds each row whole (a
  157 KB file holding one row of 3 million cells took 1.9 GB), pads rows to the
  declared dimension, holds the shared strings unbounded and stops the whole sheet
  at its first malformed cell. It is used only for its table of number formats and its
  Excel calendar.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

MB = 1024 * 1024
MAX_FILE_BYTES = 100 * MB
MAX_ROWS = 200_000
MAX_RECORDS = 1_048_576  # rows of any kind, blank ones included: Excel's own limit
MAX_COLUMNS = 256
MAX_CELL_CHARS = 10_000
MAX_ROW_CHARS = 1_000_000
MAX_SHEET_BYTES = 1024 * MB
MAX_STRINGS_BYTES = 128 * MB
MAX_STRINGS = 4_000_000
MAX_PART_BYTES = 16 * MB
_CHUNK = 1 << 16


class TableFileError(Exception):
    """The file cannot be read at all (not a regular file, over a limit, damaged).
    The message says why and what to do."""


Rows = Iterator[tuple[int, list, str | None]]


@dataclass
class Table:
    kind: str  # "csv" | "xlsx"
    encoding: str | None
    header: list[str]
    _rows: Callable[[], Rows]
    size: int  # progress units: bytes of the file (CSV) or of the sheet's XML (XLSX)
    done: Callable[[], int]  # units read so far by the current pass

    def rows(self) -> Rows:
        """The data rows, from the start: (row number, cells, problem or None)."""
        for count, (n, cells, problem) in enumerate(self._rows(), start=1):
            if count > MAX_ROWS:
                raise TableFileError(
                    f"The file has more than {MAX_ROWS:,} rows, the most one import reads; "
                    "export a shorter date range (or split the file) and import each part.")
            yield n, cells, problem


@contextmanager
def open_table(path) -> Iterator[Table]:
    """The file at `path` as a Table (see the module doc); TableFileError when it
    cannot be read. Closes the file at the end of the `with` block."""
    path = Path(path)
    fd = _open_regular(path)
    try:
        head = _read_at(fd, 0, 8)
        if head[:4] == b"PK\x03\x04":
            table = _xlsx_table(fd, path)
        elif head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise TableFileError(f"{path.name} is an old Excel (.xls) file; open it and save it as XLSX "
                                 "or CSV, or export again from Seller Center.")
        else:
            table = _csv_table(fd, path)
        yield table
    finally:
        os.close(fd)


def _open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, a regular file of at most MAX_FILE_BYTES."""
    try:
        info = os.stat(path)
        _check_regular(path, info)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise TableFileError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        info = os.fstat(fd)  # the file opened is the one checked, even if it was swapped meanwhile
        _check_regular(path, info)
        if info.st_size > MAX_FILE_BYTES:
            raise TableFileError(f"{path.name} is {info.st_size / MB:,.1f} MB; the largest file one "
                                 f"import reads is {MAX_FILE_BYTES // MB} MB. Export a shorter date range "
                                 "(or split the file) and import each part.")
    except BaseException:
        os.close(fd)
        raise
    return fd


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _check_regular(path: Path, info: os.stat_result) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
    raise TableFileError(f"{path} is {kind}, not a file. Save the export as a file (CSV or XLSX) "
                         "and import that.")


def _read_at(fd: int, position: int, size: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, position)
    os.lseek(fd, position, os.SEEK_SET)  # pragma: no cover - Windows
    return os.read(fd, size)


class _CappedReader(io.RawIOBase):
    """The file's bytes with a position of its own (passes over the file never disturb
    each other, and the descriptor stays open), never past MAX_FILE_BYTES even if the
    file grows while it is read."""

    def __init__(self, fd: int, name: str):
        self._fd, self._name, self.position = fd, name, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.position, os.SEEK_END: os.fstat(self._fd).st_size}[whence]
        self.position = max(base + offset, 0)
        return self.position

    def readinto(self, buffer) -> int:
        data = _read_at(self._fd, self.position, max(min(len(buffer), MAX_FILE_BYTES + 1 - self.position), 0))
        self.position += len(data)
        if self.position > MAX_FILE_BYTES:
            raise TableFileError(f"{self._name} grew past {MAX_FILE_BYTES // MB} MB while it was read; "
                                 "import a finished export.")
        buffer[:len(data)] = data
        return len(data)


def _column_name(header: list[str], index: int) -> str:
    """A column by its header (clipped), else by its letters ("column AB")."""
    name = header[index].strip() if index < len(header) and header[index] else ""
    if name:
        return name if len(name) <= 40 else name[:40] + "…"
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"column {letters}"


def _too_long(chars: int) -> str:
    return f"has {chars:,} characters; a cell may hold at most {MAX_CELL_CHARS:,}"


def _too_many_records(name: str) -> str:
    return (f"{name} has more than {MAX_RECORDS:,} rows (blank ones included), more than a spreadsheet "
            f"holds; export a shorter date range.")


_NUL = "holds a NUL character, which no export has (the file is damaged)"


# -- CSV --------------------------------------------------------------------------------------------
def _csv_table(fd: int, path: Path) -> Table:
    encoding = _encoding(fd, path.name)
    current: list[_CappedReader] = []  # the reader of the latest pass, for progress

    def text() -> io.TextIOWrapper:
        current[:] = [_CappedReader(fd, path.name)]
        return io.TextIOWrapper(io.BufferedReader(current[0], _CHUNK), encoding=encoding, newline="")

    try:
        with text() as stream:
            start = stream.read(_CHUNK)
    except UnicodeDecodeError:  # it decoded a moment ago
        raise TableFileError(f"{path.name} changed while it was read; import it again.") from None
    if not start.strip():
        raise TableFileError(f"{path} is empty.")
    if "\x00" in start[:1000]:
        raise TableFileError(f"{path} is not a CSV or XLSX file.")
    first = start.removeprefix("\ufeff").partition("\n")[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    header: list[str] = []

    def records() -> Rows:
        with text() as stream:
            yield from _csv_records(stream, delimiter, header, path.name)

    for _, cells, _ in records():  # the first row is the header (a bad cell in it: no name)
        header = ["" if c is None else c.removeprefix("\ufeff") for c in cells]
        break

    def rows() -> Rows:
        it = records()
        next(it, None)  # the header
        return it

    return Table("csv", encoding, header, rows, os.fstat(fd).st_size,
                 lambda: current[0].position if current else 0)


def _encoding(fd: int, name: str) -> str:
    """A BOM decides (UTF-8, UTF-16 LE/BE); without one, a file with many NUL bytes in
    its first 4,000 is UTF-16, else strict UTF-8 if the whole file decodes, else cp1252,
    else latin-1 (which decodes anything). Each check is a pass over the file in
    chunks; a file that does not decode as its BOM (or its NUL bytes) says is refused."""
    with _CappedReader(fd, name) as raw:
        head = raw.read(4000)
    if head.startswith(b"\xef\xbb\xbf"):
        told = "utf-8-sig"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        told = "utf-16"
    elif head and head.count(b"\x00") > len(head) // 4:
        told = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    else:
        return next((e for e in ("utf-8", "cp1252") if _decodes(fd, name, e)), "latin-1")
    if not _decodes(fd, name, told):
        raise TableFileError(f"{name} is not a CSV or XLSX file (it does not read as {told.upper()} text, "
                             "as its start says); export it again.")
    return told


def _decodes(fd: int, name: str, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with _CappedReader(fd, name) as raw:
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


class _RecordTooLong(Exception):
    pass


class _RecordLines:
    """Physical lines for csv.reader, at most MAX_ROW_CHARS per record (the reader can
    never hold more for one row, whatever the file); the current record's lines are
    kept, to read what they can give when the record is refused."""

    def __init__(self, stream: io.TextIOWrapper):
        self.stream = stream
        self.left = MAX_ROW_CHARS
        self.lines: list[str] = []
        self.nul = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.stream.readline(self.left + 1)
        if not line:
            raise StopIteration
        self.lines.append(line)
        self.left -= len(line)
        if self.left < 0:
            raise _RecordTooLong
        if "\x00" in line:
            self.nul = True
        return line

    def new_record(self) -> None:
        self.left, self.lines, self.nul = MAX_ROW_CHARS, [], False

    def skip_line(self) -> None:
        """Drop the rest of an over-long line: the next record starts on the next line."""
        while (rest := self.stream.readline(_CHUNK)) and not rest.endswith(("\n", "\r")):
            pass


def _csv_records(stream, delimiter: str, header: list[str], name: str) -> Rows:
    # The record cap bounds a row; csv's own field limit (131,072 by default, a process-wide
    # setting) would only turn a long cell into a lost row, so it is raised to that cap.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_CHARS + 1))
    lines = _RecordLines(stream)
    reader = csv.reader(lines, delimiter=delimiter)
    n = 0
    while True:
        lines.new_record()
        n += 1
        if n > MAX_RECORDS:
            raise TableFileError(_too_many_records(name))
        problem = None
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (_RecordTooLong, csv.Error) as exc:
            # What the record's start gives (the Order ID, so its order is skipped whole);
            # its last cell is cut short, so it counts for nothing.
            if isinstance(exc, _RecordTooLong):
                lines.skip_line()
                problem = (f"the row is longer than {MAX_ROW_CHARS:,} characters (a cell may hold at most "
                           f"{MAX_CELL_CHARS:,})")
            else:
                problem = f"the row is not valid CSV ({exc})"
            try:
                start = io.StringIO("".join(lines.lines), newline="")
                cells = next(csv.reader(start, delimiter=delimiter), [])
            except csv.Error:
                cells = []
            cells[-1:] = [None] * len(cells[-1:])
        except UnicodeDecodeError:
            raise TableFileError(f"{name} changed while it was read; import it again.") from None
        if not problem and not any(c.strip() for c in cells):
            continue
        if len(cells) > MAX_COLUMNS:
            del cells[MAX_COLUMNS:]
        if problem or lines.nul or MAX_ROW_CHARS - lines.left > MAX_CELL_CHARS:  # else no cell can be bad
            for i, cell in enumerate(cells):
                if cell is None:
                    continue
                why = _too_long(len(cell)) if len(cell) > MAX_CELL_CHARS else _NUL if "\x00" in cell else None
                if why:
                    cells[i] = None
                    problem = problem or f"{_column_name(header, i)} {why}"
        yield n, cells, problem


# -- XLSX -------------------------------------------------------------------------------------------
_REL_TYPE = "/relationships/"


def _xlsx_table(fd: int, path: Path) -> Table:
    source = io.BufferedReader(_CappedReader(fd, path.name), _CHUNK)
    try:
        book = zipfile.ZipFile(source)
        sheet, strings, dates, epoch = _workbook(book)
    except TableFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the zip or XML stack raises, the file is damaged
        raise TableFileError(f"Cannot read {path} as XLSX ({str(exc)[:200] or type(exc).__name__}); open "
                             "it in a spreadsheet and save it again, or export it again.") from None
    state = {"done": 0}

    def rows() -> Rows:
        reader = _SheetReader(strings, dates, epoch, header, path.name)
        parser = reader.parser()
        try:
            with book.open(sheet) as src:
                state["done"] = 0
                while True:
                    chunk = src.read(_CHUNK)
                    state["done"] += len(chunk)
                    parser.Parse(chunk, not chunk)
                    yield from reader.take()
                    if not chunk:
                        return
        except TableFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged zip member or malformed XML
            where = f" at row {reader.row}" if reader.row else ""
            raise TableFileError(f"{path.name} is damaged{where} ({str(exc)[:200]}); open it in a "
                                 "spreadsheet and save it again, or export it again.") from None

    header: list[str] = []
    it = rows()
    first = next(it, None)  # the header (a bad cell in it: no name)
    it.close()
    if first is None:
        raise TableFileError(f"{path} has no rows.")
    header = ["" if c is None else str(c) for c in first[1]]

    def data_rows() -> Rows:
        it = rows()
        next(it, None)
        return it

    return Table("xlsx", None, header, data_rows, sheet.file_size, lambda: state["done"])


def _part(book: zipfile.ZipFile, name: str, limit: int, what: str) -> zipfile.ZipInfo:
    info = book.getinfo(name)
    if info.file_size > limit:
        raise TableFileError(f"The XLSX's {what} ({name}) unpacks to {info.file_size / MB:,.1f} MB, more "
                             f"than the {limit // MB:,} MB one import reads; export a shorter date range.")
    return info


def _xml(book: zipfile.ZipFile, name: str, what: str) -> ElementTree.Element:
    return ElementTree.fromstring(book.read(_part(book, name, MAX_PART_BYTES, what)))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _relationships(book: zipfile.ZipFile, source: str) -> list[tuple[str, str, str]]:
    """(id, type, part name) of the relationships of `source` ("" for the package)."""
    folder, base = posixpath.split(source)
    name = posixpath.join(folder, "_rels", base + ".rels")
    if name not in book.NameToInfo:
        return []
    out = []
    for rel in _xml(book, name, "relationships"):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out.append((rel.get("Id", ""), rel.get("Type", ""), part))
    return out


def _workbook(book: zipfile.ZipFile):
    """The first worksheet's ZipInfo, the shared strings, the date styles and the epoch."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    workbook = next((part for _, kind, part in _relationships(book, "")
                     if kind.endswith(_REL_TYPE + "officeDocument")), "xl/workbook.xml")
    root = _xml(book, workbook, "workbook")
    rels = _relationships(book, workbook)
    by_id = {rid: (kind, part) for rid, kind, part in rels}
    sheet = None
    epoch = CALENDAR_WINDOWS_1900
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "workbookPr" and el.get("date1904", "").lower() in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        elif tag == "sheet" and sheet is None:
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
            kind, part = by_id.get(rid, ("", ""))
            if kind.endswith(_REL_TYPE + "worksheet"):
                sheet = part
    if sheet is None:
        raise TableFileError("The XLSX has no worksheet.")
    info = _part(book, sheet, MAX_SHEET_BYTES, "sheet")
    strings: list = []
    dates: set[str] = set()  # the style indexes (as written: "1") of cells that hold dates
    for _, kind, part in rels:
        if kind.endswith(_REL_TYPE + "sharedStrings") and part in book.NameToInfo:
            strings = _shared_strings(book, _part(book, part, MAX_STRINGS_BYTES, "shared strings"))
        elif kind.endswith(_REL_TYPE + "styles") and part in book.NameToInfo:
            styles = _xml(book, part, "styles")
            formats = dict(BUILTIN_FORMATS)
            for el in styles.iter():
                if _local(el.tag) == "numFmt":
                    formats[_int(el.get("numFmtId"))] = el.get("formatCode", "")
            cell_formats = next((el for el in styles.iter() if _local(el.tag) == "cellXfs"), [])
            dates = {str(i) for i, xf in enumerate(cell_formats)
                     if is_date_format(formats.get(_int(xf.get("numFmtId")), "") or "")}
    return info, strings, dates, epoch


def _int(text, default: int = -1) -> int:
    return int(text) if text and text.isdigit() and len(text) < 10 else default


class _Long:
    """A shared string over MAX_CELL_CHARS: only its length is kept."""
    __slots__ = ("chars",)

    def __init__(self, chars: int):
        self.chars = chars


def _shared_strings(book: zipfile.ZipFile, info: zipfile.ZipInfo) -> list:
    strings: list = []
    parts: list[str] = []
    state = {"depth": 0, "chars": 0, "text": False}  # depth: inside <rPh> (phonetic runs, not text)

    def start(name, attrs):
        tag = name.rpartition(":")[2]
        if tag == "si":
            parts.clear()
            state["chars"] = 0
        elif tag == "rPh":
            state["depth"] += 1
        elif tag == "t" and not state["depth"]:
            state["text"] = True

    def end(name):
        tag = name.rpartition(":")[2]
        if tag == "si":
            if len(strings) >= MAX_STRINGS:
                raise TableFileError(f"The XLSX holds more than {MAX_STRINGS:,} different texts, more than "
                                     "one import reads; export a shorter date range.")
            chars = state["chars"]
            strings.append(_Long(chars) if chars > MAX_CELL_CHARS else "".join(parts))
        elif tag == "rPh" and state["depth"]:
            state["depth"] -= 1
        elif tag == "t":
            state["text"] = False

    def text(data):
        if state["text"]:
            state["chars"] += len(data)
            if state["chars"] <= MAX_CELL_CHARS:
                parts.append(data)

    parser = _expat(start, end, text)
    with book.open(info) as src:
        while chunk := src.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    return strings


def _expat(start, end, text):
    """An expat parser without namespace processing: names are compared as written, their
    prefix ("x:c") dropped."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    return parser


class _BadCell(Exception):
    pass


class _SheetReader:
    """expat handlers for a worksheet: each <row> becomes (row number, cells, problem)
    with at most MAX_COLUMNS cells of at most MAX_CELL_CHARS characters; `take()` hands
    over the rows finished so far. (The handlers run once per XML element: they are
    written for speed, a sheet has millions.)"""

    def __init__(self, strings: list, dates: set[str], epoch, header: list[str], name: str):
        self.strings, self.dates, self.epoch, self.header, self.name = strings, dates, epoch, header, name
        self.done: list = []
        self.row = self.rows = 0
        self.cells: dict[int, object] = {}
        self.problem: str | None = None
        self.col = 0
        self.kind = "n"
        self.style: str | None = None
        self.parts: list[str] = []
        self.chars = 0
        self.collect = False
        self.in_cell = False
        self.phonetic = 0
        self.tags: dict[str, str] = {}  # element name (maybe prefixed, "x:c") -> local name

    def parser(self):
        return _expat(self.start, self.end, self.text)

    def take(self) -> list:
        done, self.done = self.done, []
        return done

    def tag(self, name: str) -> str:
        local = name.rpartition(":")[2]
        if len(self.tags) < 64:  # a file may invent any number of names
            self.tags[name] = local
        return local

    def start(self, name, attrs):
        tag = self.tags.get(name) or self.tag(name)
        if tag == "c":
            self.col = _column(attrs.get("r"), self.col + 1)
            self.in_cell = self.col <= MAX_COLUMNS
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s")
            self.parts, self.chars, self.phonetic = [], 0, 0
        elif not self.in_cell:
            if tag == "row":
                self.rows += 1
                if self.rows > MAX_RECORDS:
                    raise TableFileError(_too_many_records(self.name))
                r = attrs.get("r")
                self.row = _int(r) if r and _int(r) > 0 else self.row + 1
                self.cells, self.problem, self.col = {}, None, 0
        elif tag == "v" or tag == "t":
            self.collect = not self.phonetic
        elif tag == "rPh":
            self.phonetic += 1

    def end(self, name):
        tag = self.tags.get(name) or self.tag(name)
        if tag == "c":
            if self.in_cell:
                try:
                    value = self.value()
                except _BadCell as bad:
                    value = None
                    self.problem = self.problem or f"{_column_name(self.header, self.col - 1)} {bad}"
                if value is not None:
                    self.cells[self.col] = value
            self.in_cell = self.collect = False
        elif tag == "v" or tag == "t":
            self.collect = False
        elif tag == "row" and not self.in_cell:
            if self.cells or self.problem:
                cells = [self.cells.get(i) for i in range(1, max(self.cells, default=0) + 1)]
                if self.problem or any(c != "" for c in cells if c is not None):
                    self.done.append((self.row, cells, self.problem))
        elif tag == "rPh" and self.phonetic:
            self.phonetic -= 1

    def text(self, data):
        if self.collect:
            self.chars += len(data)
            if self.chars <= MAX_CELL_CHARS:
                self.parts.append(data)

    def value(self):
        """The cell's value (see the module doc); _BadCell(why) when it has none."""
        if self.chars > MAX_CELL_CHARS:
            raise _BadCell(_too_long(self.chars))
        text = "".join(self.parts).strip()
        kind = self.kind
        if kind == "s":
            index = _int(text)
            if not 0 <= index < len(self.strings):
                raise _BadCell("refers to a text the file does not have (the file is damaged)")
            found = self.strings[index]
            if isinstance(found, _Long):
                raise _BadCell(_too_long(found.chars))
            return found.strip()
        if kind == "n":
            if not text:
                return None
            number = _number(text)
            if self.style in self.dates:
                from openpyxl.utils.datetime import from_excel

                try:
                    return from_excel(number, self.epoch)
                except (OverflowError, ValueError):
                    raise _BadCell(f"is not a date ({text} is beyond the calendar)") from None
            return number
        if kind == "b":
            return text in ("1", "true")
        return text  # inlineStr, str, e (an error such as #N/A), d (an ISO 8601 date)


_COLUMNS: dict[str, int] = {}  # "AB" -> 28, learnt as met (at most 26**3 entries)


def _column(ref: str | None, default: int) -> int:
    """The column number of a cell reference ("AB12" is 28); `default` without one."""
    if not ref:
        return default
    letters = ref.rstrip("0123456789")
    n = _COLUMNS.get(letters)
    if n is None:
        if not (letters.isascii() and letters.isalpha() and letters.isupper()):
            return default
        if len(letters) > 3:  # past XFD: past MAX_COLUMNS anyway
            return MAX_COLUMNS + 1
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        _COLUMNS[letters] = n
    return n


_INTEGER = re.compile(r"-?\d{1,18}")


def _number(text: str) -> int | float:
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        raise _BadCell(f"is not a number ({text[:20]!r})") from None
    if not math.isfinite(number):
        raise _BadCell(f"is not a number ({text[:20]!r})")
    return number
