"""Hand-offs (转办): every assignment as a row with its own clock (DESIGN.md: Deadlines — Each
level's clock).

Offices forward to a county office, which forwards to its department (逐级转办). Each of those
assignments is a HandOff owed to the unit whose supervisor made it (the top office for routing on
ingest and for an imported 承办单位). One hand-off is the clock of every level whose subtree it
brought the ticket into: routed from the office's triage to a county department, it is the
county's clock and the department's; the county moving the ticket to another of its departments
starts that department's clock and leaves the county's running.

The lifecycle (tickets/lifecycle.py) is the only writer; `Ticket.assigned_at`, `unit_clock_days`,
`unit_due_at`, `extensions` and `clock_top_depth` always mirror the clock of the ticket's current
unit (`sync`).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from feedback.calendar.deadlines import due_after
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.tickets import clocks
from feedback.tickets.models import Ticket
from feedback.timeutil import UTCDateTime

# Why a row stopped being any level's clock (ended_at).
MOVED = "moved"  # a later hand-off took over every level it was the clock of
RETURNED = "returned"  # 退回: the ticket went back above the row's levels
NO_CLOCK = "no_clock"  # a move back up inside a running clock (a region taking the ticket itself)

CURRENT = "ended_at IS NULL"


class HandOff(db.Model):
    """One assignment of a ticket to a unit, with its clock. Rows are never deleted; the
    lifecycle updates only the clock bookkeeping (clock_days, due_at, extensions, bottom_depth,
    stopped_at, ended_at, end_reason).

    Columns:
    - ticket_id; at: when the hand-off was made = its clock's start (each row's handling time
      starts here).
    - by_unit_id: the unit the clock is owed to (whose supervisor made the hand-off; the top
      office for routing on ingest and imports). from_unit_id: the ticket's unit just before
      (NULL: the top office's triage, or a fresh report). to_unit_id: the unit it went to.
    - top_depth .. bottom_depth (Unit.depth values, both included): the levels this row is the
      clock of. Level d means "the ticket's current unit's ancestor-or-self at depth d". top_depth
      is the depth of the topmost unit whose subtree this hand-off brought the ticket into (0 for
      a hand-off from the top office's triage). bottom_depth starts at to_unit's depth and is
      lowered when a later hand-off inside the range takes over the deeper levels (the county
      moving the ticket between its departments cuts the first row to the county's level).
      top_depth > bottom_depth: the row is no level's clock (ended_at is set).
    - clock_days: N working days plus every approved extension's days; due_at = due_after(at,
      clock_days) (Chinese working days), i.e. the deadline after extensions; provisional as for
      tickets. extensions: approved extensions that moved this clock. NULL clock_days/due_at:
      a NO_CLOCK row.
    - stopped_at: the approved reply's submission time (every current clock stops then).
    - ended_at / end_reason: when the row stopped being any level's clock (MOVED, RETURNED,
      NO_CLOCK); NULL while it is one.

    The clock of ticket t for unit U (U an ancestor-or-self of t's current unit), i.e. the hand-off
    that brought t into U's subtree, is the one row with
        ticket_id = t.id AND ended_at IS NULL AND top_depth <= U.depth AND bottom_depth >= U.depth
    (index ix_ticket_handoffs_current). The current rows of a ticket cover the depths from their
    smallest top_depth down to the current unit's depth, each exactly once; the deepest is the
    current unit's own clock (Ticket.unit_due_at). A ticket in the top office's triage has none.
    """

    __tablename__ = "ticket_handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    from_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    top_depth: Mapped[int]
    bottom_depth: Mapped[int]
    clock_days: Mapped[int | None]
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provisional: Mapped[bool] = mapped_column(default=False)
    extensions: Mapped[int] = mapped_column(default=0)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(sa.String(200))  # a readable label, as TicketEvent.actor

    ticket: Mapped[Ticket] = relationship()
    by_unit: Mapped[Unit] = relationship(foreign_keys=[by_unit_id])
    from_unit: Mapped[Unit | None] = relationship(foreign_keys=[from_unit_id])
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id])

    __table_args__ = (
        sa.Index("ix_ticket_handoffs_ticket_id", "ticket_id"),
        sa.Index("ix_ticket_handoffs_current", "ticket_id", "top_depth", "bottom_depth",
                 postgresql_include=["at", "due_at", "by_unit_id"],
                 postgresql_where=sa.text(CURRENT), sqlite_where=sa.text(CURRENT)),
        sa.Index("ix_ticket_handoffs_to_unit_at", "to_unit_id", "at"),
        sa.Index("ix_ticket_handoffs_by_unit_at", "by_unit_id", "at"),
    )

    @property
    def is_clock(self) -> bool:
        return self.ended_at is None and self.top_depth <= self.bottom_depth


# --- reading ------------------------------------------------------------------------------------

def history(ticket: Ticket) -> list[HandOff]:
    """Every hand-off of the ticket, oldest first (the chain shown on the ticket page)."""
    if ticket.id is None:
        return []
    return db.session.execute(
        sa.select(HandOff).where(HandOff.ticket_id == ticket.id).order_by(HandOff.id)).scalars().all()


def current(ticket: Ticket) -> list[HandOff]:
    """The rows that are some level's clock now, top level first."""
    return sorted((h for h in history(ticket) if h.is_clock), key=lambda h: h.top_depth)


def clock_of(ticket: Ticket, depth: int) -> HandOff | None:
    """The hand-off that brought the ticket into the subtree of its unit's ancestor at `depth`."""
    for h in current(ticket):
        if h.top_depth <= depth <= h.bottom_depth:
            return h
    return None


def own_clocks(tickets: list[Ticket]) -> dict[int, HandOff]:
    """Each ticket's current unit's own clock (clock_of at the unit's depth), for a page of
    tickets in one query: ticket id → hand-off (tickets without a unit or a clock are left out)."""
    ids = [t.id for t in tickets if t.unit is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(HandOff).where(HandOff.ticket_id.in_(ids), HandOff.ended_at.is_(None))
        .options(selectinload(HandOff.by_unit))).scalars().all()
    depth = {t.id: t.unit.depth for t in tickets if t.unit is not None}
    return {h.ticket_id: h for h in rows if h.is_clock and h.top_depth <= depth[h.ticket_id] <= h.bottom_depth}


def common_depth(a: Unit, b: Unit) -> int:
    """Depth of the lowest common ancestor of two units (-1 when in different trees)."""
    pa, pb = a.path.strip("/").split("/"), b.path.strip("/").split("/")
    n = 0
    while n < min(len(pa), len(pb)) and pa[n] == pb[n]:
        n += 1
    return n - 1


def top_unit_id(unit: Unit) -> int:
    return int(unit.path.strip("/").split("/")[0])


# --- writing (called by the lifecycle only) -----------------------------------------------------

def hand_off(ticket: Ticket, to_unit: Unit, by_unit_id: int, at: datetime, actor, calendar: WorkCalendar,
             *, days: int | None = None) -> HandOff:
    """Assign the ticket to `to_unit`, made by `by_unit_id`'s supervisor (or the office's routing).

    The levels the ticket was already in keep their clocks (a region's clock does not restart
    when it reassigns inside itself); each level it enters gets this row's fresh clock."""
    from_unit = ticket.unit if ticket.unit_id is not None else None
    inside = common_depth(from_unit, to_unit) if from_unit is not None else -1
    rows = current(ticket)
    _cut(rows, inside, at, MOVED)
    covered = max((h.bottom_depth for h in rows if h.is_clock), default=-1)
    row = HandOff(ticket_id=ticket.id, ticket=ticket, at=at, by_unit_id=by_unit_id,
                  from_unit_id=from_unit.id if from_unit is not None else None, to_unit_id=to_unit.id,
                  to_unit=to_unit, top_depth=min(inside, covered) + 1, bottom_depth=to_unit.depth,
                  extensions=0, actor_id=actor.user_id, actor=actor.label)
    if row.top_depth > row.bottom_depth:
        row.ended_at, row.end_reason = at, NO_CLOCK
    else:
        row.clock_days = days if days is not None else clocks.unit_days_for(ticket.category, at)
        _set_due(row, calendar)
    db.session.add(row)
    ticket.unit_id, ticket.unit = to_unit.id, to_unit
    sync(ticket, calendar, rows + [row])
    return row


def return_from(ticket: Ticket, returning: Unit, at: datetime, calendar: WorkCalendar) -> Unit | None:
    """退回 by `returning` (the ticket's unit, or a region above it): the ticket goes to the triage
    of the unit that made the hand-off into `returning`'s subtree, and that hand-off and every
    one below it end. Returns the unit whose triage it lands in (None: the top office's)."""
    rows = current(ticket)
    made = next((h for h in rows if h.top_depth <= returning.depth <= h.bottom_depth), None)
    landing = db.session.get(Unit, made.by_unit_id) if made is not None else None
    if landing is not None and landing.parent_id is None:
        landing = None  # the top office's triage holds tickets without a unit
    _cut(rows, landing.depth if landing is not None else -1, at, RETURNED)
    ticket.unit_id, ticket.unit = (landing.id, landing) if landing is not None else (None, None)
    sync(ticket, calendar, rows)
    return landing


def owner_of_return(ticket: Ticket, returning: Unit) -> int | None:
    """The unit whose triage a return by `returning` would reach (None: the top office's)."""
    made = clock_of(ticket, returning.depth)
    return made.by_unit_id if made is not None else None


def extend(ticket: Ticket, approver: Unit | None, days: int, calendar: WorkCalendar) -> list[tuple[HandOff, datetime]]:
    """An approved extension: every current clock owed to the approver's unit or a unit below it
    gets `days` more working days on its own deadline. Returns the moved rows with their old
    deadlines. approver None (the system): every current clock."""
    moved = []
    for h in current(ticket):
        if approver is None or h.by_unit.path.startswith(approver.path):
            moved.append((h, h.due_at))
            h.clock_days += days
            h.extensions += 1
            _set_due(h, calendar)
    sync(ticket, calendar)
    return moved


def stop(ticket: Ticket, replied_at: datetime) -> None:
    """An approved reply stops every current clock at its submission time."""
    for h in current(ticket):
        h.stopped_at = replied_at


def recompute(ticket: Ticket, calendar: WorkCalendar) -> list[tuple[HandOff, datetime | None]]:
    """Deadlines again after a calendar load (tickets/refresh.py); returns each row whose
    deadline moved with its old deadline."""
    moved = []
    for h in history(ticket):
        if h.clock_days is not None:
            old = h.due_at
            _set_due(h, calendar)
            if h.due_at != old:
                moved.append((h, old))
    return moved


def sync(ticket: Ticket, calendar: WorkCalendar, rows: list[HandOff] | None = None) -> None:
    """The ticket's unit clock is its current unit's clock: the deepest current row."""
    rows = [h for h in (rows if rows is not None else current(ticket)) if h.is_clock]
    own = max(rows, key=lambda h: h.bottom_depth, default=None)
    if own is None:
        clocks.stop_unit_clock(ticket, calendar)
        ticket.extensions = ticket.clock_top_depth = 0
        return
    ticket.clock_top_depth = own.top_depth
    ticket.assigned_at = own.at
    ticket.unit_clock_days = own.clock_days
    ticket.extensions = own.extensions
    clocks.recompute(ticket, calendar)


def _cut(rows: list[HandOff], depth: int, at: datetime, reason: str) -> None:
    """Rows stop being the clock of the levels below `depth`; a row left with none ends."""
    for h in rows:
        if h.bottom_depth > depth:
            h.bottom_depth = depth
        if h.top_depth > h.bottom_depth and h.ended_at is None:
            h.ended_at, h.end_reason = at, reason


def _set_due(row: HandOff, calendar: WorkCalendar) -> None:
    due = due_after(row.at, row.clock_days, calendar)
    row.due_at, row.provisional = due.at, due.provisional


def record_initial(ticket_ids: list[int], actor) -> None:
    """The first hand-off of tickets stored with a unit by ingest (routing, or a ledger's 承办单位):
    from the top office's triage, owed to the top office, the ticket's own clock. One statement
    for a batch; migration 0018 wrote the same rows for the tickets that existed before."""
    if not ticket_ids:
        return
    db.session.execute(initial_handoffs(Ticket.__table__.c.id.in_(ticket_ids), actor.user_id, actor.label))


def initial_handoffs(which, actor_id: int | None, actor_label: str):
    """INSERT … SELECT of record_initial's rows for the assigned tickets meeting `which` (a
    condition on tickets; the bench's loader writes them for every ticket it loaded)."""
    from feedback.figures.sql import path_component  # the portable "/1/4/17/" → 1

    t, u = Ticket.__table__.c, Unit.__table__.c
    rows = sa.select(
        t.id, t.assigned_at, path_component(u.path, 1), t.unit_id, sa.literal(0), u.depth, t.unit_clock_days,
        t.unit_due_at, t.deadline_provisional, t.extensions,
        sa.case((t.state == "closed", t.replied_at)), sa.literal(actor_id, sa.Integer),
        sa.literal(actor_label),
    ).select_from(Ticket.__table__.join(Unit.__table__, u.id == t.unit_id)).where(
        which, t.assigned_at.is_not(None)).order_by(t.id)
    return sa.insert(HandOff.__table__).from_select(
        ["ticket_id", "at", "by_unit_id", "to_unit_id", "top_depth", "bottom_depth", "clock_days", "due_at",
         "provisional", "extensions", "stopped_at", "actor_id", "actor"], rows)
