"""GET/POST /api/v1/findings, /findings/ID and POST /findings/ID/ACTION (CONTRACT.md: Findings)."""
from __future__ import annotations

from flask import g, jsonify, request

from feedback.accounts.scope import tickets_query
from feedback.api import bp
from feedback.api.reports import action_body, json_body
from feedback.attachments import store
from feedback.errors import Forbidden, InputError
from feedback.extensions import db
from feedback.findings import lifecycle
from feedback.findings.fields import parse
from feedback.findings.listing import FindingFilter, list_findings
from feedback.findings.scope import get_finding
from feedback.findings import attachments as finding_files
from feedback.findings.serialize import finding_json
from feedback.tickets.models import Ticket
from feedback.timeutil import now


def _json(finding, *, events: bool = False) -> dict:
    return finding_json(finding, now(), events=events, attachments=finding_files.listed(finding))


def _ticket(ticket_id):
    """The ticket a finding comes from, in the caller's scope; otherwise 422 naming ticket_id."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise InputError({"ticket_id": "the id of a ticket, or null"})
    ticket = db.session.execute(tickets_query(g.actor).where(Ticket.id == ticket_id)).scalar_one_or_none()
    if ticket is None:
        raise InputError({"ticket_id": f"no ticket {ticket_id} in your scope"})
    return ticket


@bp.get("/findings")
def findings_index():
    page = list_findings(g.actor, FindingFilter.from_args(request.args), now())
    return jsonify({"items": [_json(f) for f in page.items], "page": page.page, "per_page": page.per_page,
                    "total": page.total})


@bp.get("/findings/<int:finding_id>")
def finding_detail(finding_id: int):
    return jsonify(_json(get_finding(g.actor, finding_id), events=True))


@bp.post("/findings")
def finding_create():
    if g.actor.role not in ("supervisor", "system"):
        raise Forbidden("only a supervisor may record a finding")
    body = json_body()
    if not isinstance(body, dict):
        raise InputError({"body": "expected a JSON object"})
    fields, errors = parse(body)
    if errors:
        raise InputError(errors)
    ticket = None
    if body.get("ticket_id") is not None:
        ticket = _ticket(body.get("ticket_id"))
    finding = lifecycle.create(fields, g.actor, now(), ticket=ticket, via="api")
    db.session.commit()
    return jsonify(_json(finding, events=True)), 201


@bp.post("/findings/<int:finding_id>/<action>")
def finding_action(finding_id: int, action: str):
    finding = get_finding(g.actor, finding_id, for_update=True)
    lifecycle.apply(finding, action, g.actor, now(), action_body(), attach=finding_files.attach)
    db.session.commit()
    return jsonify(_json(finding, events=True))


@bp.post("/findings/<int:finding_id>/attachments")
def finding_upload(finding_id: int):
    # This route alone takes bodies up to the attachment limit, whatever MAX_CONTENT_LENGTH says.
    request.max_content_length = store.body_limit()
    finding = get_finding(g.actor, finding_id, for_update=True)
    upload = finding_files.upload(finding, request.files.get("file"), g.actor, now())
    db.session.commit()
    return jsonify(upload), 201
