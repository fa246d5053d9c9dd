"""RowWriter, the exports' fast path for large sheets, held to the slow one: the same rows through
openpyxl cell by cell (cells.cell, ws.append) must give the same file, byte for byte."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from feedback.exports import cells
from feedback.exports.cells import DECIMAL_FORMAT, PERCENT_FORMAT, SUM_FILL, TIME_FORMAT
from feedback.exports.sheet_rows import RowWriter

# the styles the exports use: (number_format, bold, fill, center, wrap)
STYLES = [(None, False, None, False, False), (None, False, None, True, False), (PERCENT_FORMAT, False, None, False, False),
          (DECIMAL_FORMAT, True, SUM_FILL, False, False), (None, True, SUM_FILL, True, False),
          (TIME_FORMAT, False, None, False, False), (None, False, None, False, True)]

texts = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), max_size=12),
    st.sampled_from(["", " 前后空格 ", "=SUM(A1)", "+1", "-T11", "@x", "\tx", "\rx", "a&b<c>d]]>", "#N/A", "#DIV/0!",
                     "第一行\n第二行", "a\r\nb", "😀", '"引号\'']),
)
values = st.one_of(
    texts, st.none(), st.booleans(), st.integers(-10**15, 10**15),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=False, places=2, min_value=-10**6, max_value=10**6),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
)
rows = st.lists(st.lists(st.tuples(values, st.integers(0, len(STYLES) - 1)), min_size=1, max_size=8), max_size=6)


def write(sheets: list[list[list[tuple]]], raw: bool) -> dict[str, bytes]:
    """Each sheet's rows of (value, style index) after a header, through RowWriter; the parts of the file."""
    wb = Workbook(write_only=True)
    for number, sheet_rows in enumerate(sheets):
        ws = wb.create_sheet(f"表{number}")
        cells.setup_sheet(ws, [10, 20], "页眉 & 标题")
        writer = RowWriter(ws, raw=raw)
        writer.append(["序号", "单位"], [writer.header_style()] * 2)
        for row in sheet_rows:
            styles = [STYLES[index] for _, index in row]
            writer.append([value for value, _ in row],
                          [writer.style(f, bold=b, fill=fill, center=c, wrap=w) for f, b, fill, c, w in styles])
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(out) as book:
        return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}  # its save time


EVERY_KIND = [[("=1", 0), ("", 1), (" a ", 6), ("#N/A", 0), (None, 2), (True, 0), (0, 1), (1 / 3, 2), (Decimal("2.50"), 3)],
              [(float("nan"), 3), (float("inf"), 2), (2**60, 0), (datetime(2026, 11, 2, 9, 30), 5), (date(1900, 2, 1), 5),
               ("中文&<>\r\n😀", 4), (-7, 4), (None, 5)]]


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=2))
@example([EVERY_KIND, EVERY_KIND[::-1]])
def test_rows_written_as_text_make_the_file_openpyxl_makes(sheets):
    assert write(sheets, raw=True) == write(sheets, raw=False)


def test_a_subtotal_line_and_formula_text_read_back_as_written(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("表")
    cells.setup_sheet(ws, [7, 30])
    writer = RowWriter(ws)
    writer.append(["序号", "单位"], [writer.header_style()] * 2)
    writer.append(["小计", '=HYPERLINK("http://evil.example")', 0.25, datetime(2026, 11, 2, 9, 30)],
                  [writer.style(bold=True, fill=SUM_FILL, center=True), writer.style(bold=True, fill=SUM_FILL),
                   writer.style(PERCENT_FORMAT, bold=True, fill=SUM_FILL), writer.style(TIME_FORMAT)])
    wb.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["表"]
    header, label, text, rate, when = ws["A1"], ws["A2"], ws["B2"], ws["C2"], ws["D2"]
    assert header.font.b and header.fill.fgColor.rgb == "00DDE4EE" and header.alignment.wrap_text
    assert label.value == "小计" and label.alignment.horizontal == "center"
    for cell in (label, text, rate):
        assert cell.font.b and cell.fill.fgColor.rgb == "00F2F2F2"
        assert cell.border.left.style == cell.border.bottom.style == "thin"
    assert text.value == "'" + '=HYPERLINK("http://evil.example")' and text.data_type == "s"
    assert rate.value == 0.25 and rate.number_format == "0.0%"
    assert when.value == datetime(2026, 11, 2, 9, 30) and when.number_format == TIME_FORMAT and not when.font.b
    assert ws.freeze_panes == "A2" and ws.column_dimensions["B"].width == 30


@pytest.mark.parametrize("value, error", [
    ("控制字符\x01", IllegalCharacterError), ("非字符\ufffe", ValueError),
    (datetime(2026, 11, 2, tzinfo=timezone.utc), TypeError), (timedelta, ValueError),
])
def test_a_value_openpyxl_refuses_is_refused(value, error):
    ws = Workbook(write_only=True).create_sheet("表")
    writer = RowWriter(ws)
    writer.append(["a"], [writer.style()])  # the style's id for text is known: the fast path alone
    with pytest.raises(error):
        writer.append([value], [writer.style()])
