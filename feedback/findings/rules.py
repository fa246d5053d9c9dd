"""When a finding is overdue (DESIGN.md: Inspection findings): while it is `open` (never reported,
or sent back) after 23:59:59 local time on its fix-by date. One reported and awaiting 复核 is
not. Written once in Python and once in SQL; tests hold the two together."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from feedback.findings.models import Finding
from feedback.timeutil import local_date


def is_overdue(state: str, fix_by: date, at: datetime) -> bool:
    # after 23:59:59 on fix_by ⇔ the local date at `at` is past fix_by
    return state == "open" and local_date(at) > fix_by


def overdue_clause(at: datetime):
    return sa.and_(Finding.state == "open", Finding.fix_by < local_date(at))
