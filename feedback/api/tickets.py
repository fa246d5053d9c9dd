"""GET /api/v1/tickets, /tickets/ID and POST /tickets/ID/ACTION (CONTRACT.md)."""
from __future__ import annotations

from flask import g, jsonify, request

from feedback.api import bp
from feedback.attachments.service import of_tickets
from feedback.api.reports import action_body
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle
from feedback.tickets.listing import TicketFilter, list_tickets
from feedback.tickets.serialize import ticket_json
from feedback.accounts.scope import get_ticket
from feedback.timeutil import now


@bp.get("/tickets")
def tickets_index():
    flt = TicketFilter.from_args(request.args)
    page = list_tickets(g.actor, flt, now())
    files = of_tickets([t.id for t in page.items])
    return jsonify({"items": [ticket_json(t, g.actor, attachments=files[t.id]) for t in page.items],
                    "page": page.page, "per_page": page.per_page, "total": page.total})


@bp.get("/tickets/<int:ticket_id>")
def ticket_detail(ticket_id: int):
    ticket = get_ticket(g.actor, ticket_id)
    return jsonify(ticket_json(ticket, g.actor, events=True))


@bp.post("/tickets/<int:ticket_id>/<action>")
def ticket_action(ticket_id: int, action: str):
    ticket = get_ticket(g.actor, ticket_id, for_update=True)
    lifecycle.apply(ticket, action, g.actor, now(), action_body(), current_calendar())
    db.session.commit()
    return jsonify(ticket_json(ticket, g.actor, events=True))
