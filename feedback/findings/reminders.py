"""整改 reminders and escalations, found by the periodic sweep (jobs/sweep.py) from finding rows,
as tickets' are (notices/notify.py): the database is the source of truth, so a job lost with Redis
is found again by the next sweep; the unique dedupe key (ON CONFLICT DO NOTHING) and an
anti-join on (finding, kind, fix-by) make sure nobody is told twice. The key carries the unit and
the fix-by date: a finding moved to another unit or given a new date is a new thing to tell.

- reminder: the unit's staff, on the last working day before the fix-by date (the day the tickets'
  rule gives for a deadline at 23:59:59 that day), while the finding is open;
- escalation: once overdue (open after its fix-by day), the supervisors of its unit and of every
  unit above it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from feedback.accounts.models import User
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.findings.models import Finding
from feedback.findings.rules import overdue_clause
from feedback.notices.models import Notification
from feedback.notices.notify import insert_notices, path_ids, remind_until
from feedback.timeutil import end_of_local_day, local_date


def _untold(kind: str):
    return ~sa.exists().where(Notification.kind == kind, Notification.finding_id == Finding.id,
                              Notification.about_unit_id == Finding.unit_id)


def _notice(kind: str, finding_id: int, unit_id: int, fix_by, audience: str, to_unit: int) -> dict:
    key = f"{kind}:{finding_id}:{unit_id}:{fix_by.isoformat()}"
    if audience == "supervisor":
        key += f":{to_unit}"
    return dict(kind=kind, dedupe_key=key, unit_id=to_unit, audience=audience, ticket_id=None,
                finding_id=finding_id, about_unit_id=unit_id, subject_at=end_of_local_day(fix_by), data=None)


def queue_reminders(at: datetime, calendar: WorkCalendar) -> int:
    """Open findings due by the end of the first working day after today, not yet overdue."""
    today, last = local_date(at), local_date(remind_until(at, calendar))
    due = db.session.execute(
        sa.select(Finding.id, Finding.unit_id, Finding.fix_by)
        .where(Finding.state == "open", Finding.fix_by >= today, Finding.fix_by <= last,
               _untold("finding_remind"))).all()
    return insert_notices([_notice("finding_remind", f.id, f.unit_id, f.fix_by, "unit_staff", f.unit_id)
                           for f in due], at)


def queue_escalations(at: datetime) -> int:
    """Overdue findings, told once to every supervising unit at or above the finding's unit."""
    overdue = db.session.execute(
        sa.select(Finding.id, Finding.unit_id, Finding.fix_by, Unit.path)
        .join(Unit, Unit.id == Finding.unit_id)
        .where(overdue_clause(at), _untold("finding_overdue"))).all()
    if not overdue:
        return 0
    supervising = set(db.session.execute(
        sa.select(User.unit_id).where(User.role == "supervisor", User.active.is_(True)).distinct()).scalars())
    rows = [_notice("finding_overdue", f.id, f.unit_id, f.fix_by, "supervisor", above)
            for f in overdue for above in path_ids(f.path) if above in supervising]
    return insert_notices(rows, at)


def describe_all(notices, tickets: dict, units: dict) -> list[tuple]:
    """notify.described() for a list holding finding notices: (notice, title, detail lines)."""
    from feedback.notices.notify import describe

    ids = {n.finding_id for n in notices if n.finding_id}
    findings = {f.id: f for f in db.session.execute(sa.select(Finding).where(Finding.id.in_(ids))).scalars()}
    out = []
    for n in notices:
        if n.finding_id:
            out.append((n, *describe_finding(n, findings.get(n.finding_id), units.get(n.about_unit_id))))
        else:
            out.append((n, *describe(n, tickets.get(n.ticket_id), units.get(n.about_unit_id))))
    return out


def describe_finding(n, finding: Finding | None, unit) -> tuple[str, list[str]]:
    from flask_babel import gettext as _

    fix_by = local_date(n.subject_at).isoformat() if n.subject_at else "—"
    what = finding.description[:60] if finding else f"#{n.finding_id}"
    if n.kind == "finding_remind":
        return _("整改事项将于 %(date)s 到期，请按期整改并提交整改报告：%(what)s", date=fix_by, what=what), []
    return (_("整改事项已超期未完成（%(unit)s，整改期限 %(date)s）：%(what)s",
              unit=unit.name if unit else "", date=fix_by, what=what), [])
