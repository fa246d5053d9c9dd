"""The assessment of a quarter or any window (DESIGN.md: Exports and the quarterly assessment).

Per-unit closure figures for a quarter (cut off at `as_of` when the quarter is not over) or for a
window from one notice's cut-off to the next (whole local days, both included, never cut),
deductions and flags from the rules in force at the window's end (feedback/settings), the notice
paragraph of the 找错 section (feedback/exports/notice.py), and the JSON / XLSX / DOCX renderings
of the same numbers.
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

from feedback.exports import cells, notice
from feedback.exports.cells import PERCENT_FORMAT
from feedback.exports.closure_sheet import (SUMMARY_HEADERS, Line, note_rows, parent_names, print_header,
                                            report_root_code, styled_row, summary_lines, summary_values)
from feedback.exports.notice import date_span, problems_text  # noqa: F401  (their old home)
from feedback.exports.periods import Period, Quarter, cut_off
from feedback.extensions import db
from feedback.figures import snapshot
from feedback.figures.closure import closure
from feedback.settings import service as settings
from feedback.settings.registry import DEDUCTION_DEFAULTS
from feedback.findings.assessment import FindingCounts, counts_by_unit as finding_counts
from feedback.findings.assessment import deductions as finding_deductions, rules as findings_rules
from feedback.tickets.models import TicketEvent
from feedback.timeutil import iso

DEFAULT_RULES = DEDUCTION_DEFAULTS  # the settings deduction.* (feedback/settings/registry.py)
FLAG_RATE = "on_time_rate_below_target"
FLAG_RETURNS = "returns_over_limit"

ASSESSMENT_SHEET = "季度考核"
WINDOW_SHEET = "考核"
RULES_SHEET = "扣分规则"
EXTRA_HEADERS = ["退回错转数", "扣分", "标记", "存在的问题", "整改未完成", "整改超期"]


def rules(at: datetime | None = None, overrides: dict | None = None) -> dict:
    """The deduction rules in force at `at` (settings deduction.*)."""
    merged = {name: settings.get(f"deduction.{name}", at) for name in DEFAULT_RULES}
    merged.update(overrides or {})
    return merged


@dataclass
class AssessedRow:
    row: object  # figures.closure.Row
    returns: int  # 退回: tickets this unit sent back as not theirs, in the period
    deductions: float
    flags: list[str]
    problems: str  # 存在的问题, empty when none
    findings: FindingCounts = field(default_factory=FindingCounts)  # 整改 due in the window, at the cut-off
    findings_deductions: float = 0.0  # included in deductions

    @property
    def unit(self):
        return self.row.unit

    @property
    def figures(self):
        return self.row.figures


@dataclass
class Assessment:
    quarter: Quarter | None  # None for a window between two cut-offs
    period: Period  # the quarter, ending at the cut-off date when not over at as_of; or the window
    as_of: datetime
    scope_word: str  # 全市 / 全省 / 全县 …
    rows: list[AssessedRow]
    region_rows: list
    total: object  # Figures: the sum of the rows
    rules: dict
    paragraph: str
    parents: dict = field(default_factory=dict)
    root_code: str | None = None  # the report root (its own group's 小计 is 本级)
    root_id: int | None = None
    root_name: str = ""  # the report root's name (its own 合计 line)
    root_top: bool = True  # the root is a top office: its own clock is the platform clock
    office: object = None  # Figures: the root's own figure, the paragraph's headline
    unassigned: int | None = None
    settings_at: datetime | None = None  # the rules and wording are those in force then
    notice_rules: object = None  # notice.NoticeRules
    attachment: list = field(default_factory=list)  # notice.AttachmentLine, the chosen grouping
    attachment_heading: str = "单位"
    findings_rules: dict = field(default_factory=dict)

    @property
    def total_deductions(self) -> float:
        return round(sum(r.deductions for r in self.rows), 2)

    @property
    def problem_rows(self) -> list[AssessedRow]:
        return [r for r in self.rows if r.problems]

    @property
    def problem_lines(self) -> list:
        return [line for line in self.attachment if line.problems]

    @property
    def label(self) -> str:
        """2026Q4, or 2026-10-01_2026-11-24 for a window."""
        if self.quarter is not None:
            return self.quarter.label
        return f"{self.period.date_from.isoformat()}_{self.period.date_to.isoformat()}"

    @property
    def title(self) -> str:
        return self.quarter.chinese if self.quarter is not None else date_span(self.period)


# --- the rules ---------------------------------------------------------------------------------

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


# --- the notice's words --------------------------------------------------------------------------

_PLACE = re.compile(r"(特别行政区|自治区|自治州|自治县|省|市|州|盟|县|旗|区)")
_PLACE_WORDS = {"特别行政区": "全区", "自治区": "全区", "省": "全省", "市": "全市", "自治州": "全州", "州": "全州",
                "盟": "全盟", "自治县": "全县", "县": "全县", "旗": "全旗", "区": "全区"}


def scope_word(unit, configured_word: str = "") -> str:
    """全市 / 全省 / 全县 … for the scope unit: the setting notice.scope_word for a top unit when
    set, else app.config EXPORT_SCOPE_WORDS {unit code: word}, else from the place in its name
    (南充市人民政府办公室 → 全市, 四川省人民政府办公厅 → 全省). A department speaks for itself
    (市交通局 → 市交通局)."""
    if unit is None:
        return configured_word or "全部"
    if configured_word and getattr(unit, "depth", None) == 0:
        return configured_word
    configured = (current_app.config.get("EXPORT_SCOPE_WORDS") or {}) if has_app_context() else {}
    if unit.code in configured:
        return configured[unit.code]
    if unit.kind == "department":
        return unit.name
    match = _PLACE.search(unit.name)
    return _PLACE_WORDS[match.group(1)] if match else unit.name


# --- assembling --------------------------------------------------------------------------------

def assess(actor, window: Quarter | Period, as_of: datetime, *, scope_unit=None, unit_code: str | None = None,
           rule_overrides: dict | None = None) -> Assessment:
    """A quarter (cut back to as_of's date when not over) or a window (as given)."""
    quarter = window if isinstance(window, Quarter) else None
    period = cut_off(quarter.period, as_of) if quarter is not None else window
    at = notice.rules_time(period)
    rule = rules(at, rule_overrides)
    wording = notice.NoticeRules.at(at)
    # each row on its own clock; the platform clock is the office's own figure alone
    report = closure(actor, period.date_from, period.date_to, as_of, unit_code=unit_code, group="unit",
                     platform=False)
    regions = closure(actor, period.date_from, period.date_to, as_of, unit_code=unit_code, group="region",
                      office=False, platform=False)
    returned = returns_by_unit([r.unit.id for r in report.rows], period, as_of)
    rows = [assess_row(r, returned.get(r.unit.id, 0), rule) for r in report.rows]
    finding_rules = add_findings(rows, period, as_of)
    root = scope_unit if scope_unit is not None else report.root
    word = scope_word(root, wording.scope_word)
    root_code = report_root_code(report)
    headline = report.office  # the paragraph's count and rate are `office`'s (CONTRACT.md)
    lines = notice.attachment_lines(report.rows, regions.rows, root_code, wording.attachment)
    # the units at 100 %: the office names those it supervises, not itself
    full = [line.name for line in lines if line.figures.on_time_rate == 1 and line.code != root_code]
    text = notice.paragraph(period, headline, word, wording, quarter=quarter, full_units=full)
    return Assessment(quarter, period, as_of, word, rows, regions.rows, report.total, rule, text,
                      parent_names(report.rows), root_code, getattr(root, "id", None),
                      root_name=report.root.name if report.root is not None else "",
                      root_top=report.top,
                      office=headline, unassigned=report.unassigned,
                      settings_at=at, notice_rules=wording, attachment=lines,
                      attachment_heading=notice.attachment_heading(wording.attachment,
                                                                   getattr(root, "name", None)),
                      findings_rules=finding_rules)


def add_findings(rows: list[AssessedRow], period: Period, as_of: datetime) -> dict:
    """Each row's 整改 counts (findings due in the period, as of the cut-off) and their deduction,
    added to the row's deductions (findings/assessment.py); returns the rules used."""
    rule = findings_rules(as_of)
    counts = finding_counts([r.unit.id for r in rows], period.date_from, period.date_to, as_of)
    for r in rows:
        r.findings = counts.get(r.unit.id, FindingCounts())
        r.findings_deductions = finding_deductions(r.findings, rule)
        r.deductions = round(r.deductions + r.findings_deductions, 2)
    return rule


def to_json(a: Assessment) -> dict:
    """CONTRACT.md: GET /api/v1/assessment/YYYYQn and /api/v1/assessment?from=&to=."""
    rows = []
    for r in a.rows:
        unit = r.unit
        rows.append(dict(r.figures.to_json(), unit={"code": unit.code, "name": unit.name,
                                                     "parent_code": unit.parent_code, "kind": unit.kind},
                         deductions=r.deductions, flags=r.flags, returned=r.returns, problems=r.problems,
                         **r.findings.to_json(), findings_deductions=r.findings_deductions))
    office = a.office.to_json()
    office.pop("platform", None)
    return {
        "quarter": a.quarter.label if a.quarter is not None else None,
        "from": a.period.date_from.isoformat(),
        "to": a.period.date_to.isoformat(),
        "as_of": iso(a.as_of),
        "rows": rows,
        "total": dict(a.total.to_json(), deductions=a.total_deductions,
                      **{name: sum(getattr(r.findings, name[len("findings_"):]) for r in a.rows)
                         for name in FindingCounts().to_json()}),
        "office": office,
        "unassigned": a.unassigned or 0,
        "notice_paragraph": a.paragraph,
        "rules": a.rules,
        "rules_in_force_at": iso(a.settings_at),
        "findings_rules": a.findings_rules,
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
        return [r.returns, r.deductions, labels, r.problems, r.findings.unfinished, r.findings.overdue]
    members = a.rows if line.kind == "total" else [r for r in a.rows if r.row.region.code == line.code]
    return [sum(r.returns for r in members), round(sum(r.deductions for r in members), 2), "", "",
            sum(r.findings.unfinished for r in members), sum(r.findings.overdue for r in members)]


# Column widths of the assessment sheet, chosen to print on one A4 landscape page across at a
# readable scale: figures narrow under headers that wrap, names and problems wrapping in their
# columns rather than being cut at the page edge.
# 序号 单位编码 单位 上级单位 | 6 counts | 率 时长(小时) 时长(工作日) | 退回 扣分 标记 存在的问题 | 整改 未完成 超期
PRINT_WIDTHS = [5, 10, 18, 12] + [7] * 6 + [8, 8, 8] + [6, 6, 14, 30] + [7, 7]
WRAPPED_COLUMNS = frozenset({2, 3, 15, 16})  # 单位, 上级单位, 标记, 存在的问题


def write_xlsx(a: Assessment, path: str) -> None:
    lines = summary_lines([r.row for r in a.rows], a.region_rows, a.total, a.parents, a.root_code, office=a.office,
                          root_name=a.root_name, top=a.root_top, unassigned=a.unassigned or 0)
    by_code = {r.unit.code: r for r in a.rows}
    wb = Workbook(write_only=True)
    title = ASSESSMENT_SHEET if a.quarter is not None else WINDOW_SHEET
    ws = wb.create_sheet(title)
    cells.setup_sheet(ws, PRINT_WIDTHS, print_header(f"{a.title} {title}", a.period, a.as_of))
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.append(cells.header_row(ws, SUMMARY_HEADERS + EXTRA_HEADERS))
    for line in lines:
        extra = _extra_values(a, line, by_code) if line.kind != "office" else [""] * len(EXTRA_HEADERS)
        ws.append(styled_row(ws, line, summary_values(line) + extra, WRAPPED_COLUMNS))
    for row in note_rows(ws, lines):
        ws.append(row)
    _rules_sheet(wb, a)
    wb.save(path)


RULE_LABELS = {
    "points_per_overdue_open": "每条超期未办结留言扣分",
    "points_per_late": "每条超期办结留言扣分",
    "rate_flag_below": "按期办结率低于此值时标记",
    "max_returns": "退回错转留言超过此条数时标记",
    "findings.points_per_overdue": "每项超期未整改的整改事项扣分",
    "findings.points_per_unfinished": "每项未完成整改（含待复核）的整改事项扣分",
}


def _rules_sheet(wb, a: Assessment) -> None:
    ws = wb.create_sheet(RULES_SHEET)
    cells.setup_sheet(ws, [36, 14])
    ws.append(cells.header_row(ws, ["规则", "值"]))
    for key, value in a.rules.items():
        fmt = PERCENT_FORMAT if key == "rate_flag_below" else None
        ws.append([cells.cell(ws, RULE_LABELS.get(key, key)), cells.cell(ws, value, fmt)])
    for key, value in a.findings_rules.items():
        ws.append([cells.cell(ws, RULE_LABELS.get(key, key)), cells.cell(ws, value)])
    ws.append([cells.cell(ws, "截至时间"), cells.cell(ws, cells.local_naive(a.as_of), cells.TIME_FORMAT)])
    # a past window states the rules it used: those in force at the end of its last day
    ws.append([cells.cell(ws, "规则适用时间"), cells.cell(ws, cells.local_naive(a.settings_at), cells.TIME_FORMAT)])


NOTICE_FORMATS = ("docx", "json")  # the files that carry the notice's paragraph


def export_assessment(actor, window: Quarter | Period, as_of: datetime, fmt: str, path: str, *, scope_unit=None,
                      unit_code: str | None = None, progress=lambda p: None) -> Assessment:
    """Write the assessment to `path` (replaced atomically); a notice (DOCX, JSON) is remembered
    with its window, so the next one can start the day after its cut-off. Commits. Every figure
    from one snapshot (figures/snapshot.py; the caller has written nothing yet)."""
    snapshot.begin()
    a = assess(actor, window, as_of, scope_unit=scope_unit, unit_code=unit_code)
    snapshot.end()  # before the notice's window is written: a write must not start from an old snapshot
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
    if fmt in NOTICE_FORMATS:
        notice.remember(a.root_id, a.period, a.as_of, fmt, actor.label)
        db.session.commit()
    progress(100)
    return a


def default_filename(window: Quarter | Period, fmt: str, scope_code: str) -> str:
    """季度考核_C0_2026Q4.docx, or 考核_C0_2026-10-01_2026-11-24.docx for a window."""
    if isinstance(window, Quarter):
        return f"季度考核_{scope_code}_{window.label}.{fmt}"
    return f"考核_{scope_code}_{window.date_from.isoformat()}_{window.date_to.isoformat()}.{fmt}"

