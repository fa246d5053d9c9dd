"""The XLSX of a notice's findings with their state, for the written report to the level above
(DESIGN.md: the notice's 附件 and the findings are one record): 序号, 单位, 网站/账号, 问题类型,
存在的问题, 问题网址, 整改期限, 状态, 整改情况, 整改报告时间, 复核通过时间."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from feedback.accounts.scope import Actor
from feedback.exports import cells
from feedback.extensions import db
from feedback.findings.models import Finding
from feedback.findings.rules import is_overdue
from feedback.findings.scope import finding_scope

SHEET = "整改情况"
HEADERS = ["序号", "单位编码", "单位", "网站标识码/账号", "问题类型", "存在的问题", "问题网址", "整改期限",
           "状态", "整改情况", "整改报告时间", "复核通过时间"]
WIDTHS = [6, 12, 24, 16, 12, 40, 30, 12, 12, 40, 17, 17]
STATE_WORDS = {"open": "未整改", "reported": "待复核", "accepted": "已整改"}
CATEGORY_WORDS = {"content_error": "内容错误", "outdated": "信息不更新", "broken_link": "链接错误",
                  "no_response": "互动回应差", "service": "办事服务不实用", "security": "安全问题", "other": "其他"}


def state_word(finding: Finding, at: datetime) -> str:
    word = STATE_WORDS[finding.state]
    return word + "（已超期）" if is_overdue(finding.state, finding.fix_by, at) else word


def rows(actor: Actor, source: str | None) -> list[Finding]:
    query = sa.select(Finding).where(finding_scope(actor)).options(selectinload(Finding.unit))
    if source:
        query = query.where(Finding.source == source)
    return db.session.execute(query).scalars().all()


def write_xlsx(actor: Actor, source: str | None, at: datetime, out) -> int:
    """Writes the sheet to `out` (a path or a binary file); returns the number of findings."""
    found = sorted(rows(actor, source), key=lambda f: (f.unit.path, f.fix_by, f.id))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    cells.setup_sheet(ws, WIDTHS, f"{source or '全部来源'} {SHEET}")
    ws.append(cells.header_row(ws, HEADERS))
    for number, f in enumerate(found, start=1):
        category = CATEGORY_WORDS.get(f.category, f.category)
        if f.category == "other" and f.category_label:
            category = f.category_label
        values = [number, f.unit.code, f.unit.name, f.site_code or f.account or "", category, f.description,
                  f.url or "", f.fix_by, state_word(f, at), f.report_text or "",
                  cells.local_naive(f.reported_at), cells.local_naive(f.accepted_at)]
        formats = {7: "yyyy-mm-dd", 10: cells.TIME_FORMAT, 11: cells.TIME_FORMAT}
        ws.append([cells.cell(ws, v, formats.get(i)) for i, v in enumerate(values)])
    wb.save(out)
    return len(found)
