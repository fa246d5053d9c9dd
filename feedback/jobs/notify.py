"""Telling people: reminders, escalations, daily digests, deadline changes (issue 6).

Every notice is a Notification row for one unit's staff or supervisors, found by a set-based
query and inserted with a unique dedupe key (INSERT … ON CONFLICT DO NOTHING), so a sweep run
twice, or two sweeps at once, tell nobody twice. The key carries the deadline and the ticket's
unit: an extension or a reassignment is a new thing to tell.

The row is the in-app notice; its e-mail copy goes out through a small outbox
(`send_pending_mail`): one message per unit, audience and kind, claimed before it is sent so
two workers never send the same notice, retried with backoff while the server is down.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from feedback.accounts.models import User
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.jobs import mail
from feedback.jobs.notify_models import Notification
from feedback.jobs.queue import enqueue
from feedback.jobs.timing import job_at
from feedback.tickets.listing import overdue_clause
from feedback.tickets.models import OPEN_STATES, Ticket
from feedback.timeutil import LOCAL, end_of_local_day, iso, local_date, start_of_local_day

log = logging.getLogger(__name__)

N = Notification
REMIND_STATES = ("assigned", "in_progress")  # a unit still owes a reply (a replied ticket waits on us)
INSERT_CHUNK = 500
MAIL_BATCH = 2000
MAIL_LEASE = timedelta(minutes=5)  # a claimed message not finished by then is someone else's to send
MAIL_RETRY = timedelta(minutes=1)
MAIL_RETRY_MAX = timedelta(hours=1)
MAIL_LIST_LIMIT = 50  # lines listed in one e-mail; the rest are counted and shown in the app
DEFAULT_DIGEST_HOUR = 8  # local time from which the day's digest goes out


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


# --- finding what to tell ---------------------------------------------------------------------

def _told(kind: str):
    """Already told about this ticket, for its current unit and deadline?"""
    return sa.exists().where(
        N.kind == kind, N.ticket_id == Ticket.id, N.about_unit_id == Ticket.unit_id,
        N.subject_at == Ticket.unit_due_at)


def _stamp(t: datetime) -> int:
    return int(t.timestamp())


def queue_reminders(at: datetime, calendar: WorkCalendar) -> int:
    """One working day before unit_due_at, the unit's staff are reminded (once per deadline)."""
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.unit_id, Ticket.unit_due_at, Ticket.platform_id, Ticket.site_name)
        .where(Ticket.state.in_(REMIND_STATES), Ticket.unit_due_at > at,
               Ticket.unit_due_at <= remind_until(at, calendar), ~_told("remind"))
    ).all()
    return insert_notices([
        dict(kind="remind", dedupe_key=f"remind:{r.id}:{r.unit_id}:{_stamp(r.unit_due_at)}",
             unit_id=r.unit_id, audience="unit_staff", ticket_id=r.id, about_unit_id=r.unit_id,
             subject_at=r.unit_due_at,
             data={"platform_id": r.platform_id, "site_name": r.site_name, "unit_due_at": iso(r.unit_due_at)})
        for r in rows], at)


def queue_escalations(at: datetime) -> int:
    """A ticket gone overdue is told once to the supervisors whose scope holds it: those of its
    unit and of every unit above it (the top unit when nobody supervises it yet)."""
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.unit_id, Ticket.unit_due_at, Ticket.platform_id,
                  Unit.path, Unit.code, Unit.name)
        .join(Unit, Unit.id == Ticket.unit_id)
        .where(overdue_clause(at), ~_told("overdue"))
    ).all()
    if not rows:
        return 0
    supervising = supervisor_units()
    notices = []
    for r in rows:
        chain = path_ids(r.path)
        data = {"platform_id": r.platform_id, "unit_due_at": iso(r.unit_due_at),
                "unit": {"code": r.code, "name": r.name}}
        for unit_id in [u for u in chain if u in supervising] or chain[:1]:
            notices.append(dict(
                kind="overdue", dedupe_key=f"overdue:{r.id}:{r.unit_id}:{_stamp(r.unit_due_at)}:{unit_id}",
                unit_id=unit_id, audience="supervisor", ticket_id=r.id, about_unit_id=r.unit_id,
                subject_at=r.unit_due_at, data=data))
    return insert_notices(notices, at)


def supervisor_units() -> set[int]:
    return set(db.session.execute(
        sa.select(User.unit_id).where(User.role == "supervisor", User.active.is_(True)).distinct()).scalars())


def path_ids(path: str) -> list[int]:
    """"/1/4/17/" → [1, 4, 17]: the unit and everything above it, top first."""
    return [int(part) for part in path.strip("/").split("/") if part]


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
            Ticket.unit_id, Unit.path, sa.func.count(),
            _count_if(Ticket.state == "assigned"),
            _count_if(Ticket.state == "replied"),
            _count_if(sa.and_(Ticket.state.in_(REMIND_STATES), Ticket.unit_due_at > at,
                              Ticket.unit_due_at <= remind_until(at, calendar))),
            _count_if(overdue_clause(at)),
            _count_if(Ticket.extension_requested_days.is_not(None)),
        )
        .join(Unit, Unit.id == Ticket.unit_id)
        .where(Ticket.state.in_(OPEN_STATES))
        .group_by(Ticket.unit_id, Unit.path)
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
    supervising = supervisor_units()
    if not supervising:
        return []
    totals = {unit_id: OpenCounts() for unit_id in supervising}
    for path, counts in by_unit.values():
        for unit_id in path_ids(path):
            if unit_id in totals:
                totals[unit_id].add(counts)
    roots = set(db.session.execute(sa.select(Unit.id).where(Unit.parent_id.is_(None))).scalars())
    triage = db.session.execute(
        sa.select(sa.func.count()).select_from(Ticket).where(Ticket.state == "new")).scalar_one()
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
            ";".join(f"{t.id}@{_stamp(t.unit_due_at)}" for t in items).encode()).hexdigest()[:24]
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

    changed = recompute_provisional(current_calendar(), at)
    told = notify_deadline_changes(changed, at)
    db.session.commit()
    if told:
        enqueue("workers.tasks.send_mail", job_at(at), queue_name="notify")
    log.info("calendar %s: %d deadlines recomputed, %d units told", years, len(changed), told)
    return {"recomputed": len(changed), "notices": told}


# --- storing ----------------------------------------------------------------------------------

def insert_notices(rows: list[dict], at: datetime) -> int:
    """Insert what is not there yet (by dedupe_key); returns how many are new. Caller commits."""
    if not rows:
        return 0
    if mail.configured():
        email = {"email_status": "pending", "email_next_at": at}
    else:
        email = {"email_status": "skipped", "email_error": "no SMTP server configured (FEEDBACK_SMTP_HOST)"}
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    created = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = [dict(row, created_at=at, email_attempts=0, **email) for row in rows[start:start + INSERT_CHUNK]]
        stmt = insert(N.__table__).values(chunk).on_conflict_do_nothing(index_elements=["dedupe_key"])
        created += len(db.session.execute(stmt.returning(N.id)).all())
    return created


# --- reading ----------------------------------------------------------------------------------

@dataclass
class NoticePage:
    items: list
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
    return NoticePage(items, page, per_page, total)


def _local(text: str | None) -> str:
    if not text:
        return "—"
    return datetime.fromisoformat(text).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def describe(n: Notification) -> tuple[str, list[str]]:
    """(title, detail lines) of a notice, in the current locale; used by the page and e-mail."""
    d = n.data or {}
    if n.kind == "remind":
        return (_("留言 %(pid)s 将于 %(due)s 到期，请在期限内答复", pid=d.get("platform_id"), due=_local(d.get("unit_due_at"))),
                [d["site_name"]] if d.get("site_name") else [])
    if n.kind == "overdue":
        unit = (d.get("unit") or {}).get("name", "")
        return (_("留言 %(pid)s 已超期未办结（%(unit)s，办理期限 %(due)s）",
                  pid=d.get("platform_id"), unit=unit, due=_local(d.get("unit_due_at"))), [])
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


# --- the e-mail outbox ------------------------------------------------------------------------

@dataclass
class MailCounts:
    messages: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0


def mail_due_count(at: datetime) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(N)
        .where(N.email_status.in_(("pending", "sending")), N.email_next_at <= at)).scalar_one()


def send_pending_mail(at: datetime, limit: int = MAIL_BATCH) -> dict:
    """Send the due e-mail copies: one message per (unit, audience, kind). Safe to run twice,
    and on several workers at once: each message's notices are claimed before sending."""
    due = db.session.execute(
        sa.select(N.id, N.unit_id, N.audience, N.kind)
        .where(N.email_status.in_(("pending", "sending")), N.email_next_at <= at)
        .order_by(N.id).limit(limit)).all()
    counts = MailCounts()
    if not due:
        return vars(counts)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for r in due:
        groups[(r.unit_id, r.audience, r.kind)].append(r.id)
    if not mail.configured():
        counts.skipped = _finish(_free(list(groups.values())), at, "skipped", "no SMTP server configured")
        return vars(counts)
    addresses = recipients({unit_id for unit_id, _, _ in groups})
    pending = list(groups.items())
    try:
        with mail.open_sender() as sender:
            while pending:
                (unit_id, audience, kind), ids = pending[0]
                _send_group(sender, unit_id, audience, kind, ids, addresses.get((unit_id, audience), []), at, counts)
                pending.pop(0)
    except mail.MailUnavailable as exc:
        # The server is down: every message not sent yet waits for the next try, with backoff.
        log.warning("SMTP unavailable, %d messages wait: %s", len(pending), exc)
        counts.retry += _retry(_free([ids for _, ids in pending]), at, str(exc))
    return vars(counts)


def recipients(unit_ids: set[int]) -> dict[tuple[int, str], list[str]]:
    out = defaultdict(list)
    rows = db.session.execute(
        sa.select(User.unit_id, User.role, User.email)
        .where(User.unit_id.in_(unit_ids), User.active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(User.id)).all()
    for unit_id, role, email in rows:
        out[(unit_id, role)].append(email.strip())
    return out


def _send_group(sender, unit_id, audience, kind, ids, to_addrs, at, counts: MailCounts) -> None:
    if not to_addrs:
        counts.skipped += _finish(_free([ids]), at, "skipped", "nobody in this unit and role has an e-mail address")
        return
    claim = _claim(ids, at)
    notices = db.session.execute(sa.select(N).where(N.email_claim == claim).order_by(N.id)).scalars().all()
    if not notices:
        return  # another worker has them
    unit = db.session.get(Unit, unit_id)
    subject, body = compose(kind, unit, notices)
    try:
        refused = sender.send(mail.build_message(subject, body, to_addrs), to_addrs)
    except mail.MailRejected as exc:
        counts.failed += _finish(_mine(claim), at, "failed", str(exc))
        return
    except mail.MailUnavailable as exc:
        counts.retry += _retry(_mine(claim), at, str(exc))
        raise
    counts.messages += 1
    counts.sent += _finish(_mine(claim), at, "sent", f"refused: {sorted(refused)}" if refused else None)


def _free(id_groups: list[list[int]]):
    """Rows among these ids that nobody is sending right now (a lapsed claim counts as free)."""
    ids = [i for group in id_groups for i in group]
    return lambda at: sa.and_(N.id.in_(ids), N.email_status.in_(("pending", "sending")), N.email_next_at <= at)


def _mine(claim: str):
    return lambda at: sa.and_(N.email_claim == claim, N.email_status == "sending")


def _claim(ids: list[int], at: datetime) -> str:
    claim = uuid.uuid4().hex
    db.session.execute(
        sa.update(N).where(_free([ids])(at))
        .values(email_status="sending", email_claim=claim, email_next_at=at + MAIL_LEASE))
    db.session.commit()
    return claim


def _finish(where, at: datetime, status: str, error: str | None) -> int:
    result = db.session.execute(sa.update(N).where(where(at)).values(
        email_status=status, email_claim=None, email_error=error, email_attempts=N.email_attempts + 1,
        email_sent_at=at if status == "sent" else None))
    db.session.commit()
    return result.rowcount


def _retry(where, at: datetime, error: str) -> int:
    """Back to pending, due again after 1, 2, 4 … minutes (at most an hour) by attempts made."""
    rows = db.session.execute(sa.select(N.id, N.email_attempts).where(where(at))).all()
    by_attempts = defaultdict(list)
    for notice_id, attempts in rows:
        by_attempts[attempts + 1].append(notice_id)
    for attempts, ids in by_attempts.items():
        delay = min(MAIL_RETRY * 2 ** (attempts - 1), MAIL_RETRY_MAX)
        db.session.execute(sa.update(N).where(N.id.in_(ids)).values(
            email_status="pending", email_claim=None, email_attempts=attempts,
            email_next_at=at + delay, email_error=error[:1000]))
    db.session.commit()
    return len(rows)


def compose(kind: str, unit: Unit, notices: list[Notification]) -> tuple[str, str]:
    """Subject and plain-text body of one message, in Chinese (the office's language)."""
    with force_locale("zh_CN"):
        subject = {
            "remind": _("【找错工单】%(unit)s：%(n)d 条留言即将到期", unit=unit.name, n=len(notices)),
            "overdue": _("【找错工单】%(n)d 条留言已超期未办结", n=len(notices)),
            "digest": _("【找错工单】%(unit)s 每日汇总", unit=unit.name),
            "deadline": _("【找错工单】%(unit)s：留言办理期限已调整", unit=unit.name),
        }.get(kind, "【找错工单】")
        lines = [_("%(unit)s：", unit=unit.name), ""]
        for n in notices[:MAIL_LIST_LIMIT]:
            title, details = describe(n)
            lines.append("· " + title)
            lines.extend("  " + d for d in details)
        if len(notices) > MAIL_LIST_LIMIT:
            lines.append(_("……另有 %(n)d 条，请登录系统查看。", n=len(notices) - MAIL_LIST_LIMIT))
        lines += ["", _("请登录找错工单查看和办理。此邮件由系统自动发送，请勿回复。")]
    return subject, "\n".join(lines) + "\n"
