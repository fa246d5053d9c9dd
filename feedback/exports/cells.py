"""Cell values shared by every export: safe text, rates, widths, A4 landscape sheets.

Formula injection (BRIEF, DESIGN.md: Exports): a text cell that starts with = + - @ tab or CR
is read by Excel and LibreOffice as a formula (or DDE command), so such text gets a leading
apostrophe, in XLSX and CSV alike. Numbers and dates are written as numbers and dates.
"""
from __future__ import annotations

from copy import copy
from datetime import datetime

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from feedback import formats
from feedback.timeutil import LOCAL

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT_FORMAT = "0.0%"
DECIMAL_FORMAT = "0.0"
TIME_FORMAT = "yyyy-mm-dd hh:mm"

_THIN = Side(style="thin", color="999999")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FONT = Font(name="Calibri", sz=11, bold=True)  # the workbook default face, bold
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
SUM_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
CENTER = Alignment(horizontal="center")
WRAP_TOP = Alignment(vertical="top", wrap_text=True)


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe(value):
    """Any cell value made safe: text neutralised, everything else unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def rate_text(rate: float | None) -> str:
    """按期办结率 as the notices print it (feedback/formats.py: 100%, 98.8%, 66.7%)."""
    return formats.rate(rate)


def one_decimal(value: float | None) -> str:
    return formats.one_decimal(value)


def local_naive(t: datetime | None) -> datetime | None:
    """Spreadsheets have no time zones: show Asia/Shanghai wall time."""
    return None if t is None else t.astimezone(LOCAL).replace(tzinfo=None)


def display_width(text: str) -> int:
    """Column width units: a CJK character takes about two of them."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def setup_sheet(ws: Worksheet, widths: list[float], print_header: str = "") -> None:
    """Header frozen, columns sized, A4 landscape fitted to the page width.
    Must run before the first row of a write-only sheet."""
    for i, width in enumerate(widths):
        ws.column_dimensions[column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.5
    if print_header:
        ws.oddHeader.center.text = print_header.replace("&", "&&")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def header_cell(ws: Worksheet, title: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=title)
    cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, WRAP_CENTER, BORDER
    return cell


def header_row(ws: Worksheet, headers: list[str]) -> list[WriteOnlyCell]:
    return [header_cell(ws, title) for title in headers]


def _style_for(ws: Worksheet, number_format: str | None, bold: bool, fill: PatternFill | None, center: bool,
               wrap: bool = False):
    """Styling a cell through openpyxl's descriptors hashes every style object each time, which
    dominated the cost of a large sheet; a style is built once per sheet and its index array copied."""
    cache = ws.__dict__.setdefault("_export_styles", {})
    key = (number_format, bold, None if fill is None else fill.fgColor.rgb, center, wrap)
    style = cache.get(key)
    if style is None:
        proto = WriteOnlyCell(ws)
        proto.border = BORDER
        if number_format:
            proto.number_format = number_format
        if bold:
            proto.font = HEADER_FONT
        if fill is not None:
            proto.fill = fill
        if center:
            proto.alignment = CENTER
        elif wrap:
            proto.alignment = WRAP_TOP
        style = cache[key] = proto._style
    return style


def cell(ws: Worksheet, value, number_format: str | None = None, *, bold: bool = False,
         fill: PatternFill | None = None, center: bool = False, wrap: bool = False) -> WriteOnlyCell:
    out = WriteOnlyCell(ws, value=safe(value))
    out._style = copy(_style_for(ws, number_format, bold, fill, center, wrap))
    return out
