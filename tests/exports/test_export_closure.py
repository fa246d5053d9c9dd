"""The monthly closure-rate export opened as the office opens it (CONTRACT.md: Monthly closure-rate
export), against the November story counted by hand in conftest.py."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.exports.conftest import AS_OF, HOSTILE_NAME, NOVEMBER, november

SHEET1 = ["序号", "单位编码", "单位", "上级单位", "收到留言数", "办结数", "按期办结数", "超期办结数", "超期未办结数",
          "办理中", "按期办结率", "平均办理时长(小时)", "平均办理时长(工作日)"]
SHEET2 = ["留言编号", "单位", "转办时间", "办理期限", "答复时间", "状态", "超期工作日数"]


def export(app, tmp_path, fmt, *args):
    out = tmp_path / f"closure.{fmt}"
    result = app.test_cli_runner().invoke(args=["export", "closure", *args, "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def november_xlsx(app, story, tmp_path):
    november(story)
    return load_workbook(export(app, tmp_path, "xlsx", "--month", "2026-11", "--as-of", AS_OF))


def expected_values(line):
    number, code, name, parent, (received, closed, on_time, late, overdue, pending, rate, hours, days) = line
    return [number, code or None, name or None, parent or None, received, closed, on_time, late, overdue, pending,
            rate, hours, days]


def test_sheet_1_has_every_unit_with_region_subtotals_and_the_total(november_xlsx):
    ws = november_xlsx["按期办结率"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == SHEET1
    assert len(rows) == 1 + len(NOVEMBER)
    for got, line in zip(rows[1:], NOVEMBER):
        want = expected_values(line)
        assert got[:10] == want[:10], line
        assert got[10] == pytest.approx(want[10]) if want[10] is not None else got[10] is None, line
        assert got[11:] == [pytest.approx(v) if v is not None else None for v in want[11:]], line


def test_rates_are_percent_numbers_and_an_undefined_rate_is_an_empty_cell(november_xlsx):
    ws = november_xlsx["按期办结率"]
    d1, d9, total = ws["K6"], ws["K3"], ws[f"K{len(NOVEMBER)}"]  # the units' 合计, before the office's
    assert ws["B6"].value == "D1" and d1.value == pytest.approx(1 / 3) and d1.number_format == "0.0%"
    assert ws["B3"].value == "D9" and d9.value is None  # T10 pending: no rate, not 0% and not 100%
    assert total.value == pytest.approx(3 / 7) and total.number_format == "0.0%"
    assert ws["L6"].value == 110.5 and ws["L6"].number_format == "0.0"
    assert ws["A7"].value == 5 and isinstance(ws["E6"].value, int)  # counts are numbers


def test_a_unit_name_that_is_a_formula_stays_text(november_xlsx):
    ws = november_xlsx["按期办结率"]
    cell = ws["C11"]
    assert ws["B11"].value == "D5"
    assert cell.value == "'" + HOSTILE_NAME and cell.data_type == "s"
    details = november_xlsx["超期明细"]
    assert [c.value for c in details[5]][:2] == ["'-T11", "'" + HOSTILE_NAME]


def test_the_detail_sheet_lists_each_late_or_overdue_ticket_in_local_time(november_xlsx):
    ws = november_xlsx["超期明细"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == SHEET2
    # by unit code, then received time: D1 T2 late, D1 T3 overdue, D2 T5 late, D5 T11 overdue.
    assert rows[1:] == [
        ["N-T2", "东城县教育局", datetime(2026, 11, 2, 9, 30), datetime(2026, 11, 5, 23, 59, 59),
         datetime(2026, 11, 9, 10, 30), "办结", 2],
        ["N-T3", "东城县教育局", datetime(2026, 11, 16, 9, 0), datetime(2026, 11, 19, 23, 59, 59), None, "办理中", 3],
        ["N-T5", "东城县卫健局", datetime(2026, 11, 3, 9, 0), datetime(2026, 11, 6, 23, 59, 59),
         datetime(2026, 11, 10, 10, 0), "办结", 2],
        ["'-T11", "'" + HOSTILE_NAME, datetime(2026, 11, 10, 9, 0), datetime(2026, 11, 13, 23, 59, 59), None,
         "待签收", 7],
    ]
    assert ws["C2"].number_format == "yyyy-mm-dd hh:mm"


def test_both_sheets_print_on_a4_landscape_with_a_frozen_header(november_xlsx):
    for ws in november_xlsx.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows == "$1:$1"
    ws = november_xlsx["按期办结率"]
    # the 单位 column is wide enough for the longest Chinese name (two width units a character)
    assert ws.column_dimensions["C"].width >= 2 * len("示例市人民政府办公室（本级）")


def test_csv_has_a_bom_sheet_1_only_and_neutralised_text(app, story, tmp_path):
    november(story)
    raw = export(app, tmp_path, "csv", "--month", "2026-11", "--as-of", AS_OF).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == SHEET1
    assert len(rows) == 1 + len(NOVEMBER)
    by_code = {(r[0], r[1]): r for r in rows[1:]}
    assert by_code[("4", "D1")][4:] == ["3", "2", "1", "1", "1", "0", "33.3%", "110.5", "3.5"]
    assert by_code[("2", "D9")][10] == ""  # undefined rate: empty
    assert by_code[("小计", "R1")][4:] == ["5", "3", "1", "2", "1", "1", "25%", "129.7", "4.0"]
    assert rows[-2][0] == "合计" and rows[-2][4:] == ["9", "5", "3", "2", "2", "2", "42.9%", "93.2", "3.0"]
    assert rows[-1][:2] == ["合计", "C0"] and rows[-1][4:] == ["10", "5", "5", "0", "3", "2", "62.5%", "116.1", "3.6"]
    assert by_code[("8", "D5")][2] == "'" + HOSTILE_NAME


def test_a_date_range_and_one_units_subtree(app, story, tmp_path):
    november(story)
    wb = load_workbook(export(app, tmp_path, "xlsx", "--from", "2026-11-01", "--to", "2026-11-10",
                              "--unit", "R1", "--as-of", AS_OF))
    rows = [[c.value for c in row][:11] for row in wb["按期办结率"].iter_rows(min_row=2)]
    # received Nov 1–10 under R1: D1 T1 (on time), T2 (late); D2 T5 (late). T3, T4 come later.
    assert rows == [
        [1, "R1", "东城县", "示例市人民政府办公室", 0, 0, 0, 0, 0, 0, None],
        [2, "D1", "东城县教育局", "东城县", 2, 2, 1, 1, 0, 0, 0.5],
        [3, "D2", "东城县卫健局", "东城县", 1, 1, 0, 1, 0, 0, 0.0],
        ["小计", "R1", "东城县（本级）", None, 3, 3, 1, 2, 0, 0, pytest.approx(1 / 3)],
        ["合计", None, "各单位之和（按各单位本级时限，不含未分派）", None, 3, 3, 1, 2, 0, 0, pytest.approx(1 / 3)],
        # the county's own figure, on the city's hand-off into it: routed by the city, the same clocks
        ["合计", "R1", "东城县本级（上级转办时限，含未分派0条）", None, 3, 3, 1, 2, 0, 0, pytest.approx(1 / 3)],
    ]
    assert [r[0].value for r in wb["超期明细"].iter_rows(min_row=2)] == ["N-T2", "N-T5"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_cli_tells_the_same_count_of_late_or_overdue_tickets_for_either_format(app, story, tmp_path, fmt):
    november(story)
    out = tmp_path / f"closure.{fmt}"
    result = app.test_cli_runner().invoke(args=["export", "closure", "--month", "2026-11", "--as-of", AS_OF,
                                                "--format", fmt, "-o", str(out)])
    # T2 and T5 closed late, T3 and T11 still open past their deadline
    assert result.exit_code == 0 and "4 late or overdue tickets" in result.output, result.output
