"""Reading and writing a cadre's roster as it comes out of Excel: CSV (any encoding Excel saves in
China) or .xlsx, one record at a time so a big file never sits in memory.

Reading never loses a person: every physical line (CSV) or sheet row (xlsx) is either a record,
a blank line (counted), or a refused record with its line number and the reason. A stray `"`
does not swallow the lines after it: a quoted cell may run over several lines (Excel writes a
cell with a line break that way) only when the joined record has exactly the header's cells and
no line inside it looks like a row; otherwise the line with the stray quote is refused alone and
reading goes on with the next line.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import IO, Iterator

from .xlsxread import Sheet, XlsxError

MAX_JOINED_LINES = 20       # a legal multi-line cell is short; more than this is a stray quote
_SNIFF = 64 * 1024


class RosterError(ValueError):
    """The whole file cannot be read (not a table, unknown encoding, no header)."""


@dataclass
class Record:
    line: int                   # the line / row number as Excel shows it (the header is 1)
    cells: list[str]
    problem: str = ""           # why this record cannot be read (a refused row)
    raw: str = ""               # a refused CSV line as it was (so a re-sent roster is refused the same way)


def kind_of(filename: str, head: bytes) -> str:
    """'xlsx' or 'csv', by the file's extension, and by its first bytes when the name says nothing."""
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith(".xls"):
        raise RosterError("这是老版Excel（.xls）文件，请在Excel里“另存为”.xlsx或CSV再上传。")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterError("这是老版Excel（.xls）文件，请在Excel里“另存为”.xlsx或CSV再上传。")
    return "csv"


# ------------------------------------------------------------------------------------------ CSV

def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        # UTF-16 without a BOM: the commas and digits have their 0 byte on one side only
        odd, even = head[1::2].count(0), head[0::2].count(0)
        guess = "utf-16-le" if odd > 4 * even else "utf-16-be" if even > 4 * odd else None
        if guess and _looks_like_text(head, guess):
            return guess
        raise RosterError("这不是表格文件。请上传Excel（.xlsx）或CSV文件。")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:   # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8"


def _looks_like_text(head: bytes, encoding: str) -> bool:
    text = head[: len(head) // 2 * 2].decode(encoding, errors="replace")
    return "\ufffd" not in text[:-1] and any(d in text for d in (",", "\t", ";", "\n"))


def _text_stream(raw: IO[bytes]) -> io.TextIOWrapper:
    head = raw.read(_SNIFF)
    raw.seek(0)
    encoding = _encoding(head)
    # a later line that is not in the guessed encoding becomes U+FFFD and that row is refused, the rest go on
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def _delimiter(first: str) -> str:
    counts = {d: first.count(d) for d in (",", "\t", ";", "，")}
    delim = max(counts, key=counts.get)
    return delim if counts[delim] else ","


def open_quote(text: str, delim: str) -> bool:
    """True when `text` ends inside a quoted cell (the record goes on on the next line)."""
    return _opening_quote(text, delim) >= 0


def _split(text: str, delim: str) -> list[str]:
    return next(csv.reader([text], delimiter=delim, strict=False), [])


def _physical_lines(stream: io.TextIOWrapper) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def read_csv(raw: IO[bytes]) -> tuple[list[str], Iterator[Record]]:
    """(header cells, records). Records are read lazily from the open binary file."""
    stream = _text_stream(raw)
    lines = _physical_lines(stream)
    try:
        first = next(lines)
    except StopIteration:
        raise RosterError("文件是空的。") from None
    except UnicodeError:
        raise RosterError("读不出文件的文字编码，请另存为“CSV UTF-8”或Excel（.xlsx）格式再上传。") from None
    first = first.lstrip("\ufeff")
    delim = _delimiter(first)
    if open_quote(first, delim):
        raise RosterError("第1行（表头）的引号不成对，请检查表头。")
    headers = [h.strip() for h in _split(first, delim)]
    return headers, _records(lines, delim, len(headers))


def _records(lines: Iterator[str], delim: str, width: int) -> Iterator[Record]:
    pending: list[tuple[int, str]] = []   # lines read ahead while trying to close a quoted cell
    number = 1
    source = iter(lines)

    def take() -> tuple[int, str] | None:
        nonlocal number
        if pending:
            return pending.pop(0)
        try:
            text = next(source)
        except StopIteration:
            return None
        number += 1
        return number, text

    while True:
        got = take()
        if got is None:
            return
        line, text = got
        if not open_quote(text, delim):
            yield _record(line, text, delim, width)
            continue
        joined, used = text, []
        while open_quote(joined, delim) and len(used) < MAX_JOINED_LINES:
            nxt = take()
            if nxt is None:
                break
            used.append(nxt)
            joined += "\n" + nxt[1]
        cells = _split(joined, delim)
        if not open_quote(joined, delim) and _one_record(text, cells, used, delim, width):
            yield Record(line, [c.strip() for c in cells])
            continue
        # a stray quote: refuse this line alone, read the lines after it again as records
        pending[:0] = used
        yield Record(line, [c.strip() for c in _split(text.replace('"', ""), delim)],
                     problem="有一个不成对的引号（\"），这一行没有估算，请删掉多余的引号", raw=text)


def _one_record(first: str, cells: list[str], used: list[tuple[int, str]], delim: str, width: int) -> bool:
    """A quoted cell over several lines is taken as one record only when it gives exactly the
    header's number of cells (as Excel writes every row) and no line inside it looks like a row
    of its own; two stray quotes on different rows would otherwise join the rows between them."""
    if len(cells) != width:
        return False
    # the first line is a row of its own when its part inside the opened cell already has
    # delimiters and the whole line has a row's worth of them ('"1,人1,广西,…' then '2",人2,…')
    opened = first[_opening_quote(first, delim) + 1:]
    if opened.count(delim) and first.count(delim) >= width - 1:
        return False
    if any(text.count(delim) >= width - 1 for _, text in used[:-1]):
        return False
    last = used[-1][1] if used else ""
    inside = last[:_closing_quote(last)]
    # the last line is a row of its own when its part inside the cell already has delimiters and
    # the whole line has a row's worth of them
    return not (inside.count(delim) and last.count(delim) >= width - 1)


def _opening_quote(text: str, delim: str) -> int:
    """Where the cell still open at the end of `text` was opened, or -1 when none is, read the way
    Python's csv module reads (a quote opens a cell only at its start; "" is a quote)."""
    inside, at_start, opened = False, True, -1
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if inside:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    inside = False
        elif ch == '"' and at_start:
            inside, opened = True, i
        at_start = ch == delim and not inside
        i += 1
    return opened if inside else -1


def _closing_quote(text: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == '"':
            if text[i + 1:i + 2] == '"':
                i += 2
                continue
            return i
        i += 1
    return len(text)


def _record(line: int, text: str, delim: str, width: int) -> Record:
    cells = [c.strip() for c in _split(text, delim)]
    if "\ufffd" in text:
        return Record(line, cells, problem="这一行有读不出的文字（编码不对），请另存为“CSV UTF-8”或.xlsx", raw=text)
    if len(cells) > width and any(cells[width:]):
        return Record(line, cells, problem=f"这一行有{len(cells)}格，比表头多（表头{width}格），可能多了分隔符", raw=text)
    return Record(line, cells)


# ------------------------------------------------------------------------------------------ xlsx

def cell_text(value) -> str:
    """An Excel cell as the text a person sees: 20000.0 → 20000, a date → 2024-06-01, TRUE → 是."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_xlsx(raw: IO[bytes]) -> tuple[list[str], Iterator[Record], Sheet]:
    """(header cells, records, the sheet to close when done). The first sheet is the roster."""
    damaged = "打不开这个Excel文件，可能已损坏。请在Excel里重新保存为.xlsx再上传。"
    try:
        sheet = Sheet(raw)
    except XlsxError:
        raise RosterError(damaged) from None
    rows = sheet.rows()
    try:
        first = next(rows)
    except StopIteration:
        sheet.close()
        raise RosterError("文件是空的。") from None
    except XlsxError:
        sheet.close()
        raise RosterError(damaged) from None
    headers = [cell_text(v) for v in first]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)

    def records() -> Iterator[Record]:
        number = 1
        try:
            for number, values in enumerate(rows, start=2):
                cells = [cell_text(v) for v in values]
                if len(cells) > width and any(cells[width:]):
                    yield Record(number, cells, problem=f"这一行在表头以外的列还有内容（表头{width}列）")
                    continue
                yield Record(number, cells[:width])
        except XlsxError:
            # the rest of the sheet cannot be read: say so on the next line rather than stop quietly
            yield Record(number + 1, [], problem="从这一行起文件已损坏，后面的行读不出来，请重新保存后再上传")
    return headers, records(), sheet


# ------------------------------------------------------------------------------------------ writing

def safe(cell) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV/xlsx injection)."""
    text = "" if cell is None else str(cell)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except ArithmeticError:
        return False


class CsvWriter:
    """UTF-8 with BOM and CRLF, so Excel opens it directly; written row by row."""

    def __init__(self, out: IO[bytes]):
        self._text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self._text.write("\ufeff")
        self._csv = csv.writer(self._text, lineterminator="\r\n")

    def row(self, cells: list) -> None:
        self._csv.writerow([safe(c) for c in cells])

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


class XlsxWriter:
    """A streaming .xlsx writer: each row goes into the zipped sheet as it comes (inline strings, no
    shared-string table), so memory stays flat. Written here rather than with openpyxl's
    write-only mode, which spent two thirds of a 10,000-row roster's time serialising cells."""

    def __init__(self, out: IO[bytes], title: str = "估算结果", widths: list[int] | None = None):
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._titles: list[str] = []
        self._sheet: IO[bytes] | None = None
        self._open(title, widths or [], frozen=True)

    def _open(self, title: str, widths: list[int], frozen: bool) -> None:
        self._end_sheet()
        self._titles.append(title)
        self._number = 0
        self._sheet = self._zip.open(f"xl/worksheets/sheet{len(self._titles)}.xml", "w", force_zip64=True)
        pane = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/></sheetView></sheetViews>') if frozen else ""
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        self._sheet.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
                           f'{pane}{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>').encode("utf-8"))

    def row(self, cells: list) -> None:
        self._number += 1
        n = self._number
        parts = [f'<row r="{n}">']
        for i, value in enumerate(cells):
            ref = _column(i) + str(n)
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                text = safe(value)
                if text:
                    parts.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml(text)}</t></is></c>')
        parts.append("</row>")
        self._sheet.write("".join(parts).encode("utf-8"))

    def sheet(self, title: str, rows: list[list]) -> None:
        self._open(title, [16, 8, 50, 60], frozen=False)
        for cells in rows:
            self.row(cells)

    def _end_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(b"</sheetData></worksheet>")
            self._sheet.close()
            self._sheet = None

    def close(self) -> None:
        self._end_sheet()
        n = len(self._titles)
        sheets = "".join(f'<sheet name="{_xml(t[:31])}" sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(self._titles, 1))
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, n + 1))
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
                            for i in range(1, n + 1))
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        self._zip.writestr("[Content_Types].xml", head + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>{overrides}</Types>'))
        self._zip.writestr("_rels/.rels", head + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        self._zip.writestr("xl/workbook.xml", head + (
            f'<workbook xmlns="{_NS}" xmlns:r="{_R}"><sheets>{sheets}</sheets></workbook>'))
        self._zip.writestr("xl/_rels/workbook.xml.rels", head + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'))
        self._zip.writestr("xl/styles.xml", head + (
            f'<styleSheet xmlns="{_NS}"><fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'))
        self._zip.close()


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = _R
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text as XML character data; characters XML 1.0 cannot hold are dropped."""
    return _BAD_XML.sub("", text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


@lru_cache(maxsize=256)
def _column(index: int) -> str:
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
