"""POST /api/v1/reports — one report or {"reports": [...]} (CONTRACT.md)."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import g, jsonify, request

from feedback.api import bp
from feedback.calendar.service import current_calendar
from feedback.errors import Forbidden, InputError, nul_errors
from feedback.extensions import db
from feedback.tickets.ingest import Result, ingest, parse_all
from feedback.directory.models import Unit
from feedback.tickets.models import Ticket
from feedback.timeutil import iso, now

MAX_BATCH = 1000


def json_body():
    """The request's JSON object, or a 422 that says what is wrong with the body."""
    raw = request.get_data(cache=True)
    if not raw:
        raise InputError({"body": "empty; send a JSON object"})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError({"body": f"not valid UTF-8 (byte {exc.start}); send UTF-8 JSON"}) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError({"body": f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"}) from None


def action_body():
    """An action's JSON body ({} when it sends none); a text value holding a NUL character is a
    422 naming it (errors.nul_errors)."""
    data = json_body() if request.get_data(cache=True).strip() else {}
    bad = nul_errors(data) if isinstance(data, dict) else {}
    if bad:
        raise InputError(bad)
    return data


@bp.post("/reports")
def post_reports():
    if g.actor.role not in ("supervisor", "system"):
        raise Forbidden("only a supervisor's token may push reports")
    body = json_body()
    if not isinstance(body, dict):
        raise InputError({"body": "must be one report object or {\"reports\": [...]}, not a JSON array"})
    batch = "reports" in body
    if batch:
        items = body["reports"]
        if not isinstance(items, list):
            raise InputError({"reports": "must be a list of report objects"})
        if len(items) > MAX_BATCH:
            raise InputError({"reports": f"at most {MAX_BATCH} reports per request; split the batch"})
    else:
        items = [body]

    good, bad = parse_all(items, naive_is_local=False)
    stored = ingest(good, g.actor, now(), source="api", calendar=current_calendar(version=g.calendar_version))
    results = sorted(bad + stored, key=lambda r: r.index)
    rendered = render_results(results)  # in the same transaction: one connection checkout, not two
    db.session.commit()

    if not batch:
        only = rendered[0]
        if only["status"] == "error":
            return jsonify({"error": "invalid report", "errors": only["errors"], "result": only}), 422
        return jsonify(only), 201 if only["status"] == "created" else 200
    counts = {s: sum(1 for r in results if r.status == s) for s in ("created", "duplicate", "error")}
    return jsonify({**counts, "results": rendered}), 200


SHOWN_COLUMNS = (Ticket.id, Ticket.state, Unit.code, Unit.name, Ticket.unit_due_at, Ticket.platform_due_at,
                 Ticket.deadline_provisional)


def render_results(results: list[Result]) -> list[dict]:
    # What ingest did not already return (duplicates, the SQLite path): one light query, no ORM objects.
    ids = {r.ticket_id for r in results if r.ticket_id and r.shown is None}
    shown = {}
    if ids:
        rows = db.session.execute(
            sa.select(*SHOWN_COLUMNS).outerjoin(Unit, Unit.id == Ticket.unit_id).where(Ticket.id.in_(ids)))
        shown = {row.id: tuple(row)[1:] for row in rows}
    out = []
    for r in results:
        t = r.shown or shown.get(r.ticket_id)
        state, code, name, unit_due_at, platform_due_at, provisional = t or (None,) * 6
        out.append({
            "index": r.index, "platform_id": r.platform_id, "status": r.status, "ticket_id": r.ticket_id,
            "state": state, "unit": {"code": code, "name": name} if code is not None else None,
            "unit_due_at": iso(unit_due_at), "platform_due_at": iso(platform_due_at),
            "deadline_provisional": provisional, "errors": r.errors or {},
        })
    return out
