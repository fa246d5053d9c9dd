"""Rows of a write-only sheet written as XML text, for sheets of thousands of styled cells.

openpyxl's write-only mode still builds a Cell for every value, hashes its style to find the
style id and has lxml write the cell element by element; on a sheet of thousands of styled rows
that per-cell work is most of the export's time. RowWriter writes each row as one string, the
XML openpyxl writes for the same cells (inline strings, numbers as %.16g, dates as Excel serial
numbers, non-ASCII as character references), so the file is the same. A style's id is found by
styling one cell the cells.py way for the first value of each type written with it, so the
workbook's style tables fill in the same order as before. Everything else in the sheet (columns,
frozen pane, page setup, header and footer) is still written by openpyxl, around the rows.
"""
from __future__ import annotations

import math
import re
from typing import Callable

from openpyxl import LXML
from openpyxl.cell import Cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, TIME_TYPES
from openpyxl.compat import NUMERIC_TYPES
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._writer import WorksheetWriter, create_temporary_file

from feedback.exports import cells

# Text lxml refuses (besides openpyxl's illegal characters): surrogates, U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_TEXT = 32767  # Excel's limit; openpyxl cuts longer text


class Style:
    """A cell style of one sheet. `make(value)` builds a cell styled the cells.py way; its id is
    taken from that cell once for each type of value, which registers the style's parts (and,
    for a date, openpyxl's default date format) exactly as writing the cell itself did."""

    __slots__ = ("make", "ids")

    def __init__(self, make: Callable[[object], Cell]):
        self.make = make
        self.ids: dict[type, int] = {}

    def id_for(self, value) -> int:
        cell = self.make(value)
        if not cell.has_style:  # openpyxl would drop such a cell's s= and an empty one entirely
            raise ValueError("RowWriter writes styled cells only")
        style_id = self.ids[type(value)] = cell.style_id
        return style_id


class RowWriter:
    """Appends rows of (value, Style) to a write-only sheet. Create it after cells.setup_sheet
    and before any other row; once created, write the sheet's rows only through it.

    Text is made safe (cells.safe) here as in cells.cell. With raw=False, without lxml (openpyxl's
    own writer then differs) or with ISO dates, the rows go through openpyxl cell by cell
    instead: the slow path the tests hold the fast one to."""

    def __init__(self, ws, raw: bool = True):
        if ws._writer is not None:
            raise ValueError(f"sheet {ws.title!r} already has rows")
        self.ws = ws
        self._styles: dict[tuple, Style] = {}
        self._letters: list[str] = []
        self._row = 0
        self._writer = None
        if raw and LXML and not ws.parent.iso_dates:
            self._writer = ws._writer = _SheetDataWriter(ws)
            self._write = self._writer.file.write
            self._epoch = ws.parent.epoch

    def style(self, number_format: str | None = None, *, bold: bool = False, fill: PatternFill | None = None,
              center: bool = False, wrap: bool = False) -> Style:
        """The style cells.cell gives for these arguments."""
        key = (number_format, bold, None if fill is None else fill.fgColor.rgb, center, wrap)
        style = self._styles.get(key)
        if style is None:
            ws = self.ws
            style = self._styles[key] = Style(lambda value: cells.cell(ws, value, number_format, bold=bold, fill=fill,
                                                                       center=center, wrap=wrap))
        return style

    def header_style(self) -> Style:
        style = self._styles.get(("header",))
        if style is None:
            ws = self.ws
            style = self._styles[("header",)] = Style(lambda value: cells.header_cell(ws, value))
        return style

    def append(self, values: list, styles: list[Style]) -> None:
        if len(values) != len(styles):
            raise ValueError(f"{len(values)} values, {len(styles)} styles")
        if self._writer is None:
            self.ws.append([style.make(value) for value, style in zip(values, styles)])
            return
        while len(self._letters) < len(values):
            self._letters.append(get_column_letter(len(self._letters) + 1))
        self._row += 1
        r = str(self._row)
        parts = ['<row r="', r, '">']
        for letter, value, style in zip(self._letters, values, styles):
            style_id = style.ids.get(type(value))
            if style_id is None:
                style_id = style.id_for(value)
            parts.append(_cell(f'<c r="{letter}{r}" s="{style_id}"', value, self._epoch))
        parts.append("</row>")
        self._write("".join(parts).encode("ascii", "xmlcharrefreplace"))


def _cell(start: str, value, epoch) -> str:
    """A cell's XML as openpyxl's lxml_write_cell writes it; `start` is `<c r=".." s=".."`."""
    t = type(value)
    if t is str:
        return _text(start, value)
    if value is None:
        return start + ' t="n"></c>'
    if t is int or t is float:
        return f'{start} t="n"><v>{_number(value)}</v></c>'
    if t is bool:
        return f'{start} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, TIME_TYPES):
        if getattr(value, "tzinfo", None) is not None:
            raise TypeError("Excel does not support timezones in datetimes. "
                            "The tzinfo in the datetime/time object must be set to None.")
        return f'{start} t="n"><v>{_number(to_excel(value, epoch))}</v></c>'
    if isinstance(value, NUMERIC_TYPES):
        return f'{start} t="n"><v>{_number(value)}</v></c>'
    if isinstance(value, str):
        return _text(start, str(value))
    raise ValueError(f"Cannot convert {value!r} to Excel")


def _number(value) -> str:
    return "%.16g" % value if math.isfinite(value) else ""


def _text(start: str, value: str) -> str:
    value = cells.safe_text(value)[:_MAX_TEXT]
    if _NOT_XML.search(value):
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
    if not value:
        return start + ' t="inlineStr"></c>'
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if value in ERROR_CODES:
        return f'{start} t="e"><v>{escaped}</v></c>'
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'{start} t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


class _SheetDataWriter(WorksheetWriter):
    """openpyxl's writer of a write-only sheet, its sheetData element written by RowWriter.

    openpyxl drives it as it drives its own: WriteOnlyWorksheet.close() (on save) calls
    write_rows, write_tail and close, then the workbook copies the part from `out`, by name."""

    def __init__(self, ws):
        path = create_temporary_file()
        self.file = open(path, "wb")
        super().__init__(ws, out=self.file)
        self.out = path
        self.write_top()
        self.xf.send(True).flush()  # lxml's part of the sheet so far is in the file: sheetData follows
        self.file.write(b"<sheetData>")

    def write_rows(self):
        self.file.write(b"</sheetData>")
        self.xf.send(None)  # back to openpyxl's stream, for the sheet's tail

    def close(self):
        super().close()
        self.file.close()
