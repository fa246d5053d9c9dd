"""整改 in the assessment (DESIGN.md: overdue findings count in the assessment): per unit, the
findings whose fix-by date lies in the window, in the state each was in at the cut-off `as_of`
(read from their events: the last event by then), and the deduction the settings give for them.

- findings_open: open at as_of (never reported, or sent back) — the unit still owes its 整改;
- findings_overdue: of those, past their fix-by date at as_of;
- findings_reported: reported and awaiting 复核 at as_of;
- findings_accepted: accepted by as_of.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from feedback.extensions import db
from feedback.findings.models import Finding, FindingEvent
from feedback.settings import service as settings
from feedback.timeutil import UTCDateTime, local_date

RULE_KEYS = ("findings.points_per_overdue", "findings.points_per_unfinished")


@dataclass
class FindingCounts:
    open: int = 0
    overdue: int = 0
    reported: int = 0
    accepted: int = 0

    @property
    def unfinished(self) -> int:
        return self.open + self.reported

    def to_json(self) -> dict:
        return {"findings_open": self.open, "findings_overdue": self.overdue,
                "findings_reported": self.reported, "findings_accepted": self.accepted}


def rules(at: datetime) -> dict:
    return {key: settings.get(key, at) for key in RULE_KEYS}


def deductions(counts: FindingCounts, rule: dict) -> float:
    return round(counts.overdue * float(rule["findings.points_per_overdue"])
                 + counts.unfinished * float(rule["findings.points_per_unfinished"]), 2)


def counts_by_unit(unit_ids: list[int], date_from: date, date_to: date, as_of: datetime) -> dict[int, FindingCounts]:
    """One GROUP BY over the findings due in [date_from, date_to] and their state at as_of."""
    if not unit_ids:
        return {}
    t = sa.literal(as_of, UTCDateTime())
    last = (sa.select(FindingEvent.finding_id, sa.func.max(FindingEvent.id).label("event_id"))
            .where(FindingEvent.at <= t).group_by(FindingEvent.finding_id).subquery("last_event"))
    state = FindingEvent.to_state
    overdue = sa.and_(state == "open", Finding.fix_by < local_date(as_of))
    rows = db.session.execute(
        sa.select(Finding.unit_id,
                  sa.func.sum(sa.case((state == "open", 1), else_=0)),
                  sa.func.sum(sa.case((overdue, 1), else_=0)),
                  sa.func.sum(sa.case((state == "reported", 1), else_=0)),
                  sa.func.sum(sa.case((state == "accepted", 1), else_=0)))
        .join(last, last.c.finding_id == Finding.id)
        .join(FindingEvent, FindingEvent.id == last.c.event_id)
        .where(Finding.unit_id.in_(unit_ids), Finding.fix_by >= date_from, Finding.fix_by <= date_to)
        .group_by(Finding.unit_id)).all()
    return {unit_id: FindingCounts(*(int(v or 0) for v in values)) for unit_id, *values in rows}
