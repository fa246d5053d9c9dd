"""The notice's 找错 paragraph as the seeds write it, its attachment lines, and the cut-off of
each generated notice (DESIGN.md: Exports and the quarterly assessment).

The office chooses the elements and wording in its settings (feedback/settings/registry.py,
notice.*); the rules of a window are those in force at the end of its `to` day, so a past
window's notice reads as it would have then. Numbers are printed as the seeds print them: counts
whole, rates to one decimal without a trailing .0 (100%, 98.8%), never rounded up to 100%.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from feedback.exports import cells
from feedback.exports.notice_models import NoticeCutoff
from feedback.exports.periods import Period, Quarter
from feedback.extensions import db
from feedback.figures.closure import Figures
from feedback.settings import service as settings
from feedback.timeutil import end_of_local_day, now

PLATFORM_NAME = "“我为政府网站找错”平台"


@dataclass(frozen=True)
class NoticeRules:
    section: str  # （三）; empty: no heading
    scope_word: str  # 全市; empty: the word from the office's name
    date_style: str  # full | no_year | since | quarter
    source: str  # 网民反馈的“我为政府网站找错”留言
    rate_word: str  # 按期办结率为 / 按期办结率 / 按时办结率
    elements: tuple  # registry.NOTICE_ELEMENTS chosen
    attachment: str  # region | unit

    @classmethod
    def at(cls, t: datetime | None) -> "NoticeRules":
        return cls(*(settings.get(f"notice.{name}", t) for name in
                     ("section", "scope_word", "date_style", "source", "rate_word", "elements", "attachment")))


def rules_time(period: Period) -> datetime:
    """The settings a window is computed with: those in force at the end of its last day."""
    return end_of_local_day(period.date_to)


# --- the paragraph ---------------------------------------------------------------------------------

def date_span(period: Period) -> str:
    """2024年1月1日至3月10日 (the year once, again only when the range crosses a year)."""
    a, b = period.date_from, period.date_to
    start = f"{a.year}年{a.month}月{a.day}日"
    if a == b:
        return start
    end = f"{b.month}月{b.day}日" if a.year == b.year else f"{b.year}年{b.month}月{b.day}日"
    return f"{start}至{end}"


def _whole_quarter(period: Period) -> Quarter | None:
    a = period.date_from
    if a.day != 1 or (a.month - 1) % 3:
        return None
    q = Quarter(a.year, (a.month - 1) // 3 + 1)
    return q if q.period == period else None


def date_words(period: Period, style: str, quarter: Quarter | None = None) -> str:
    a, b = period.date_from, period.date_to
    if style == "no_year" and a.year == b.year:  # 湛江: 4月12日至6月25日
        return f"{a.month}月{a.day}日" + ("" if a == b else f"至{b.month}月{b.day}日")
    if style == "since":  # 宜宾: 2023年12月以来
        return f"{a.year}年{a.month}月" + ("" if a.day == 1 else f"{a.day}日") + "以来"
    if style == "quarter":  # 四川: 第四季度
        q = quarter or _whole_quarter(period)
        if q is not None:
            return f"第{'一二三四'[q.number - 1]}季度"
    return date_span(period)


def _with_valid(source: str) -> str:
    """网民留言 → 网民有效留言 (宜宾: only valid messages count, and the notice says so)."""
    if "有效留言" in source or "留言" not in source:
        return source
    head, _, tail = source.rpartition("留言")
    return f"{head}有效留言{tail}"


def _handling_words(f: Figures) -> str | None:
    if f.avg_handling_hours is None:
        return None
    if f.avg_handling_hours < 24:  # 四川 2025: 平均办理时长小于1天
        return "平均办理时长小于1天"
    return f"平均办理时长{cells.one_decimal(f.avg_handling_workdays)}个工作日"


def paragraph(period: Period, headline: Figures, word: str, rules: NoticeRules, *,
              quarter: Quarter | None = None, full_units: list[str] = ()) -> str:
    """The 找错 paragraph in the office's chosen shape (see the seeds in tests/exports)."""
    head = f"{rules.section}{PLATFORM_NAME}。" if rules.section else ""
    when = date_words(period, rules.date_style, quarter)
    elements = set(rules.elements)
    source = _with_valid(rules.source) if "valid" in elements else rules.source
    scope = word if "scope" in elements else ""
    if headline.received == 0:
        return f"{head}{when}，{scope}未收到{source}。"
    parts = [f"{scope}共收到{source}{headline.received}条" if scope else f"收到{source}{headline.received}条"]
    if "closed" in elements:
        parts.append(f"办结{headline.closed}条")
    if elements & {"on_time_rate", "all_on_time"}:
        parts.append(_rate_words(headline, rules, all_on_time="all_on_time" in elements))
    if "avg_handling" in elements and _handling_words(headline):
        parts.append(_handling_words(headline))
    text = f"{head}{when}，{'，'.join(parts)}。"
    if "units_full" in elements and full_units:  # 四川 2022 附件4: the units at 100 %
        text += f"其中，{'、'.join(full_units)}{rules.rate_word}100%。"
    return text


def _rate_words(f: Figures, rules: NoticeRules, *, all_on_time: bool) -> str:
    if all_on_time and f.received and f.on_time == f.closed == f.received:  # 湛江
        return "均已按期办理，办结率100%"
    if f.on_time_rate is None:  # nothing closed and nothing overdue yet: no rate to state
        return "均在办理期限内，尚未办结"
    words = f"{rules.rate_word}{cells.rate_text(f.on_time_rate)}"
    if f.pending:  # a rate while messages are still open says what it leaves out
        words += f"（另有{f.pending}条尚在办理期限内，未计入）"
    return words


# --- the attachment --------------------------------------------------------------------------------

@dataclass
class AttachmentLine:
    code: str
    name: str
    figures: Figures
    problems: str


def problems_text(overdue_open: int, late: int) -> str:
    parts = []
    if overdue_open:
        parts.append(f"超期未办结{overdue_open}条")
    if late:
        parts.append(f"超期办结{late}条")
    return f"“我为政府网站找错”网民留言{'、'.join(parts)}。" if parts else ""


def attachment_lines(unit_rows, region_rows, root_code: str | None, grouping: str) -> list[AttachmentLine]:
    """Every line of the chosen grouping, in the report's order: each unit, or (南充's
    县（市、区）/市级部门) each region as one line on the region's figures and each unit of the
    root's own group (市直部门, the office itself) as its own line."""
    def line(unit, f):
        return AttachmentLine(unit.code, unit.name, f, problems_text(f.overdue_open, f.late))

    if grouping == "unit":
        return [line(r.unit, r.figures) for r in unit_rows]
    regions = {r.unit.code: r for r in region_rows}
    out, seen = [], set()
    for r in unit_rows:
        head = r.region.code
        if head == root_code or head not in regions:
            out.append(line(r.unit, r.figures))
        elif head not in seen:
            seen.add(head)
            out.append(line(regions[head].unit, regions[head].figures))
    return out


def attachment_heading(grouping: str, root_name: str | None) -> str:
    if grouping == "unit":
        return "单位"
    if root_name and "省" in root_name:
        return "市（州）/省直部门（单位）"
    return "县（市、区）/市级部门（单位）"


# --- cut-offs ----------------------------------------------------------------------------------------

def remember(scope_unit_id: int | None, period: Period, as_of: datetime, fmt: str, actor: str) -> None:
    db.session.add(NoticeCutoff(scope_unit_id=scope_unit_id, date_from=period.date_from, date_to=period.date_to,
                                as_of=as_of, format=fmt, actor=actor[:200], created_at=now()))


def last_cutoff(scope_unit_id: int | None) -> NoticeCutoff | None:
    column = NoticeCutoff.scope_unit_id
    where = column.is_(None) if scope_unit_id is None else column == scope_unit_id
    return db.session.execute(sa.select(NoticeCutoff).where(where)
                              .order_by(NoticeCutoff.created_at.desc(), NoticeCutoff.id.desc()).limit(1)
                              ).scalar_one_or_none()


def next_window(scope_unit_id: int | None, today: date) -> Period | None:
    """From the day after the last notice's cut-off to today; None when there was no notice yet
    or it already reaches today."""
    last = last_cutoff(scope_unit_id)
    if last is None or last.date_to >= today:
        return None
    return Period(last.date_to + timedelta(days=1), today)


