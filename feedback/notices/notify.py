"""Telling people: reminders, escalations, daily digests, deadline changes (issue 6).

Every notice is a Notification row for one unit's staff or supervisors. Reminders and
escalations are found and recorded by one INSERT … SELECT each (never a query per ticket),
guarded twice: an anti-join on (ticket, its unit, its deadline) skips what was told already,
and the unique dedupe key with ON CONFLICT DO NOTHING settles two sweeps racing. The key
carries the deadline and the ticket's unit: an extension or a reassignment is a new thing.

The row is the in-app notice; its e-mail copy goes out through the outbox (outbox.py).
"""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from feedback.accounts.models import User
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.figures import rules
from feedback.jobs.queue import enqueue
from feedback.jobs.timing import job_at
from feedback.notices import mail
from feedback.notices.models import Notification
from feedback.tickets.listing import overdue_clause
from feedback.tickets.models import OPEN_STATES, Ticket, is_open
from feedback.timeutil import LOCAL, UTCDateTime, end_of_local_day, iso, local_date, start_of_local_day

log = logging.getLogger(__name__)

N = Notification
T = Ticket
REMIND_STATES = ("assigned", "in_progress")  # a unit still owes a reply (a replied ticket waits on us)
DEFAULT_DIGEST_HOUR = 8  # local time from which the day's digest goes out
NO_SMTP = "no SMTP server configured (FEEDBACK_SMTP_HOST)"


# --- when ------------------------------------------------------------------------------------

def remind_until(at: datetime, calendar: WorkCalendar) -> datetime:
    """Tickets due by this time get their reminder at `at`.

    A ticket due on local date D is reminded on the last working day before D. That day is on
    or before today exactly when no working day lies strictly between today and D, i.e. when
    D is on or before the first working day after today.
    """
    first_workday, _provisional = calendar.nth_workday_after(local_date(at), 1)
    return end_of_local_day(first_workday)


def digest_due(at: datetime, calendar: WorkCalendar) -> bool:
    hour = current_app.config.get("NOTIFY_DIGEST_HOUR", DEFAULT_DIGEST_HOUR)
    local = at.astimezone(LOCAL)
    return calendar.is_workday(local.date()) and local.hour >= hour


# --- reminders and escalations: one INSERT … SELECT each ------------------------------------------

def _told(kind: str):
    """Already told about this ticket, for its current unit and deadline?"""
    return sa.exists().where(
        N.kind == kind, N.ticket_id == T.id, N.about_unit_id == T.unit_id, N.subject_at == T.unit_due_at)


def _ticket_key(kind: str, ticket_id, unit_id, due_at):
    """kind:ticket:unit:deadline, built in SQL (the deadline as the database prints it)."""
    def text(column):
        return sa.cast(column, sa.String)

    return sa.literal(kind, sa.String) + ":" + text(ticket_id) + ":" + text(unit_id) + ":" + text(due_at)


TICKET_NOTICE_COLUMNS = ("kind", "dedupe_key", "unit_id", "audience", "ticket_id", "about_unit_id", "subject_at",
                         "created_at", "email_attempts", "email_status", "email_next_at", "email_error")


def _stored(at: datetime) -> list:
    """created_at and the e-mail columns, as literals for an INSERT … SELECT."""
    when = sa.literal(at, UTCDateTime)
    if mail.configured():
        return [when, sa.literal(0), sa.literal("pending"), when, sa.null()]
    return [when, sa.literal(0), sa.literal("skipped"), sa.null(), sa.literal(NO_SMTP)]


def _insert(columns, select) -> int:
    """INSERT … SELECT … ON CONFLICT DO NOTHING; returns how many rows are new (counted through
    RETURNING: a driver's rowcount for INSERT is not reliable)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    stmt = (insert(N.__table__).from_select(list(columns), select)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(N.id))
    return len(db.session.execute(stmt).all())


def queue_reminders(at: datetime, calendar: WorkCalendar) -> int:
    """One working day before unit_due_at, the unit's staff are reminded (once per deadline)."""
    select = (
        sa.select(sa.literal("remind"), _ticket_key("remind", T.id, T.unit_id, T.unit_due_at), T.unit_id,
                  sa.literal("unit_staff"), T.id, T.unit_id, T.unit_due_at, *_stored(at))
        .where(T.state.in_(REMIND_STATES), rules.not_yet_due_sql(T.unit_due_at, at),
               T.unit_due_at <= remind_until(at, calendar),
               ~_told("remind")))
    return _insert(TICKET_NOTICE_COLUMNS, select)


def queue_escalations(at: datetime) -> int:
    """A ticket gone overdue is told once to the supervisors whose scope holds it: those of its
    unit and of every unit above it. (With nobody supervising it yet, it waits for someone.)"""
    # The overdue tickets nobody was told about first, then their supervisors: materialised, so
    # the "told already?" probe runs once per ticket (a hash anti-join), not per supervisor.
    untold = (sa.select(T.id, T.unit_id, T.unit_due_at).where(overdue_clause(at), ~_told("overdue"))
              .cte("untold").prefix_with("MATERIALIZED"))
    unit, above = aliased(Unit), aliased(Unit)
    supervising = sa.select(User.unit_id).where(User.role == "supervisor", User.active.is_(True))
    key = _ticket_key("overdue", untold.c.id, untold.c.unit_id, untold.c.unit_due_at) + ":" + sa.cast(above.id, sa.String)
    select = (
        sa.select(sa.literal("overdue"), key, above.id, sa.literal("supervisor"), untold.c.id, untold.c.unit_id,
                  untold.c.unit_due_at, *_stored(at))
        .join(unit, unit.id == untold.c.unit_id)
        .join(above, unit.path.startswith(above.path))  # materialised paths: above is unit or an ancestor
        .where(above.id.in_(supervising)))
    return _insert(TICKET_NOTICE_COLUMNS, select)


def path_ids(path: str) -> list[int]:
    """"/1/4/17/" → [1, 4, 17]: the unit and everything above it, top first."""
    return [int(part) for part in path.strip("/").split("/") if part]


# --- digests and deadline changes: few rows, built in Python --------------------------------------

@dataclass
class OpenCounts:
    open: int = 0
    to_accept: int = 0
    to_review: int = 0
    due_soon: int = 0
    overdue: int = 0
    extension_requests: int = 0

    def add(self, other: "OpenCounts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _count_if(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def open_counts_by_unit(at: datetime, calendar: WorkCalendar) -> dict[int, tuple[str, OpenCounts]]:
    """{unit_id: (path, counts)} over open tickets, one GROUP BY."""
    rows = db.session.execute(
        sa.select(
            T.unit_id, Unit.path, sa.func.count(),
            _count_if(T.state == "assigned"),
            _count_if(T.state == "replied"),
            _count_if(sa.and_(T.state.in_(REMIND_STATES), rules.not_yet_due_sql(T.unit_due_at, at),
                              T.unit_due_at <= remind_until(at, calendar))),
            _count_if(overdue_clause(at)),
            _count_if(T.extension_requested_days.is_not(None)),
        )
        .join(Unit, Unit.id == T.unit_id)
        .where(is_open(T))
        .group_by(T.unit_id, Unit.path)
    ).all()
    return {r[0]: (r[1], OpenCounts(*(int(v or 0) for v in r[2:]))) for r in rows}


def queue_digests(at: datetime, calendar: WorkCalendar) -> int:
    """The day's digest, on working days from NOTIFY_DIGEST_HOUR: each unit's staff get their
    unit's open work; each supervising unit gets its subtree's (and the top office its triage)."""
    if not digest_due(at, calendar):
        return 0
    day = local_date(at)
    day_start = start_of_local_day(day)
    done = db.session.execute(
        sa.select(N.id).where(N.kind == "digest", N.subject_at == day_start).limit(1)).first()
    if done:
        return 0
    by_unit = open_counts_by_unit(at, calendar)
    notices = [_digest(unit_id, "unit_staff", day, day_start, vars(counts))
               for unit_id, (_path, counts) in by_unit.items() if counts.open]
    notices += _supervisor_digests(by_unit, day, day_start)
    return insert_notices(notices, at)


def _supervisor_digests(by_unit, day: date, day_start: datetime) -> list[dict]:
    supervising = set(db.session.execute(
        sa.select(User.unit_id).where(User.role == "supervisor", User.active.is_(True)).distinct()).scalars())
    if not supervising:
        return []
    totals = {unit_id: OpenCounts() for unit_id in supervising}
    for path, counts in by_unit.values():
        for unit_id in path_ids(path):
            if unit_id in totals:
                totals[unit_id].add(counts)
    roots = set(db.session.execute(sa.select(Unit.id).where(Unit.parent_id.is_(None))).scalars())
    triage = db.session.execute(sa.select(sa.func.count()).select_from(T).where(T.state == "new")).scalar_one()
    out = []
    for unit_id, counts in totals.items():
        data = dict(vars(counts), triage=triage if unit_id in roots else 0)
        if data["open"] or data["triage"]:
            out.append(_digest(unit_id, "supervisor", day, day_start, data))
    return out


def _digest(unit_id: int, audience: str, day: date, day_start: datetime, counts: dict) -> dict:
    return dict(kind="digest", dedupe_key=f"digest:{audience}:{unit_id}:{day.isoformat()}",
                unit_id=unit_id, audience=audience, ticket_id=None, about_unit_id=None,
                subject_at=day_start, data=dict(counts, date=day.isoformat()))


def notify_deadline_changes(tickets, at: datetime) -> int:
    """After a calendar load moved deadlines: each unit with open tickets among them is told
    once, in one notice listing its tickets and their new deadlines. The key is the list's
    fingerprint, so the same outcome reported again tells nobody again. Caller commits."""
    by_unit = defaultdict(list)
    for t in tickets:
        if t.state in OPEN_STATES and t.unit_id is not None and t.unit_due_at is not None:
            by_unit[t.unit_id].append(t)
    notices = []
    for unit_id, items in by_unit.items():
        items.sort(key=lambda t: t.id)
        fingerprint = hashlib.sha256(
            ";".join(f"{t.id}@{t.unit_due_at.timestamp():.0f}" for t in items).encode()).hexdigest()[:24]
        notices.append(dict(
            kind="deadline", dedupe_key=f"deadline:{unit_id}:{fingerprint}", unit_id=unit_id,
            audience="unit_staff", ticket_id=None, about_unit_id=unit_id, subject_at=None,
            data={"tickets": [{"id": t.id, "platform_id": t.platform_id, "unit_due_at": iso(t.unit_due_at),
                               "provisional": bool(t.deadline_provisional)} for t in items]}))
    return insert_notices(notices, at)


def recompute_and_notify(years, at: datetime) -> dict:
    """After a calendar load: recompute provisional deadlines, tell the units, commit.

    `years` names the loaded years for the log; recompute_provisional (tickets/refresh.py)
    re-derives every provisional deadline from the calendar as stored, so a repeat is a no-op.
    """
    from feedback.calendar.service import current_calendar
    from feedback.tickets.refresh import recompute_provisional

    recomputed = recompute_provisional(current_calendar(), at)
    told = notify_deadline_changes(recomputed.unit_deadline_moved, at)
    db.session.commit()
    if told:
        enqueue("workers.tasks.send_mail", job_at(at), queue_name="notify")
    log.info("calendar %s: %d deadlines recomputed, %d units told", years, len(recomputed.changed), told)
    return {"recomputed": len(recomputed.changed), "notices": told}


def insert_notices(rows: list[dict], at: datetime) -> int:
    """Insert the notices not there yet (by dedupe_key); returns how many are new. Caller commits."""
    if not rows:
        return 0
    if mail.configured():
        email = {"email_status": "pending", "email_next_at": at, "email_error": None}
    else:
        email = {"email_status": "skipped", "email_next_at": None, "email_error": NO_SMTP}
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    stmt = insert(N.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(N.id)
    values = [dict(row, created_at=at, email_attempts=0, **email) for row in rows]
    return len(db.session.execute(stmt, values).all())


# --- reading ----------------------------------------------------------------------------------

@dataclass
class NoticePage:
    items: list  # (notice, title, detail lines)
    page: int
    per_page: int
    total: int


def notices_query(user):
    """A person's notices: those addressed to their unit and their role."""
    return sa.select(N).where(N.unit_id == user.unit_id, N.audience == user.role)


def notices_for(user, page: int = 1, per_page: int = 50) -> NoticePage:
    q = notices_query(user)
    total = db.session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    items = db.session.execute(q.order_by(N.id.desc()).limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return NoticePage(described(items), page, per_page, total)


def described(notices: list[Notification]) -> list[tuple[Notification, str, list[str]]]:
    """Each notice with its title and detail lines, the tickets and units they name loaded in
    two queries."""
    ticket_ids = {n.ticket_id for n in notices if n.ticket_id}
    unit_ids = {n.about_unit_id for n in notices if n.about_unit_id}
    tickets = {t.id: t for t in db.session.execute(sa.select(T).where(T.id.in_(ticket_ids))).scalars()} \
        if ticket_ids else {}
    units = {u.id: u for u in db.session.execute(sa.select(Unit).where(Unit.id.in_(unit_ids))).scalars()} \
        if unit_ids else {}
    if any(n.finding_id for n in notices):
        from feedback.findings.reminders import describe_all  # findings build on this module

        return describe_all(notices, tickets, units)
    return [(n, *describe(n, tickets.get(n.ticket_id), units.get(n.about_unit_id))) for n in notices]


def _local(t: datetime | str | None) -> str:
    if not t:
        return "—"
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    return t.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def describe(n: Notification, ticket: Ticket | None, unit: Unit | None) -> tuple[str, list[str]]:
    """(title, detail lines) of a notice, in the current locale; the page and e-mail use it."""
    d = n.data or {}
    pid = ticket.platform_id if ticket else n.ticket_id
    if n.kind == "remind":
        return (_("留言 %(pid)s 将于 %(due)s 到期，请在期限内答复", pid=pid, due=_local(n.subject_at)),
                [ticket.site_name] if ticket and ticket.site_name else [])
    if n.kind == "overdue":
        return (_("留言 %(pid)s 已超期未办结（%(unit)s，办理期限 %(due)s）",
                  pid=pid, unit=unit.name if unit else "", due=_local(n.subject_at)), [])
    if n.kind == "digest" and n.audience == "unit_staff":
        return (_("%(date)s 待办汇总：未办结 %(open)d 条，其中待签收 %(accept)d 条、即将到期 %(soon)d 条、已超期 %(overdue)d 条",
                  date=d.get("date"), open=d.get("open", 0), accept=d.get("to_accept", 0),
                  soon=d.get("due_soon", 0), overdue=d.get("overdue", 0)), [])
    if n.kind == "digest":
        return (_("%(date)s 辖区汇总：未办结 %(open)d 条，其中已超期 %(overdue)d 条、待审核答复 %(review)d 条、"
                  "待审批延期 %(ext)d 条；待分办 %(triage)d 条",
                  date=d.get("date"), open=d.get("open", 0), overdue=d.get("overdue", 0),
                  review=d.get("to_review", 0), ext=d.get("extension_requests", 0), triage=d.get("triage", 0)), [])
    if n.kind == "deadline":
        items = d.get("tickets", [])
        lines = [_("留言 %(pid)s：新的办理期限 %(due)s", pid=t.get("platform_id"), due=_local(t.get("unit_due_at")))
                 + (_("（暂定）") if t.get("provisional") else "") for t in items]
        return _("节假日安排更新后，%(n)d 条留言的办理期限已重新计算", n=len(items)), lines
    return n.kind, []
