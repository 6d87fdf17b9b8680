"""Streaming reader of an .xlsx sheet: rows of cell values, one at a time, in flat memory.

openpyxl's read-only mode turns every cell into an object and looks up its style (a third of a
10,000-row roster's time); a roster needs only values. This reads the sheet XML with
ElementTree's iterparse (expat: no external entities, bounded entity expansion), the shared
strings (without the phonetic guides 拼音/ルビ that Chinese Excel stores with them), and the
styles only to tell a date from a number — with openpyxl's own date-format test and date
conversion, so a date cell reads as Excel shows it.
"""
from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from typing import IO, Iterator
from xml.etree.ElementTree import ParseError, iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAX_COLUMNS = 16384
MAX_STRINGS = 64 * 2**20     # bytes of shared strings once unzipped: more is a zip bomb, not a roster


class XlsxError(ValueError):
    """Not a readable .xlsx (not a zip, parts missing, broken XML)."""


def _column(ref: str) -> int:
    """'A1' → 0, 'AB7' → 27."""
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


class Sheet:
    """The first worksheet of a workbook. `rows()` yields lists of Python values (str, int,
    float, bool, datetime) with None for empty cells; a missing row yields []."""

    def __init__(self, raw: IO[bytes]):
        try:
            self._zip = zipfile.ZipFile(raw)
            self._path, epoch = self._first_sheet()
            self._strings = self._shared_strings()
            self._dates = self._date_styles()
        except (zipfile.BadZipFile, KeyError, ParseError, ValueError, IndexError) as exc:
            raise XlsxError(str(exc)) from None
        self._epoch = epoch

    def close(self) -> None:
        self._zip.close()

    def _parse(self, name: str):
        with self._zip.open(name) as part:
            for _, elem in iterparse(part):
                yield elem

    def _first_sheet(self) -> tuple[str, dt.datetime]:
        rid, epoch = None, CALENDAR_WINDOWS_1900
        for elem in self._parse("xl/workbook.xml"):
            if elem.tag == NS + "workbookPr" and elem.get("date1904") in ("1", "true"):
                epoch = CALENDAR_MAC_1904
            elif elem.tag == NS + "sheet" and rid is None:
                rid = elem.get(REL_NS + "id")
        target = None
        for elem in self._parse("xl/_rels/workbook.xml.rels"):
            if elem.tag == PKG_NS + "Relationship" and elem.get("Id") == rid:
                target = elem.get("Target")
        if not target:
            raise XlsxError("no worksheet")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        return path, epoch

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self._zip.namelist():
            return []
        if self._zip.getinfo("xl/sharedStrings.xml").file_size > MAX_STRINGS:
            raise XlsxError("shared strings too large")
        out: list[str] = []
        for elem in self._parse("xl/sharedStrings.xml"):
            if elem.tag == NS + "si":
                out.append(_text(elem))
                elem.clear()
        return out

    def _date_styles(self) -> list[bool]:
        if "xl/styles.xml" not in self._zip.namelist():
            return []
        custom: dict[int, str] = {}
        xfs: list[bool] = []
        in_cell_xfs = False
        with self._zip.open("xl/styles.xml") as part:
            for event, elem in iterparse(part, events=("start", "end")):
                if event == "start":
                    in_cell_xfs = in_cell_xfs or elem.tag == NS + "cellXfs"
                    continue
                if elem.tag == NS + "numFmt":
                    custom[int(elem.get("numFmtId", "0"))] = elem.get("formatCode", "")
                elif elem.tag == NS + "cellXfs":
                    in_cell_xfs = False
                elif elem.tag == NS + "xf" and in_cell_xfs:
                    fmt = int(elem.get("numFmtId", "0"))
                    xfs.append(is_date_format(custom.get(fmt) or BUILTIN_FORMATS.get(fmt, "")))
        return xfs

    def rows(self) -> Iterator[list]:
        expected = 1
        try:
            with self._zip.open(self._path) as part:
                parent = None
                for event, elem in iterparse(part, events=("start", "end")):
                    if event == "start":
                        if elem.tag == NS + "sheetData":
                            parent = elem
                        continue
                    if elem.tag != NS + "row":
                        continue
                    number = int(elem.get("r") or expected)
                    while expected < number:     # rows Excel left out because they are empty
                        yield []
                        expected += 1
                    yield self._row(elem)
                    expected = number + 1
                    if parent is not None:
                        parent.clear()           # keep memory flat: drop the rows already read
        except (ParseError, KeyError, ValueError) as exc:
            raise XlsxError(str(exc)) from None

    def _row(self, row) -> list:
        values: list = []
        for cell in row.iter(NS + "c"):
            ref = cell.get("r")
            index = _column(ref) if ref else len(values)
            if not 0 <= index < MAX_COLUMNS:
                continue
            if index > len(values):
                values.extend([None] * (index - len(values)))
            value = self._value(cell)
            if index == len(values):
                values.append(value)
            else:
                values[index] = value
        return values

    def _value(self, cell):
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            found = cell.find(NS + "is")
            return _text(found) if found is not None else ""
        v = cell.find(NS + "v")
        raw = v.text if v is not None else None
        if raw is None:
            return None
        if kind == "s":
            return self._strings[int(raw)]
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind in ("str", "e", "d"):
            return raw
        number = float(raw)
        style = int(cell.get("s", "0"))
        if style < len(self._dates) and self._dates[style]:
            try:
                return from_excel(number, self._epoch)
            except (ValueError, OverflowError):
                return raw
        return int(raw) if raw.isdigit() else number


def _text(elem) -> str:
    """A string item's text: its <t>, or its rich-text runs' <t>s, never the phonetic <rPh>."""
    direct = elem.find(NS + "t")
    if direct is not None and elem.find(NS + "r") is None:
        return direct.text or ""
    return "".join(t.text or "" for r in elem.iter(NS + "r") for t in r.iter(NS + "t"))
