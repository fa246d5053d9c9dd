"""The monthly closure-rate export, 月度按期办结率 (CONTRACT.md: Monthly closure-rate export).

Sheet 按期办结率: one line per unit, a 小计 line after each region's units, then two 合计 lines:
the units' sum (each on its own clock, without 未分派) and the report root's own figure (the
platform clock for the top office, else the hand-off into the root; 未分派 included), each
named in its 单位 cell. Subtotals come from the figures module's group="region" figures: the
region's own figure on the clock of the hand-off into it (rates from summed counts, averages over
the region's tickets), never from the unit lines; where that differs from the sum of the lines
above it, a note under the table says so (DESIGN.md: Figures).
Sheet 超期明细: every late-closed or overdue-open ticket, streamed from the database into a
write-only workbook so memory stays flat however many there are. The CSV carries sheet 1.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Iterator

import sqlalchemy as sa
from openpyxl import Workbook

from feedback.directory.models import Unit
from feedback.exports import cells
from feedback.exports.cells import DECIMAL_FORMAT, PERCENT_FORMAT, SUM_FILL, TIME_FORMAT
from feedback.exports.periods import Period, month_period
from feedback.exports.sheet_rows import RowWriter, Style
from feedback.extensions import db
from feedback.figures import snapshot
from feedback.figures.closure import closure, overdue_details
from feedback.timeutil import LOCAL

SUMMARY_SHEET = "按期办结率"
DETAIL_SHEET = "超期明细"
SUMMARY_HEADERS = [
    "序号", "单位编码", "单位", "上级单位", "收到留言数", "办结数", "按期办结数", "超期办结数",
    "超期未办结数", "办理中", "按期办结率", "平均办理时长(小时)", "平均办理时长(工作日)",
]
DETAIL_HEADERS = ["留言编号", "单位", "转办时间", "办理期限", "答复时间", "状态", "超期工作日数"]
DETAIL_WIDTHS = [24, 32, 18, 18, 18, 14, 14]
COUNT_FIELDS = ("received", "closed", "on_time", "late", "overdue_open", "pending")
SUBTOTAL, TOTAL = "小计", "合计"

STATE_LABELS = {  # 状态 as the office writes it
    "new": "待分派", "assigned": "待签收", "in_progress": "办理中", "replied": "已答复待审核",
    "closed": "办结", "invalid": "无效",
}

Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    pass


@dataclass
class Line:
    """One line of sheet 1: a unit, a region's 小计 or the 合计."""

    kind: str  # unit | subtotal | total | office
    number: int | None
    code: str
    name: str
    parent: str
    figures: object  # figures.closure.Figures
    note: str = ""  # a 小计 that differs from the sum of its units' lines: how


TOTAL_NAME = "各单位之和（按各单位本级时限，不含未分派）"
DIFFERING = (("on_time", "按期办结"), ("late", "超期办结"), ("overdue_open", "超期未办结"), ("pending", "办理中"))


def office_name(root_name: str, top: bool, unassigned: int) -> str:
    clock = "平台时限" if top else "上级转办时限"
    return f"{root_name}本级（{clock}，含未分派{unassigned}条）"


def subtotal_note(line: Line, units: list[Line]) -> str:
    """Where a region's own figure differs from the sum of its units' lines, in words."""
    parts = []
    for name, label in DIFFERING:
        own, summed = getattr(line.figures, name), sum(getattr(u.figures, name) for u in units)
        if own != summed:
            parts.append(f"{label}{own}条（各单位之和{summed}条）")
    if not parts:
        return ""
    return (f"{line.name}小计按转入{line.name}的转办时限计算，与上列各单位按本单位时限之和不同：" + "、".join(parts) + "。")


def parent_names(rows) -> dict[str, str]:
    """Names of the parent units (上级单位), one query for the whole sheet."""
    codes = {r.unit.parent_code for r in rows if r.unit.parent_code}
    if not codes:
        return {}
    return dict(db.session.execute(sa.select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())


def summary_lines(rows, region_rows, total, parents: dict[str, str] | None = None,
                  root_code: str | None = None, *, office=None, root_name: str = "", top: bool = True,
                  unassigned: int = 0) -> list[Line]:
    """Unit lines in the figures module's order (each region's units together), a 小计 after each
    region's run of units from that region's own figures (with a note where they differ from the
    sum of its lines), then the 合计 of the units' lines and, when `office` is given, the root's own.

    The report root's own group (the office itself and the departments directly under it, 本级)
    is named so, since it holds fewer units than the root's whole subtree."""
    parents = parents or {}
    by_region = {r.unit.code: r for r in region_rows}
    lines: list[Line] = []
    number = 0

    def subtotal(code: str) -> Line:
        region = by_region.get(code)
        if region is None:
            raise LookupError(f"the figures module returned no region figures for {code!r}")
        name = f"{region.unit.name}（本级）" if code == root_code else region.unit.name
        return Line("subtotal", None, region.unit.code, name, "", region.figures)

    group: list[Line] = []
    for index, row in enumerate(rows):
        number += 1
        line = Line("unit", number, row.unit.code, row.unit.name, parents.get(row.unit.parent_code, ""), row.figures)
        lines.append(line)
        group.append(line)
        following = rows[index + 1] if index + 1 < len(rows) else None
        if following is None or following.region.code != row.region.code:
            sub = subtotal(row.region.code)
            sub.note = subtotal_note(sub, group)
            lines.append(sub)
            group = []
    lines.append(Line("total", None, "", TOTAL_NAME if office is not None else "", "", total))
    if office is not None:
        lines.append(Line("office", None, root_code or "", office_name(root_name, top, unassigned), "", office))
    return lines


def note_values(lines: list[Line]) -> list[list[str]]:
    """注: the 小计 lines that differ from the sum of their units' lines, under the table."""
    return [["注", "", line.note] for line in lines if line.note]


def note_rows(ws, lines: list[Line]) -> list[list]:
    return [[cells.cell(ws, v) for v in values] for values in note_values(lines)]


def _first_cells(line: Line) -> list:
    """序号, 单位编码, 单位, 上级单位: a 小计 names its region, the label sits in 序号."""
    if line.kind == "unit":
        return [line.number, line.code, line.name, line.parent]
    if line.kind == "subtotal":
        return [SUBTOTAL, line.code, line.name, line.parent]
    return [TOTAL, line.code, line.name, ""]


def summary_values(line: Line) -> list:
    """The 13 values of a line as numbers (rate 0..1, None when undefined)."""
    f = line.figures
    return _first_cells(line) + [getattr(f, name) for name in COUNT_FIELDS] + [
        f.on_time_rate, f.avg_handling_hours, f.avg_handling_workdays]


def summary_widths(lines: list[Line]) -> list[float]:
    name_width = max([cells.display_width(line.name) for line in lines] + [12])
    parent_width = max([cells.display_width(line.parent) for line in lines] + [12])
    code_width = max([len(line.code) for line in lines] + [10])
    return [7, min(code_width + 3, 30), min(name_width + 3, 60), min(parent_width + 3, 50),
            12, 9, 12, 12, 13, 9, 12, 20, 22]


def number_format(column: int) -> str | None:
    """按期办结率 is a percent; the two averages show one decimal (the value keeps two)."""
    return PERCENT_FORMAT if column == 10 else DECIMAL_FORMAT if column in (11, 12) else None


def column_style(column: int, bold: bool, wrap: frozenset[int] = frozenset()) -> dict:
    """cells.cell's style arguments for a column of a line: 小计 and 合计 lines bold on grey,
    序号 centred; the columns in `wrap` break their text over lines within the column."""
    return dict(number_format=number_format(column), bold=bold, fill=SUM_FILL if bold else None,
                center=column == 0, wrap=column in wrap)


def styled_row(ws, line: Line, values: list, wrap: frozenset[int] = frozenset()) -> list:
    """A line's cells."""
    bold = line.kind != "unit"
    return [cells.cell(ws, v, **column_style(i, bold, wrap)) for i, v in enumerate(values)]


def line_styles(rows: RowWriter, bold: bool, count: int) -> list[Style]:
    """The styles of a line's cells, for RowWriter: as styled_row styles them."""
    return [rows.style(**column_style(i, bold)) for i in range(count)]


def state_label(item) -> str:
    """状态 at the cut-off time: 办结 for a late closure; for a ticket overdue at T, its state then
    (a ticket closed since T was still open at T: awaiting review if its reply was in by T)."""
    if item.status == "late":
        return STATE_LABELS["closed"]
    if item.state == "closed":
        return STATE_LABELS["replied" if item.replied_at is not None else "in_progress"]
    return STATE_LABELS.get(item.state, item.state)


def detail_values(item) -> list:
    return [item.platform_id, item.unit_name, cells.local_naive(item.received_at), cells.local_naive(item.unit_due_at),
            cells.local_naive(item.replied_at), state_label(item), item.overdue_workdays]


def detail_styles(rows: RowWriter) -> list[Style]:
    """Times in local wall time to the minute, 状态 centred."""
    text, time = rows.style(), rows.style(TIME_FORMAT)
    return [text, text, time, time, time, rows.style(center=True), text]


def print_header(title: str, period: Period, as_of: datetime) -> str:
    cut = as_of.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
    return f"{title}  {period.date_from.isoformat()} 至 {period.date_to.isoformat()}（截至 {cut}）"


def write_xlsx(path: str, lines: list[Line], details: Iterable, *, expected_details: int = 0,
               header: str = "", progress: Progress = _no_progress) -> int:
    """Write both sheets; returns the number of 超期明细 rows. `details` is consumed lazily."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(SUMMARY_SHEET)
    cells.setup_sheet(summary, summary_widths(lines), header)
    rows = RowWriter(summary)
    rows.append(SUMMARY_HEADERS, [rows.header_style()] * len(SUMMARY_HEADERS))
    unit_styles = line_styles(rows, False, len(SUMMARY_HEADERS))
    sum_styles = line_styles(rows, True, len(SUMMARY_HEADERS))
    for line in lines:
        rows.append(summary_values(line), unit_styles if line.kind == "unit" else sum_styles)
    for values in note_values(lines):
        rows.append(values, [rows.style()] * len(values))
    progress(40)

    detail = wb.create_sheet(DETAIL_SHEET)
    cells.setup_sheet(detail, DETAIL_WIDTHS, header.replace(SUMMARY_SHEET, DETAIL_SHEET, 1))
    rows = RowWriter(detail)
    rows.append(DETAIL_HEADERS, [rows.header_style()] * len(DETAIL_HEADERS))
    styles = detail_styles(rows)
    count = 0
    step = max(expected_details // 20, 500)
    for record in details:
        rows.append(detail_values(record), styles)
        count += 1
        if expected_details and count % step == 0:
            progress(40 + min(55, 55 * count // expected_details))
    wb.save(path)
    return count


def csv_rows(lines: list[Line]) -> Iterator[list[str]]:
    yield SUMMARY_HEADERS
    for line in lines:
        values = summary_values(line)
        out = [cells.safe(v) if isinstance(v, str) else ("" if v is None else str(v)) for v in values[:10]]
        out += [cells.rate_text(values[10]), cells.one_decimal(values[11]), cells.one_decimal(values[12])]
        yield out


def write_csv(path: str, lines: list[Line]) -> None:
    # utf-8-sig: the BOM makes Excel open the Chinese headers correctly.
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(csv_rows(lines))


def export_closure(actor, period: Period, as_of: datetime, fmt: str, path: str, *,
                   unit_code: str | None = None, progress: Progress = _no_progress) -> dict:
    """Compute the figures and write the export to `path` (replaced atomically), the summary and
    the 超期明细 from one snapshot (figures/snapshot.py; the caller has written nothing yet)."""
    snapshot.begin()
    # the sheet shows neither median nor P90 nor the platform clock (SUMMARY_HEADERS): without
    # them a month or quarter is read from the settled counts, the same figures
    figures = dict(unit_code=unit_code, percentiles=False, platform=False)
    report = closure(actor, period.date_from, period.date_to, as_of, group="unit", **figures)
    regions = closure(actor, period.date_from, period.date_to, as_of, group="region", office=False, **figures)
    lines = summary_lines(report.rows, regions.rows, report.total, parent_names(report.rows), report_root_code(report),
                          **office_line(report))
    progress(30)
    partial = f"{path}.part"
    details = 0
    if fmt == "csv":
        write_csv(partial, lines)
    elif fmt == "xlsx":
        total = report.total
        stream = overdue_details(actor, period.date_from, period.date_to, as_of, unit_code=unit_code)
        details = write_xlsx(partial, lines, stream, expected_details=total.late + total.overdue_open,
                             header=print_header(SUMMARY_SHEET, period, as_of), progress=progress)
    else:
        raise ValueError(f"unknown closure export format {fmt!r}")
    os.replace(partial, path)
    progress(100)
    # late_or_overdue is the figure (the CSV has no detail sheet); details the rows written
    return {"units": sum(1 for line in lines if line.kind == "unit"), "details": details,
            "late_or_overdue": report.total.late + report.total.overdue_open}


def office_line(report) -> dict:
    """summary_lines' keywords for the root's own 合计 line."""
    root = report.root
    return dict(office=report.office, root_name=root.name if root is not None else "", unassigned=report.unassigned,
                top=report.top)


def report_root_code(report) -> str | None:
    return report.root.code if report.root is not None else None


def default_filename(period: Period, fmt: str, scope_code: str) -> str:
    if period.date_from.day == 1 and period.date_to == _month_end(period):
        span = period.date_from.strftime("%Y-%m")
    else:
        span = f"{period.date_from.isoformat()}_{period.date_to.isoformat()}"
    return f"按期办结率_{scope_code}_{span}.{fmt}"


def _month_end(period: Period):
    return month_period(period.date_from.year, period.date_from.month).date_to
