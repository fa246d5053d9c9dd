"""Queues of the supervisor (主管单位) and the routing suggestion shown in triage.

A ticket is in triage because no rule matched when it arrived, or because a unit returned it
(退回). The suggestion tries, in order: the routing rules as they are now (one may have been
added since), the rules of a parent domain (jyj.example.gov.cn → example.gov.cn), and a
property with the same site name. A unit that returned the ticket is never suggested again.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from feedback.accounts.scope import Actor, ticket_scope, unit_in_scope
from feedback.directory.models import Property, Unit
from feedback.directory.routing import Query, normalize_url, route_many
from feedback.extensions import db
from feedback.tickets.models import Ticket, TicketEvent, is_open


def in_triage(actor: Actor):
    """The supervisor's own level's triage: unrouted or returned tickets of the top office (no
    unit), or of a region office (its own unit, state new: what reached the region and what its
    departments returned; DESIGN.md: Ticket lifecycle). A lower level's triage is its own."""
    if actor.unit_id is None:
        return Ticket.state == "new"
    return sa.and_(Ticket.state == "new", sa.or_(Ticket.unit_id.is_(None), Ticket.unit_id == actor.unit_id))


def triage_query(actor: Actor):
    return sa.select(Ticket).where(ticket_scope(actor), in_triage(actor))


def review_query(actor: Actor):
    return sa.select(Ticket).where(ticket_scope(actor), Ticket.state == "replied")


def extension_query(actor: Actor):
    return sa.select(Ticket).where(
        ticket_scope(actor), is_open(), Ticket.extension_requested_days.is_not(None)
    )


QUEUES = ("tickets.triage", "tickets.review", "tickets.extensions")  # the menu entries with a count


def queue_columns(actor: Actor) -> list:
    """How many tickets wait in each supervisor queue (QUEUES order), as aggregate columns over
    the open tickets in scope: the queries above, counted."""
    return [
        sa.func.count().filter(in_triage(actor)),
        sa.func.count().filter(Ticket.state == "replied"),
        sa.func.count().filter(Ticket.extension_requested_days.is_not(None)),
    ]


def open_in_scope(actor: Actor):
    """WHERE over the open tickets in scope: what the queues (and the dashboard's glance) count.
    Every queue holds open tickets only, so the count reads the open-tickets index (migration
    0011), not a million rows."""
    return sa.and_(ticket_scope(actor), is_open())


def queue_counts(actor: Actor) -> dict[str, int]:
    """Endpoint → waiting count, for the menu on every page (one query)."""
    row = db.session.execute(sa.select(*queue_columns(actor)).where(open_in_scope(actor))).one()
    return dict(zip(QUEUES, row))


@dataclass(frozen=True)
class Suggestion:
    unit: Unit
    basis: str  # site_code | url_prefix | parent_domain | site_name
    pattern: str


def parent_domain_urls(url: str | None) -> list[str]:
    """Parent domains of a URL's host, nearest first, keeping at least three labels
    (a.b.example.gov.cn → b.example.gov.cn, example.gov.cn; never gov.cn)."""
    normalized = normalize_url(url)
    if not normalized:
        return []
    host = normalized.split("/", 1)[0]
    if ":" in host:
        return []
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 2)]


def returned_by(ticket_ids: list[int]) -> dict[int, set[int]]:
    """For each ticket, the units that returned it as not theirs."""
    rows = db.session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.unit_id)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action == "return")
    ).all()
    out: dict[int, set[int]] = {}
    for ticket_id, unit_id in rows:
        if unit_id is not None:
            out.setdefault(ticket_id, set()).add(unit_id)
    return out


def suggest(tickets: list[Ticket], actor: Actor) -> dict[int, Suggestion | None]:
    if not tickets:
        return {}
    excluded = returned_by([t.id for t in tickets])
    units: dict[int, Unit] = {}

    def usable(unit_id: int | None, ticket: Ticket) -> Unit | None:
        if unit_id is None or unit_id in excluded.get(ticket.id, set()):
            return None
        if unit_id not in units:
            units[unit_id] = db.session.get(Unit, unit_id)
        unit = units[unit_id]
        return unit if unit is not None and unit_in_scope(actor, unit) else None

    out: dict[int, Suggestion | None] = {t.id: None for t in tickets}
    direct = route_many(db.session, [Query(site_code=t.site_code, url=t.url) for t in tickets])
    for ticket, rule in zip(tickets, direct):
        unit = usable(rule.unit_id, ticket) if rule else None
        if unit is not None:
            out[ticket.id] = Suggestion(unit, rule.kind, rule.pattern)

    _by_parent_domain([t for t in tickets if out[t.id] is None], out, usable)
    _by_site_name([t for t in tickets if out[t.id] is None], out, usable)
    return out


def _by_parent_domain(tickets, out, usable) -> None:
    queries, owners = [], []
    for ticket in tickets:
        for url in parent_domain_urls(ticket.url):
            queries.append(Query(url=url))
            owners.append(ticket)
    for ticket, rule in zip(owners, route_many(db.session, queries) if queries else []):
        if out[ticket.id] is None and rule is not None:
            unit = usable(rule.unit_id, ticket)
            if unit is not None:
                out[ticket.id] = Suggestion(unit, "parent_domain", rule.pattern)


def _by_site_name(tickets, out, usable) -> None:
    names = {t.site_name.strip() for t in tickets if t.site_name and t.site_name.strip()}
    if not names:
        return
    by_name: dict[str, int] = {}
    for name, unit_id in db.session.execute(
        sa.select(Property.name, Property.unit_id).where(Property.name.in_(sorted(names)))
    ).all():
        by_name.setdefault(name, unit_id)
    for ticket in tickets:
        unit_id = by_name.get((ticket.site_name or "").strip())
        unit = usable(unit_id, ticket)
        if unit is not None:
            out[ticket.id] = Suggestion(unit, "site_name", ticket.site_name.strip())


def default_rule_prefix(url: str | None) -> str | None:
    """What "always route this URL prefix" proposes: the URL's folder (its last segment dropped)."""
    normalized = normalize_url(url)
    if not normalized:
        return None
    head, _, _ = normalized.rpartition("/")
    return head or normalized
