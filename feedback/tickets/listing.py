"""Filtered, paginated ticket lists in a caller's scope (API and pages share it)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from feedback.accounts.scope import Actor, ticket_scope, unit_ids_clause
from feedback.directory.models import Unit
from feedback.errors import InputError
from feedback.extensions import db
from feedback.figures import rules
from feedback.tickets.models import CATEGORIES, STATES, Ticket, is_open
from feedback.timeutil import FIRST_YEAR, LAST_YEAR, MAX_PAGE, in_supported_years, start_of_local_day

MAX_PER_PAGE = 200


def overdue_clause(at: datetime):
    """Open and past the unit deadline — except a reply submitted in time, awaiting review
    (DESIGN.md: Figures, 超期未办结; the rule: figures/rules.py)."""
    return rules.overdue_now_sql(at)


def search_clause(text: str):
    """The text anywhere in the 留言编号, the URL or the description (any letter case)."""
    needle = text.strip().lower()
    return sa.or_(
        sa.func.lower(Ticket.platform_id).contains(needle, autoescape=True),
        sa.func.lower(Ticket.url).contains(needle, autoescape=True),
        sa.func.lower(Ticket.description).contains(needle, autoescape=True),
    )


def urgent_first():
    """Most urgent first: the nearest deadline (the unit's, else the office's), with tickets
    already replied — waiting on the office, not on the unit — after the rest."""
    return (
        sa.case((Ticket.state == "replied", 1), else_=0),
        sa.func.coalesce(Ticket.unit_due_at, Ticket.platform_due_at),
        Ticket.id,
    )


@dataclass
class TicketFilter:
    state: str | None = None
    unit: str | None = None
    overdue: bool = False
    received_from: date | None = None
    received_to: date | None = None
    category: str | None = None
    q: str | None = None  # 留言编号, or text in the URL or the description
    open_only: bool = False
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_args(cls, args) -> "TicketFilter":
        errors = {}
        f = cls()
        state = args.get("state") or None
        if state and state not in STATES:
            errors["state"] = f"one of {', '.join(STATES)}"
        f.state = state
        f.unit = args.get("unit") or None
        category = args.get("category") or None
        if category and category not in CATEGORIES:
            errors["category"] = f"one of {', '.join(CATEGORIES)}"
        f.category = category
        f.q = (args.get("q") or "").strip()[:200] or None
        overdue = (args.get("overdue") or "").lower()
        if overdue not in ("", "true", "false", "1", "0"):
            errors["overdue"] = "true or false"
        f.overdue = overdue in ("true", "1")
        for name in ("received_from", "received_to"):
            raw = args.get(name)
            if raw:
                try:
                    value = date.fromisoformat(raw)
                    if not in_supported_years(value):
                        raise ValueError
                    setattr(f, name, value)
                except ValueError:
                    errors[name] = f"a date YYYY-MM-DD between {FIRST_YEAR} and {LAST_YEAR}"
        read_paging(args, f, errors)
        if errors:
            raise InputError(errors)
        return f


def read_paging(args, into, errors: dict) -> None:
    """?page= and ?per_page= of an API list onto `into` (its defaults stay when absent); a bad
    value is an error naming the parameter. Every paginated API list reads them here."""
    for name, low, high in (("page", 1, MAX_PAGE), ("per_page", 1, MAX_PER_PAGE)):
        raw = args.get(name)
        if raw:
            try:
                value = int(raw)
                if not low <= value <= high:
                    raise ValueError
                setattr(into, name, value)
            except ValueError:
                errors[name] = f"a whole number from {low} to {high}"


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int


def filtered_query(actor: Actor, f: TicketFilter, at: datetime):
    q = sa.select(Ticket).where(ticket_scope(actor))
    if f.state:
        q = q.where(Ticket.state == f.state)
    if f.unit:
        unit = db.session.execute(sa.select(Unit).where(Unit.code == f.unit, unit_ids_clause(actor))).scalar_one_or_none()
        if unit is None:
            raise InputError({"unit": f"no unit with code {f.unit!r} in your scope"})
        q = q.where(Ticket.unit_id.in_(sa.select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))))
    if f.open_only:
        q = q.where(is_open())
    if f.category:
        q = q.where(Ticket.category == f.category)
    if f.q:
        q = q.where(search_clause(f.q))
    if f.overdue:
        q = q.where(overdue_clause(at))
    if f.received_from:
        q = q.where(Ticket.received_at >= start_of_local_day(f.received_from))
    if f.received_to:
        q = q.where(Ticket.received_at < start_of_local_day(f.received_to + timedelta(days=1)))
    return q


def list_tickets(actor: Actor, f: TicketFilter, at: datetime, *, order=None) -> Page:
    q = filtered_query(actor, f, at)
    total = db.session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    order = order if order is not None else (Ticket.received_at.desc(), Ticket.id.desc())
    items = db.session.execute(
        q.options(selectinload(Ticket.unit)).order_by(*order).limit(f.per_page).offset((f.page - 1) * f.per_page)
    ).scalars().all()
    return Page(items, f.page, f.per_page, total)
