"""GET /api/v1/metrics/closure (CONTRACT.md): the closure figures per unit or region, and in total.

Any role may ask within its scope: supervisors and viewers their subtree, unit staff their own
unit only. Every bad parameter is named in one 422.
"""
from __future__ import annotations

from functools import partial

from flask import g, jsonify, request

from feedback.api import bp
from feedback.errors import InputError
from feedback.figures import params, snapshot
from feedback.figures.closure import closure
from feedback.timeutil import now


def closure_args(args, current) -> dict:
    """from, to, as_of (default now), unit, group → closure() keywords."""
    errors, out = {}, {}
    for parse in (_range, _as_of, _group):
        out.update(params.attempt(errors, partial(parse, args, current), {}))
    if errors:
        raise InputError(errors)
    out["unit_code"] = (args.get("unit") or "").strip() or None
    return out


def _range(args, current):
    date_from, date_to = params.parse_range(args.get("from"), args.get("to"))
    return {"date_from": date_from, "date_to": date_to}


def _as_of(args, current):
    # A future as_of is well defined (what would be overdue by then); the dashboard, a
    # person's view, keeps to the present.
    return {"as_of": params.parse_as_of(args.get("as_of"), default=current)}


def _group(args, current):
    return {"group": params.parse_group(args.get("group"))}


@bp.get("/metrics/closure")
def metrics_closure():
    arguments = closure_args(request.args, now())
    snapshot.begin()  # the rows, the total, the office and 未分派 from one snapshot
    # FIGURES per row and in total (CONTRACT.md), each on its row's clock; the platform clock is
    # the office's own figure, not each unit's
    report = closure(g.actor, **arguments, platform=False, json_rows=True)
    return jsonify(report.to_json(encoded_rows=True))
