"""Filtered, paginated finding lists in a caller's scope (API, pages and the inbox share it)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from feedback.accounts.scope import Actor, unit_ids_clause
from feedback.directory.models import Unit
from feedback.errors import InputError
from feedback.extensions import db
from feedback.findings.models import STATES, Finding
from feedback.findings.rules import overdue_clause
from feedback.findings.scope import finding_scope
from feedback.tickets.listing import Page, read_paging


@dataclass
class FindingFilter:
    unit: str | None = None
    state: str | None = None
    overdue: bool = False
    source: str | None = None
    open_only: bool = False  # not yet accepted: the inbox's view
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_args(cls, args) -> "FindingFilter":
        errors = {}
        f = cls(unit=args.get("unit") or None, source=(args.get("source") or "").strip() or None)
        state = args.get("state") or None
        if state and state not in STATES:
            errors["state"] = f"one of {', '.join(STATES)}"
        f.state = state
        overdue = (args.get("overdue") or "").lower()
        if overdue not in ("", "true", "false", "1", "0"):
            errors["overdue"] = "true or false"
        f.overdue = overdue in ("true", "1")
        read_paging(args, f, errors)
        if errors:
            raise InputError(errors)
        return f


def urgent_first():
    """Most urgent first: open ones by fix-by date, then those awaiting 复核, then accepted."""
    return (sa.case((Finding.state == "open", 0), (Finding.state == "reported", 1), else_=2),
            Finding.fix_by, Finding.id)


def filtered_query(actor: Actor, f: FindingFilter, at: datetime):
    q = sa.select(Finding).where(finding_scope(actor))
    if f.unit:
        unit = db.session.execute(
            sa.select(Unit).where(Unit.code == f.unit, unit_ids_clause(actor))).scalar_one_or_none()
        if unit is None:
            raise InputError({"unit": f"no unit with code {f.unit!r} in your scope"})
        q = q.where(Finding.unit_id.in_(sa.select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))))
    if f.state:
        q = q.where(Finding.state == f.state)
    if f.open_only:
        q = q.where(Finding.state != "accepted")
    if f.overdue:
        q = q.where(overdue_clause(at))
    if f.source:
        q = q.where(Finding.source == f.source)
    return q


def list_findings(actor: Actor, f: FindingFilter, at: datetime, *, order=None) -> Page:
    q = filtered_query(actor, f, at)
    total = db.session.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
    items = db.session.execute(
        q.options(selectinload(Finding.unit)).order_by(*(order or urgent_first()))
        .limit(f.per_page).offset((f.page - 1) * f.per_page)).scalars().all()
    return Page(items, f.page, f.per_page, total)


def sources(actor: Actor) -> list[str]:
    """The notices the caller's findings came from, for the filter."""
    return db.session.execute(
        sa.select(Finding.source).where(finding_scope(actor), Finding.source.is_not(None))
        .distinct().order_by(Finding.source)).scalars().all()


def menu_count(actor: Actor, at: datetime) -> int:
    """The number the menu shows beside 整改: a clerk's open findings (the unit owes a report),
    a supervisor's overdue ones (DESIGN.md: overdue findings show on the dashboard)."""
    q = sa.select(sa.func.count()).select_from(Finding).where(finding_scope(actor))
    q = q.where(Finding.state == "open") if actor.role == "unit_staff" else q.where(overdue_clause(at))
    return db.session.execute(q).scalar_one()
