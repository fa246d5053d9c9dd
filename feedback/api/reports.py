"""POST /api/v1/reports — one report or {"reports": [...]} (CONTRACT.md)."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import g, jsonify, request
from sqlalchemy.orm import selectinload

from feedback.api import bp
from feedback.errors import Forbidden, InputError
from feedback.extensions import db
from feedback.tickets.ingest import Result, ingest, parse_all
from feedback.tickets.models import Ticket
from feedback.tickets.serialize import unit_ref
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
    stored = ingest(good, g.actor, now(), source="api")
    db.session.commit()
    results = sorted(bad + stored, key=lambda r: r.index)
    rendered = render_results(results)

    if not batch:
        only = rendered[0]
        if only["status"] == "error":
            return jsonify({"error": "invalid report", "errors": only["errors"], "result": only}), 422
        return jsonify(only), 201 if only["status"] == "created" else 200
    counts = {s: sum(1 for r in results if r.status == s) for s in ("created", "duplicate", "error")}
    return jsonify({**counts, "results": rendered}), 200


def render_results(results: list[Result]) -> list[dict]:
    ids = {r.ticket_id for r in results if r.ticket_id}
    tickets = {}
    if ids:
        rows = db.session.execute(
            sa.select(Ticket).options(selectinload(Ticket.unit)).where(Ticket.id.in_(ids))).scalars()
        tickets = {t.id: t for t in rows}
    out = []
    for r in results:
        t = tickets.get(r.ticket_id)
        out.append({
            "index": r.index, "platform_id": r.platform_id, "status": r.status, "ticket_id": r.ticket_id,
            "state": t.state if t else None, "unit": unit_ref(t.unit) if t else None,
            "unit_due_at": iso(t.unit_due_at) if t else None,
            "platform_due_at": iso(t.platform_due_at) if t else None,
            "deadline_provisional": t.deadline_provisional if t else None,
            "errors": r.errors or {},
        })
    return out
