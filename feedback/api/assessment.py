"""GET /api/v1/assessment/YYYYQn[?as_of=T] and GET /api/v1/assessment?from=D&to=D[&as_of=T]
(CONTRACT.md): the assessment of the caller's scope for a quarter or any window, for the
assessment system."""
from __future__ import annotations

from flask import g, jsonify, request

from feedback.api import bp
from feedback.errors import Forbidden, InputError
from feedback.exports.assessment import assess, to_json
from feedback.exports.periods import PeriodError, parse_as_of, parse_quarter, parse_range
from feedback.figures import snapshot
from feedback.timeutil import now

ROLES = ("supervisor", "viewer")


def _assessment(parse_window):
    if g.actor.role not in ROLES:
        raise Forbidden("the assessment is for supervisors and viewers")
    try:
        window = parse_window()
        as_of = parse_as_of(request.args.get("as_of"), "as_of") or now()
        snapshot.begin()  # every figure of the assessment from one snapshot
        result = assess(g.actor, window, as_of)
    except PeriodError as exc:
        raise InputError({exc.field: exc.message}) from None
    return jsonify(to_json(result))


@bp.get("/assessment/<quarter>")
def assessment_quarter(quarter: str):
    """Cut back to as_of's date when the quarter is not over (the 南充 notice's 1月1日至3月10日)."""
    return _assessment(lambda: parse_quarter(quarter, "quarter"))


@bp.get("/assessment")
def assessment_window():
    """Any window, whole local days, both ends included, never cut."""
    return _assessment(lambda: parse_range(request.args.get("from"), request.args.get("to")))
