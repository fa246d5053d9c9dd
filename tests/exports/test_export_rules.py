"""The small rules every export relies on: periods, rate wording, safe cells, the notice's words."""
from __future__ import annotations

import tracemalloc
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from feedback.exports import cells, closure_sheet
from feedback.figures.closure import Figures, OverdueItem
from feedback.exports.assessment import date_span, problems_text, scope_word
from feedback.exports.periods import (Period, PeriodError, cut_off, parse_as_of, parse_month, parse_quarter,
                                      parse_range, previous_month)
from feedback.timeutil import LOCAL


def test_rates_read_like_the_notices():
    assert cells.rate_text(1.0) == "100%"
    assert cells.rate_text(171 / 173) == "98.8%"  # the 四川 2025 H2 notice: 173 messages, 98.8%
    assert cells.rate_text(3 / 8) == "37.5%"
    assert cells.rate_text(2 / 3) == "66.7%"
    assert cells.rate_text(0.0) == "0%"
    assert cells.rate_text(None) == ""
    # one overdue message in ten thousand must not read as a perfect 100%
    assert cells.rate_text(9999 / 10000) == "99.9%"


@pytest.mark.parametrize("text", ["=1+2", "+86 10", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert cells.safe(text) == "'" + text


def test_plain_text_and_numbers_stay_as_they_are():
    assert cells.safe("东城县教育局") == "东城县教育局"
    assert cells.safe("a=b") == "a=b"
    assert cells.safe(-2) == -2 and cells.safe(0.5) == 0.5 and cells.safe(None) is None


def test_periods_parse_and_say_which_field_is_wrong():
    assert parse_month("2026-02") == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert parse_month("2024-02").date_to == date(2024, 2, 29)
    assert previous_month(date(2027, 1, 1)) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert parse_quarter("2026Q4").period == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert parse_quarter("2024Q1").period.date_to == date(2024, 3, 31)
    for bad, parser in (("2026-13", parse_month), ("2026/10", parse_month), ("2026Q5", parse_quarter),
                        ("Q3", parse_quarter)):
        with pytest.raises(PeriodError):
            parser(bad)
    with pytest.raises(PeriodError) as err:
        parse_range("2026-10-31", "2026-10-01")
    assert err.value.field == "to"
    with pytest.raises(PeriodError) as err:
        parse_range("2026-10-32", "2026-11-01")
    assert err.value.field == "from"


def test_cut_off_times():
    # a bare date is the end of that day; no offset means Asia/Shanghai
    assert parse_as_of("2024-03-10") == datetime(2024, 3, 10, 23, 59, 59, tzinfo=LOCAL)
    assert parse_as_of("2024-03-10 18:00") == datetime(2024, 3, 10, 18, 0, tzinfo=LOCAL)
    assert parse_as_of("2024-03-10T10:00:00+00:00").astimezone(LOCAL).hour == 18
    assert parse_as_of(None) is None
    with pytest.raises(PeriodError):
        parse_as_of("yesterday")
    q1 = parse_quarter("2024Q1").period
    # the 南充 notice: Q1 cut off on 10 March
    assert cut_off(q1, parse_as_of("2024-03-10")) == Period(date(2024, 1, 1), date(2024, 3, 10))
    assert cut_off(q1, parse_as_of("2024-06-01")) == q1
    with pytest.raises(PeriodError):
        cut_off(q1, parse_as_of("2023-12-31"))


def test_date_span_like_the_seeds():
    assert date_span(Period(date(2024, 1, 1), date(2024, 3, 10))) == "2024年1月1日至3月10日"
    assert date_span(Period(date(2023, 4, 12), date(2023, 6, 25))) == "2023年4月12日至6月25日"
    assert date_span(Period(date(2025, 12, 1), date(2026, 1, 31))) == "2025年12月1日至2026年1月31日"
    assert date_span(Period(date(2026, 7, 1), date(2026, 7, 1))) == "2026年7月1日"


def test_scope_word_from_the_unit_name(app):
    def unit(name, kind="office", code="X"):
        return SimpleNamespace(name=name, kind=kind, code=code)

    assert scope_word(unit("南充市人民政府办公室")) == "全市"
    assert scope_word(unit("四川省人民政府办公厅")) == "全省"
    assert scope_word(unit("东城县", "region")) == "全县"
    assert scope_word(unit("西城区", "region")) == "全区"
    assert scope_word(unit("凉山彝族自治州人民政府办公室")) == "全州"
    assert scope_word(unit("广西壮族自治区人民政府办公厅")) == "全区"
    assert scope_word(unit("示例市交通局", "department")) == "示例市交通局"
    app.config["EXPORT_SCOPE_WORDS"] = {"X": "全县（市、区）"}
    assert scope_word(unit("南充市人民政府办公室")) == "全县（市、区）"


def test_problems_wording():
    assert problems_text(2, 1) == "“我为政府网站找错”网民留言超期未办结2条、超期办结1条。"
    assert problems_text(0, 3) == "“我为政府网站找错”网民留言超期办结3条。"
    assert problems_text(0, 0) == ""


def test_the_detail_sheet_streams_in_flat_memory(tmp_path):
    """超期明细 is written row by row: ten times the rows cost no more memory (holding 3,000 rows
    of cells in memory would take several MB)."""
    t = datetime(2026, 11, 2, 10, 0, tzinfo=LOCAL)

    def rows(n):
        for i in range(n):
            yield OverdueItem(i, f"Z{i:08d}", "D1", "东城县教育局", t, t, None, None, "in_progress", "overdue_open", i % 9)

    lines = closure_sheet.summary_lines([], [], Figures.zero())

    def peak(n):
        tracemalloc.start()
        closure_sheet.write_xlsx(str(tmp_path / f"{n}.xlsx"), lines, rows(n))
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    small, large = peak(300), peak(3_000)
    assert large < small + 1024 * 1024, (small, large)
    ws = load_workbook(tmp_path / "3000.xlsx", read_only=True)["超期明细"]
    assert sum(1 for _ in ws.iter_rows()) == 3_001  # the header and every row
