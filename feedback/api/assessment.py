"""GET /api/v1/assessment/YYYYQn[?as_of=T] (CONTRACT.md): the quarterly assessment of the
caller's scope, for the assessment system."""
from __future__ import annotations

from flask import g, jsonify, request

from feedback.api import bp
from feedback.errors import Forbidden, InputError
from feedback.exports.assessment import assess, to_json
from feedback.exports.periods import PeriodError, parse_as_of, parse_quarter
from feedback.timeutil import now

ROLES = ("supervisor", "viewer")


@bp.get("/assessment/<quarter>")
def assessment_quarter(quarter: str):
    if g.actor.role not in ROLES:
        raise Forbidden("the assessment is for supervisors and viewers")
    try:
        q = parse_quarter(quarter, "quarter")
        as_of = parse_as_of(request.args.get("as_of"), "as_of") or now()
        result = assess(g.actor, q, as_of)
    except PeriodError as exc:
        raise InputError({exc.field: exc.message}) from None
    return jsonify(to_json(result))
