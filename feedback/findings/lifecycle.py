"""The one place a finding is made or changes state, and it writes the history
(DESIGN.md: Inspection findings and rectification).

open ──report──▶ reported ──accept──▶ accepted
 ▲                  │
 └──── send-back ◀──┘  (with a reason; the fix-by date stands)

Each function checks scope (404), role (403), state (409) and input (422), changes the finding
and appends one FindingEvent; none commits: the caller's transaction holds both.
"""
from __future__ import annotations

from datetime import datetime

from feedback.accounts.scope import Actor, unit_in_scope
from feedback.errors import Conflict, Forbidden, InputError, NotFound
from feedback.extensions import db
from feedback.findings.fields import MAX_TEXT, FindingFields
from feedback.findings.models import Finding, FindingEvent
from feedback.findings.rules import is_overdue
from feedback.findings.scope import finding_scope

# action → (roles, from states); "create" has no from state
RULES = {
    "report": (("unit_staff",), ("open",)),
    "send-back": (("supervisor",), ("reported",)),
    "accept": (("supervisor",), ("reported",)),
}
ACTIONS = tuple(RULES)


def allowed_actions(finding: Finding, actor: Actor) -> list[str]:
    return [name for name, (roles, states) in RULES.items() if actor.role in roles and finding.state in states]


def _event(finding: Finding, action: str, actor: Actor, at: datetime, from_state, data: dict) -> FindingEvent:
    event = FindingEvent(finding=finding, at=at, actor_id=actor.user_id, actor=actor.label, action=action,
                         from_state=from_state, to_state=finding.state, data=data)
    db.session.add(event)
    return event


def create(fields: FindingFields, actor: Actor, at: datetime, *, ticket=None, via: str = "form") -> Finding:
    """A new open finding for a unit in the actor's scope (supervisors; the system for imports)."""
    if actor.role not in ("supervisor", "system"):
        raise Forbidden("only a supervisor may record a finding")
    if not unit_in_scope(actor, fields.unit):
        raise InputError({"unit_code": f"no unit with code {fields.unit.code!r} in your scope"})
    finding = Finding(
        state="open", unit_id=fields.unit.id, unit=fields.unit, site_code=fields.site_code, account=fields.account,
        category=fields.category, category_label=fields.category_label, description=fields.description,
        url=fields.url, fix_by=fields.fix_by, source=fields.source,
        ticket_id=ticket.id if ticket is not None else None, created_at=at, updated_at=at)
    db.session.add(finding)
    data = {"unit": fields.unit.code, "fix_by": fields.fix_by.isoformat(), "via": via}
    if ticket is not None:
        data["ticket_id"] = ticket.id
    _event(finding, "create", actor, at, None, data)
    db.session.flush()
    return finding


def _text(data: dict, field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise InputError({field: "required: give a non-empty text"})
    if len(value) > MAX_TEXT:
        raise InputError({field: f"at most {MAX_TEXT} characters ({len(value)} given)"})
    return value.strip()


def apply(finding: Finding, name: str, actor: Actor, at: datetime, data: dict | None,
          attach=None) -> FindingEvent:
    """One transition. `attach(finding, ids, actor)` gives the uploads a report names (each with a
    `finding_event_id` the report's event then fills); it raises InputError naming `attachments`
    for an id that is not an upload of this finding on no other report."""
    data = data if data is not None else {}
    if not isinstance(data, dict):
        raise InputError({"body": "expected a JSON object"})
    if actor.role != "system" and not _in_scope(actor, finding):
        raise NotFound("no such finding")
    rule = RULES.get(name)
    if rule is None:
        raise NotFound(f"no such action: {name}")
    roles, states = rule
    if actor.role not in roles and actor.role != "system":
        raise Forbidden(f"role {actor.role} may not {name}")
    if finding.state not in states:
        raise Conflict(f"cannot {name} a finding in state {finding.state}")
    from_state, files = finding.state, []
    if name == "report":  # 整改报告
        text = _text(data, "text")
        ids = data.get("attachments") or []
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise InputError({"attachments": "a list of attachment ids, e.g. [12, 13]"})
        if ids and attach is None:
            raise InputError({"attachments": "attachments are not taken here"})
        files = attach(finding, ids, actor) if ids else []
        finding.state, finding.report_text, finding.reported_at = "reported", text, at
        out = {"text": text, "on_time": not is_overdue("open", finding.fix_by, at)}
        if files:
            out["attachments"] = [f.id for f in files]
    elif name == "send-back":  # 复核不通过
        out = {"reason": _text(data, "reason")}
        finding.state = "open"
    else:  # accept: 复核通过
        finding.state, finding.accepted_at = "accepted", at
        out = {}
    finding.updated_at = at
    event = _event(finding, name, actor, at, from_state, out)
    db.session.flush()
    for f in files:
        f.finding_event_id = event.id  # the report carries it
    return event


def _in_scope(actor: Actor, finding: Finding) -> bool:
    if actor.role == "unit_staff":
        return finding.unit_id == actor.unit_id
    return unit_in_scope(actor, finding.unit)


__all__ = ["ACTIONS", "RULES", "allowed_actions", "apply", "create", "finding_scope"]
