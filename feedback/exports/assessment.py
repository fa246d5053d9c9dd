"""The quarterly assessment (DESIGN.md: Exports and the quarterly assessment).

Per-unit closure figures for a quarter (cut off at `as_of` when the quarter is not over),
deductions and flags from configurable rules, the notice paragraph of the 找错 section, and
the JSON / XLSX / DOCX renderings of the same numbers.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from openpyxl import Workbook

from feedback.exports import cells
from feedback.exports.cells import PERCENT_FORMAT
from feedback.exports.closure_sheet import (SUMMARY_HEADERS, Line, parent_names, print_header, report_root_code,
                                            styled_row, summary_lines, summary_values)
from feedback.exports.periods import Period, Quarter, cut_off
from feedback.extensions import db
from feedback.figures.closure import closure
from feedback.tickets.models import TicketEvent
from feedback.timeutil import iso

# Overridable by app.config["EXPORT_ASSESSMENT_RULES"] (any subset of these keys).
DEFAULT_RULES = {
    "points_per_overdue_open": 1.0,  # 每条超期未办结留言扣分
    "points_per_late": 0.5,  # 每条超期办结留言扣分
    "rate_flag_below": 1.0,  # 按期办结率低于它时标记 (1.0 = below 100%)
    "max_returns": 2,  # 季度内退回（错转）留言超过这个条数时标记
}
FLAG_RATE = "on_time_rate_below_target"
FLAG_RETURNS = "returns_over_limit"
NOTICE_SECTION = "三"  # （三）“我为政府网站找错”平台 in the 南充 notice; EXPORT_NOTICE_SECTION overrides

ASSESSMENT_SHEET = "季度考核"
RULES_SHEET = "扣分规则"
EXTRA_HEADERS = ["退回错转数", "扣分", "标记", "存在的问题"]


def rules(overrides: dict | None = None) -> dict:
    merged = dict(DEFAULT_RULES)
    if has_app_context():
        merged.update(current_app.config.get("EXPORT_ASSESSMENT_RULES") or {})
    merged.update(overrides or {})
    return merged


@dataclass
class AssessedRow:
    row: object  # figures.closure.Row
    returns: int  # 退回: tickets this unit sent back as not theirs, in the period
    deductions: float
    flags: list[str]
    problems: str  # 存在的问题, empty when none

    @property
    def unit(self):
        return self.row.unit

    @property
    def figures(self):
        return self.row.figures


@dataclass
class Assessment:
    quarter: Quarter
    period: Period  # the quarter, ending at the cut-off date when not over at as_of
    as_of: datetime
    scope_word: str  # 全市 / 全省 / 全县 …
    rows: list[AssessedRow]
    region_rows: list
    total: object  # Figures
    rules: dict
    paragraph: str
    parents: dict = field(default_factory=dict)
    root_code: str | None = None  # the report root (its own group's 小计 is 本级)

    @property
    def total_deductions(self) -> float:
        return round(sum(r.deductions for r in self.rows), 2)

    @property
    def problem_rows(self) -> list[AssessedRow]:
        return [r for r in self.rows if r.problems]


# --- the rules ---------------------------------------------------------------------------------

def problems_text(overdue_open: int, late: int) -> str:
    parts = []
    if overdue_open:
        parts.append(f"超期未办结{overdue_open}条")
    if late:
        parts.append(f"超期办结{late}条")
    return f"“我为政府网站找错”网民留言{'、'.join(parts)}。" if parts else ""


def assess_row(row, returns: int, rule: dict) -> AssessedRow:
    f = row.figures
    points = f.overdue_open * float(rule["points_per_overdue_open"]) + f.late * float(rule["points_per_late"])
    flags = []
    if f.on_time_rate is not None and f.on_time_rate < float(rule["rate_flag_below"]):
        flags.append(FLAG_RATE)
    if returns > int(rule["max_returns"]):
        flags.append(FLAG_RETURNS)
    return AssessedRow(row, returns, round(points, 2), flags, problems_text(f.overdue_open, f.late))


def flag_label(flag: str, row: AssessedRow, rule: dict) -> str:
    if flag == FLAG_RATE:
        return f"按期办结率低于{cells.rate_text(float(rule['rate_flag_below']))}"
    if flag == FLAG_RETURNS:
        return f"退回错转留言{row.returns}条，超过{int(rule['max_returns'])}条"
    return flag


def returns_by_unit(unit_ids: list[int], period: Period, as_of: datetime) -> dict[int, int]:
    """退回 per returning unit in the period up to the cut-off: one GROUP BY over the events
    (lifecycle writes the returning unit into the return event's unit_id)."""
    if not unit_ids:
        return {}
    end = min(period.ends_before, as_of)
    query = (sa.select(TicketEvent.unit_id, sa.func.count())
             .where(TicketEvent.action == "return", TicketEvent.at >= period.starts_at,
                    TicketEvent.at <= end, TicketEvent.unit_id.in_(unit_ids))
             .group_by(TicketEvent.unit_id))
    return {unit_id: n for unit_id, n in db.session.execute(query)}


# --- the notice paragraph ----------------------------------------------------------------------

_PLACE = re.compile(r"(特别行政区|自治区|自治州|自治县|省|市|州|盟|县|旗|区)")
_PLACE_WORDS = {"特别行政区": "全区", "自治区": "全区", "省": "全省", "市": "全市", "自治州": "全州", "州": "全州",
                "盟": "全盟", "自治县": "全县", "县": "全县", "旗": "全旗", "区": "全区"}


def scope_word(unit) -> str:
    """全市 / 全省 / 全县 … for the scope unit: app.config EXPORT_SCOPE_WORDS {unit code: word}
    first, else from the place in its name (南充市人民政府办公室 → 全市, 四川省人民政府办公厅 → 全省).
    A department speaks for itself (市交通局 → 市交通局)."""
    if unit is None:
        return "全部"
    configured = (current_app.config.get("EXPORT_SCOPE_WORDS") or {}) if has_app_context() else {}
    if unit.code in configured:
        return configured[unit.code]
    if unit.kind == "department":
        return unit.name
    match = _PLACE.search(unit.name)
    return _PLACE_WORDS[match.group(1)] if match else unit.name


def date_span(period: Period) -> str:
    """2024年1月1日至3月10日 (the year once, again only when the range crosses a year)."""
    a, b = period.date_from, period.date_to
    start = f"{a.year}年{a.month}月{a.day}日"
    if a == b:
        return start
    end = f"{b.month}月{b.day}日" if a.year == b.year else f"{b.year}年{b.month}月{b.day}日"
    return f"{start}至{end}"


def notice_paragraph(period: Period, total, word: str, section: str | None = None) -> str:
    if section is None:
        section = (current_app.config.get("EXPORT_NOTICE_SECTION") if has_app_context() else None) or NOTICE_SECTION
    head = f"（{section}）“我为政府网站找错”平台。{date_span(period)}，"
    if total.received == 0:
        return head + f"{word}未收到网民反馈的“我为政府网站找错”留言。"
    said = f"{word}共收到网民反馈的“我为政府网站找错”留言{total.received}条，"
    if total.on_time_rate is None:  # nothing closed and nothing overdue yet: no rate to state
        return head + said + "均在办理期限内，尚未办结。"
    return head + said + f"按期办结率为{cells.rate_text(total.on_time_rate)}。"


# --- assembling --------------------------------------------------------------------------------

def assess(actor, quarter: Quarter, as_of: datetime, *, scope_unit=None, unit_code: str | None = None,
           rule_overrides: dict | None = None) -> Assessment:
    rule = rules(rule_overrides)
    period = cut_off(quarter.period, as_of)
    report = closure(actor, period.date_from, period.date_to, as_of, unit_code=unit_code, group="unit")
    regions = closure(actor, period.date_from, period.date_to, as_of, unit_code=unit_code, group="region")
    returned = returns_by_unit([r.unit.id for r in report.rows], period, as_of)
    rows = [assess_row(r, returned.get(r.unit.id, 0), rule) for r in report.rows]
    word = scope_word(scope_unit if scope_unit is not None else report.root)
    return Assessment(quarter, period, as_of, word, rows, regions.rows, report.total, rule,
                      notice_paragraph(period, report.total, word), parent_names(report.rows),
                      report_root_code(report))


def to_json(a: Assessment) -> dict:
    """CONTRACT.md: GET /api/v1/assessment/YYYYQn."""
    rows = []
    for r in a.rows:
        unit = r.unit
        rows.append(dict(r.figures.to_json(), unit={"code": unit.code, "name": unit.name,
                                                     "parent_code": unit.parent_code, "kind": unit.kind},
                         deductions=r.deductions, flags=r.flags, returned=r.returns, problems=r.problems))
    return {
        "quarter": a.quarter.label,
        "from": a.period.date_from.isoformat(),
        "to": a.period.date_to.isoformat(),
        "as_of": iso(a.as_of),
        "rows": rows,
        "total": dict(a.total.to_json(), deductions=a.total_deductions),
        "notice_paragraph": a.paragraph,
        "rules": a.rules,
    }


# --- files ---------------------------------------------------------------------------------------

def write_json(a: Assessment, path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(to_json(a), fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def _extra_values(a: Assessment, line: Line, by_code: dict[str, AssessedRow]) -> list:
    if line.kind == "unit":
        r = by_code[line.code]
        labels = "；".join(flag_label(f, r, a.rules) for f in r.flags)
        return [r.returns, r.deductions, labels, r.problems]
    members = a.rows if line.kind == "total" else [r for r in a.rows if r.row.region.code == line.code]
    return [sum(r.returns for r in members), round(sum(r.deductions for r in members), 2), "", ""]


# Column widths of the assessment sheet, chosen to print on one A4 landscape page across at a
# readable scale: figures narrow under headers that wrap, names and problems wrapping in their
# columns rather than being cut at the page edge.
# 序号 单位编码 单位 上级单位 | 6 counts | 率 时长(小时) 时长(工作日) | 退回 扣分 标记 存在的问题
PRINT_WIDTHS = [5, 10, 18, 12] + [7] * 6 + [8, 8, 8] + [6, 6, 14, 30]
WRAPPED_COLUMNS = frozenset({2, 3, 15, 16})  # 单位, 上级单位, 标记, 存在的问题


def write_xlsx(a: Assessment, path: str) -> None:
    lines = summary_lines([r.row for r in a.rows], a.region_rows, a.total, a.parents, a.root_code)
    by_code = {r.unit.code: r for r in a.rows}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(ASSESSMENT_SHEET)
    cells.setup_sheet(ws, PRINT_WIDTHS, print_header(f"{a.quarter.chinese} {ASSESSMENT_SHEET}", a.period, a.as_of))
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.append(cells.header_row(ws, SUMMARY_HEADERS + EXTRA_HEADERS))
    for line in lines:
        ws.append(styled_row(ws, line, summary_values(line) + _extra_values(a, line, by_code), WRAPPED_COLUMNS))
    _rules_sheet(wb, a)
    wb.save(path)


RULE_LABELS = {
    "points_per_overdue_open": "每条超期未办结留言扣分",
    "points_per_late": "每条超期办结留言扣分",
    "rate_flag_below": "按期办结率低于此值时标记",
    "max_returns": "退回错转留言超过此条数时标记",
}


def _rules_sheet(wb, a: Assessment) -> None:
    ws = wb.create_sheet(RULES_SHEET)
    cells.setup_sheet(ws, [36, 14])
    ws.append(cells.header_row(ws, ["规则", "值"]))
    for key, value in a.rules.items():
        fmt = PERCENT_FORMAT if key == "rate_flag_below" else None
        ws.append([cells.cell(ws, RULE_LABELS.get(key, key)), cells.cell(ws, value, fmt)])
    ws.append([cells.cell(ws, "截至时间"), cells.cell(ws, cells.local_naive(a.as_of), cells.TIME_FORMAT)])


def export_assessment(actor, quarter: Quarter, as_of: datetime, fmt: str, path: str, *, scope_unit=None,
                      unit_code: str | None = None, progress=lambda p: None) -> Assessment:
    a = assess(actor, quarter, as_of, scope_unit=scope_unit, unit_code=unit_code)
    progress(50)
    partial = f"{path}.part"
    if fmt == "json":
        write_json(a, partial)
    elif fmt == "xlsx":
        write_xlsx(a, partial)
    elif fmt == "docx":
        from feedback.exports.notice_docx import write_docx

        write_docx(a, partial)
    else:
        raise ValueError(f"unknown assessment format {fmt!r}")
    os.replace(partial, path)
    progress(100)
    return a


def default_filename(quarter: Quarter, fmt: str, scope_code: str) -> str:
    return f"季度考核_{scope_code}_{quarter.label}.{fmt}"

