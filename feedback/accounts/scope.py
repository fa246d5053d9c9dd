"""Who sees what (DESIGN.md: People). Every list and detail query goes through here.

supervisor / viewer: their unit's subtree; a root-office supervisor also sees unrouted tickets.
unit_staff: exactly their unit. system: everything (imports, seeding, sweeps).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from feedback.directory.models import Unit
from feedback.errors import NotFound
from feedback.extensions import db
from feedback.tickets.models import Ticket


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    role: str  # supervisor | unit_staff | viewer | system
    unit_id: int | None = None
    unit_path: str | None = None  # materialised path of the actor's unit, "/1/4/"

    @classmethod
    def of(cls, user) -> "Actor":
        return cls(user.id, user.label, user.role, user.unit_id, user.unit.path)

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(None, label, "system")

    @property
    def is_root(self) -> bool:
        return self.unit_path is not None and self.unit_path.count("/") == 2

    @property
    def sees_personal_data(self) -> bool:
        return self.role in ("supervisor", "system")


def unit_ids_clause(actor: Actor):
    """A SQL expression true for the ids of units the actor may see."""
    if actor.role == "system":
        return sa.true()
    if actor.role == "unit_staff":
        return Unit.id == actor.unit_id
    return Unit.path.startswith(actor.unit_path, autoescape=True)


def units_query(actor: Actor):
    return sa.select(Unit).where(unit_ids_clause(actor))


def ticket_scope(actor: Actor):
    """A WHERE clause on Ticket restricting it to the actor's scope."""
    if actor.role == "system":
        return sa.true()
    if actor.role == "unit_staff":
        return Ticket.unit_id == actor.unit_id
    in_subtree = Ticket.unit_id.in_(sa.select(Unit.id).where(unit_ids_clause(actor)))
    if actor.is_root:
        return sa.or_(in_subtree, Ticket.unit_id.is_(None))
    return in_subtree


def tickets_query(actor: Actor):
    return sa.select(Ticket).where(ticket_scope(actor))


def get_ticket(actor: Actor, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket if it is in scope; NotFound (404) otherwise, never 403: existence is not leaked."""
    query = tickets_query(actor).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update(of=Ticket)
    ticket = db.session.execute(query).scalar_one_or_none()
    if ticket is None:
        raise NotFound("no such ticket")
    return ticket


def unit_in_scope(actor: Actor, unit: Unit) -> bool:
    if actor.role == "system":
        return True
    if actor.role == "unit_staff":
        return unit.id == actor.unit_id
    return unit.path.startswith(actor.unit_path)


def ticket_in_scope(actor: Actor, ticket: Ticket) -> bool:
    if actor.role == "system":
        return True
    if ticket.unit_id is None:
        return actor.role != "unit_staff" and actor.is_root
    return unit_in_scope(actor, ticket.unit)
