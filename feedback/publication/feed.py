"""What the office publishes (DESIGN.md: Publication; CONTRACT.md: Publication): its closed
messages with the approved replies, and the monthly statistics of the last 12 complete months on
the platform clock. No names, phones, e-mails, ID numbers or internal notes: only the fields
below leave, and every free text goes through feedback.privacy.mask (with the reporter's own
name, phone and e-mail masked wherever the text repeats them).

Only the top office answers, and only while the setting publication.enabled is true.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.figures import rules
from feedback.figures.closure import clock_figures
from feedback.privacy import mask
from feedback.settings import service as settings
from feedback.tickets.models import Ticket
from feedback.timeutil import UTCDateTime, iso, local_date, start_of_local_day

PER_PAGE = 50
MONTHS = 12


def office(code: str, at: datetime) -> Unit | None:
    """The top office with this code while publication is on; None otherwise (the caller's 404)."""
    if not settings.get("publication.enabled", at):
        return None
    return db.session.execute(
        sa.select(Unit).where(Unit.code == code, Unit.parent_id.is_(None))).scalar_one_or_none()


def _published(at: datetime):
    # closed (办结) by `at`: the approved reply is the ticket's reply; every closed ticket has a unit
    return sa.and_(Ticket.state == "closed", Ticket.closed_at <= sa.literal(at, UTCDateTime()))


def item(t: Ticket) -> dict:
    site = t.site_name or (t.site_property.name if t.site_property is not None else None)
    return {
        "platform_id": t.platform_id,
        "received_at": iso(t.received_at),
        "closed_at": iso(t.closed_at),
        "site_name": site,
        "url": mask(t.url, reporter=t),
        "category": t.category,
        "description": mask(t.description, reporter=t),
        "reply": mask(t.reply_text, reporter=t),
    }


def items(at: datetime, page: int) -> tuple[list[dict], int]:
    """One page of the closed messages, latest closed first, and how many there are in all."""
    total = db.session.execute(sa.select(sa.func.count()).select_from(Ticket).where(_published(at))).scalar_one()
    rows = db.session.execute(
        sa.select(Ticket).where(_published(at)).options(selectinload(Ticket.site_property))
        .order_by(Ticket.closed_at.desc(), Ticket.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).scalars().all()
    return [item(t) for t in rows], total


@dataclass
class Month:
    month: date  # its first day
    received: int
    closed: int
    on_time_rate: float | None

    def to_json(self) -> dict:
        return {"month": self.month.strftime("%Y-%m"), "received": self.received, "closed": self.closed,
                "on_time_rate": self.on_time_rate}


def complete_months(at: datetime, n: int = MONTHS) -> list[date]:
    """The first days of the last n months that ended before `at`'s local month, oldest first."""
    first = local_date(at).replace(day=1)
    out = []
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def months(at: datetime) -> list[Month]:
    """received, closed and on_time_rate for each month, as of `at`, on the platform clock: the
    office's own figures (DESIGN.md: Figures) — every valid ticket received in the month, 未分派
    included; on time = closed by its platform_due_at; overdue = not closed by `at` and past it.
    The tests are figures/rules.py's, the rate the figures' one definition (clock_figures); tests
    hold this to closure()'s platform figures."""
    starts = complete_months(at)
    t = sa.literal(at, UTCDateTime())
    key = sa.case(*[(Ticket.received_at >= start_of_local_day(m), i) for i, m in reversed(list(enumerate(starts)))],
                  else_=0)
    closed = sa.and_(Ticket.closed_at.is_not(None), Ticket.closed_at <= t)
    end = start_of_local_day(local_date(at).replace(day=1))
    rows = db.session.execute(
        sa.select(key.label("k"), sa.func.count(),
                  sa.func.sum(sa.case((closed, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(closed, rules.platform_on_time_sql(Ticket.closed_at,
                                                                                 Ticket.platform_due_at)), 1),
                                      else_=0)),
                  sa.func.sum(sa.case((sa.and_(sa.not_(closed), rules.past_due_sql(Ticket.platform_due_at, t)), 1),
                                      else_=0)))
        .where(Ticket.state != "invalid", Ticket.received_at >= start_of_local_day(starts[0]),
               Ticket.received_at < end, Ticket.received_at <= t)
        .group_by(key)).all()
    by_month = {k: (int(n), int(c or 0), int(o or 0), int(v or 0)) for k, n, c, o, v in rows}
    out = []
    for i, start in enumerate(starts):
        received, closed_n, on_time, overdue = by_month.get(i, (0, 0, 0, 0))
        figures = clock_figures(received, closed_n, on_time, overdue, None, None, None, None)
        out.append(Month(start, received, closed_n, figures.on_time_rate))
    return out


def feed(unit: Unit, at: datetime, page: int) -> dict:
    shown, total = items(at, page)
    return {"office": {"code": unit.code, "name": unit.name}, "items": shown,
            "months": [m.to_json() for m in months(at)], "page": page, "total": total}
