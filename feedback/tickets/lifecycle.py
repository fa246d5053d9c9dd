"""The one place a ticket changes state, and it writes the history (DESIGN.md: Ticket lifecycle).

`apply(ticket, action, actor, at, data, calendar)` checks scope (404), role (403), state (409)
and input (422), changes the ticket, recomputes its clocks and appends one TicketEvent. It does
not commit: the caller's transaction holds the change and its event together.

`transition(state, action)` is the only definition of the state an action leaves (RULES), and
`fold(row, steps, calendar)` plays a new ticket's first steps — receive, routing's or a ledger's
assign, and a ledger's reply, approve or invalidate — onto an unsaved row through the same
`transition` and the same column changes, so ingest can check and store a whole batch set-based
(tickets/ingest.py) with the states and events `apply` would have written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import sqlalchemy as sa

from feedback.accounts.scope import Actor, ticket_in_scope, unit_in_scope
from feedback.calendar.deadlines import handling_workdays
from feedback.calendar.workdays import WorkCalendar
from feedback import privacy
from feedback.attachments import service as attachments
from feedback.directory.models import Unit
from feedback.errors import Conflict, Forbidden, InputError, NotFound
from feedback.extensions import db
from feedback.figures import rules
from feedback.knowledge import service as knowledge
from feedback.tickets import clocks, handback, handoffs
from feedback.tickets.models import OPEN_STATES, STATES, Ticket, TicketEvent

MAX_TEXT = 20_000
MAX_EXTENSION_DAYS = 30


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    from_states: tuple[str, ...]
    handler: Callable
    to_state: str | None  # the state the action leaves; None: unchanged
    # a further test for showing the action's button (the handler enforces it)
    offered: Callable | None = None


RULES: dict[str, Rule] = {}
RECEIVED = "new"  # a report arrives in triage's state (DESIGN.md: Ingestion), before any rule


def action(name: str, roles: tuple[str, ...], from_states: tuple[str, ...], to_state: str | None,
           offered: Callable | None = None):
    def register(fn):
        RULES[name] = Rule(roles, from_states, fn, to_state, offered)
        return fn

    return register


def transition(state: str | None, name: str) -> str:
    """The state `name` leaves a ticket in `state` in, or Conflict (409) when RULES forbid it.
    `receive` is a report's arrival: from no state to RECEIVED."""
    if name == "receive":
        if state is not None:
            raise Conflict(f"cannot {name} a ticket in state {state}")
        return RECEIVED
    rule = RULES.get(name)
    if rule is None:
        raise NotFound(f"no such action: {name}")
    if state not in rule.from_states:
        raise Conflict(f"cannot {name} a ticket in state {state}")
    return rule.to_state or state


def allowed_actions(ticket: Ticket, actor: Actor) -> list[str]:
    """The actions this actor may take on this ticket now (for showing buttons)."""
    out = []
    for name, rule in RULES.items():
        if actor.role in rule.roles and ticket.state in rule.from_states:
            if name == "decide-extension" and ticket.extension_requested_days is None:
                continue
            if name == "request-extension" and ticket.extension_requested_days is not None:
                continue
            if rule.offered is not None and not rule.offered(ticket, actor):
                continue
            out.append(name)
    return out


def apply(ticket: Ticket, name: str, actor: Actor, at: datetime, data: dict | None,
          calendar: WorkCalendar) -> TicketEvent:
    data = data or {}
    if not isinstance(data, dict):
        raise InputError({"body": "expected a JSON object"})
    if not ticket_in_scope(actor, ticket):
        raise NotFound("no such ticket")
    rule = RULES.get(name)
    if rule is None:
        raise NotFound(f"no such action: {name}")
    if actor.role not in rule.roles and actor.role != "system":
        raise Forbidden(f"role {actor.role} may not {name}")
    from_state, unit_before = ticket.state, ticket.unit_id
    to_state = transition(from_state, name)
    event_data = rule.handler(ticket, actor, at, data, calendar) or {}
    ticket.state = to_state  # after the handler: a refused input leaves the state as it was
    files = event_data.pop("_files", [])
    event = TicketEvent(
        ticket=ticket, at=at, actor_id=actor.user_id, actor=actor.label, action=name,
        from_state=from_state, to_state=ticket.state,
        # the unit concerned: the new assignee, or the unit a ticket was returned from
        unit_id=event_data.pop("_event_unit_id", None) or (ticket.unit_id if ticket.unit_id is not None else unit_before),
        data=event_data,
    )
    db.session.add(event)
    db.session.flush()
    attachments.link(files, event)
    if name == "reply" and event_data.get("template_id") is not None:
        knowledge.record_use(event_data["template_id"], ticket, event, at)
    elif name == "reject":
        knowledge.record_rejection(ticket, event)
    return event


@dataclass(frozen=True)
class Step:
    """One step of a new ticket's history for `fold`. `column` is the report field the step
    stands for, so that a step RULES refuse is reported against the column that gave it."""

    action: str
    at: datetime
    data: dict = field(default_factory=dict)
    unit_id: int | None = None  # assign: the unit handed to
    actor: str | None = None  # the event's actor label, when not the caller's (routing)
    column: str | None = None


class StepRefused(Conflict):
    """A step of a history `fold` refused: transition's Conflict, with the step."""

    def __init__(self, step: Step, message: str):
        super().__init__(message)
        self.step = step


def fold(row, steps: list[Step], calendar: WorkCalendar) -> list[dict]:
    """Play a new ticket's first steps onto `row`, an unsaved ticket (any object with the
    ticket's columns, no state yet): each is checked by `transition` exactly as `apply` checks
    it (StepRefused, a Conflict, when RULES forbid it) and changes the columns its action changes
    there. Returns one event per step: {at, action, from_state, to_state, unit_id, data, actor}.

    Only what needs no session folds: receive (starts the platform clock), assign from triage
    (the first hand-off; its row is written with handoffs.record_initial), accept, reply, approve
    (no hand-back: a ledger's closed message went back to the platform long ago) and invalidate."""
    events = []
    for step in steps:
        effect = _FOLD_EFFECTS.get(step.action)
        if effect is None:
            raise ValueError(f"{step.action} needs the stored ticket: use apply")
        from_state = getattr(row, "state", None)  # a report not received yet has none
        try:
            to_state = transition(from_state, step.action)
        except Conflict as exc:
            raise StepRefused(step, exc.message) from None
        effect(row, step, calendar)
        row.state = to_state
        events.append({"at": step.at, "action": step.action, "from_state": from_state, "to_state": to_state,
                       "unit_id": row.unit_id, "data": step.data, "actor": step.actor})
    return events


def _fold_receive(row, step: Step, calendar: WorkCalendar) -> None:
    clocks.start_platform_clock(row, calendar)


def _fold_assign(row, step: Step, calendar: WorkCalendar) -> None:
    # from triage (transition allows assign from `new` only; a new ticket has no unit yet): the
    # hand-off's clock is the ticket's own, as handoffs.hand_off sets it for a first hand-off
    _assigned(row)
    row.unit_id = step.unit_id
    clocks.start_unit_clock(row, step.at, calendar)


_FOLD_EFFECTS: dict[str, Callable] = {
    "receive": _fold_receive,
    "assign": _fold_assign,
    "accept": lambda row, step, calendar: None,
    "reply": lambda row, step, calendar: _replied(row, step.at, step.data.get("text")),
    "approve": lambda row, step, calendar: _closed(row, step.at, calendar),
    "invalidate": lambda row, step, calendar: _invalidated(row, step.data["reason"]),
}


MAX_ID = 2**31 - 1  # an id beyond the integer column is no ticket (not a database error)


class PersonalDataHeld(InputError):
    """A text going out holds personal data and was not confirmed (CONTRACT.md: reply, note)."""

    def __init__(self, field: str, kinds: list[str]):
        super().__init__({field: "holds personal data (" + ", ".join(kinds) + "): remove it, or send "
                          '"confirm": true to keep it'})
        self.field, self.kinds = field, kinds


def _guard(ticket: Ticket, text: str, data: dict, field: str = "text") -> list[str]:
    """The personal-data guard: the kinds found and confirmed (recorded on the event so the
    office sees the override), or PersonalDataHeld when found and not confirmed."""
    confirm = data.get("confirm", False)
    if not isinstance(confirm, bool):
        raise InputError({"confirm": "true or false"})
    found = privacy.kinds(privacy.find_personal_data(text, ticket))
    if found and not confirm:
        raise PersonalDataHeld(field, found)
    return found


def _files(ticket: Ticket, data: dict, out: dict) -> dict:
    """Attach the uploads the body names: `_files` is taken off by apply, the ids stay."""
    files = attachments.unattached(ticket, data.get("attachments"))
    if files:
        out["attachments"] = [f.id for f in files]
        out["_files"] = files
    return out


# --- input helpers: each names the field and what to do --------------------------------------

def _text(data: dict, field: str, *, required: bool = True) -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError({field: "required: give a non-empty text"})
        return None
    if not isinstance(value, str):
        raise InputError({field: "must be a string"})
    if len(value) > MAX_TEXT:
        raise InputError({field: f"at most {MAX_TEXT} characters"})
    return value.strip()


def _days(data: dict, field: str, *, required: bool = True) -> int | None:
    value = data.get(field)
    if value is None:
        if required:
            raise InputError({field: "required: a whole number of working days"})
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXTENSION_DAYS:
        raise InputError({field: f"must be a whole number of working days from 1 to {MAX_EXTENSION_DAYS}"})
    return value


def _unit(actor: Actor, code) -> Unit:
    if not isinstance(code, str) or not code.strip():
        raise InputError({"unit": "required: the code of the unit to assign to"})
    unit = db.session.execute(sa.select(Unit).where(Unit.code == code.strip())).scalar_one_or_none()
    if unit is None or not unit_in_scope(actor, unit):
        raise InputError({"unit": f"no unit with code {code!r} in your scope"})
    return unit


# --- the actions (CONTRACT.md: POST /api/v1/tickets/ID/ACTION) --------------------------------

def assign_to(ticket: Ticket, unit: Unit, at: datetime, calendar: WorkCalendar, actor: Actor,
              by_unit_id: int | None = None) -> handoffs.HandOff:
    """A hand-off to `unit` of a stored ticket (DESIGN.md: Each level's clock), owed to
    `by_unit_id` (default: the actor's unit; the top office for the system): the assign and
    reassign actions. Routing on ingest is `fold`'s assign step instead (a ticket not stored
    yet), whose hand-off row handoffs.record_initial writes."""
    if by_unit_id is None:
        by_unit_id = actor.unit_id if actor.unit_id is not None else handoffs.top_unit_id(unit)
    _assigned(ticket)
    return handoffs.hand_off(ticket, unit, by_unit_id, at, actor, calendar)


# --- what a transition does to the ticket's own columns: apply's handlers and fold share these

def _request_cleared(ticket) -> None:
    ticket.extension_requested_days = None
    ticket.extension_request_reason = None


def _assigned(ticket) -> None:
    """A hand-off: a reply and an extension request belong to the unit before."""
    ticket.replied_at = None
    ticket.reply_text = None
    _request_cleared(ticket)


def _replied(ticket, at: datetime, text: str | None) -> None:
    ticket.replied_at = at
    ticket.reply_text = text
    _request_cleared(ticket)


def _closed(ticket, at: datetime, calendar: WorkCalendar) -> None:
    ticket.closed_at = at
    ticket.handling_workdays = handling_workdays(ticket.assigned_at, ticket.replied_at, calendar)


def _invalidated(ticket, reason: str) -> None:
    ticket.invalid_reason = reason
    _request_cleared(ticket)


def _handoff_data(row: handoffs.HandOff, unit: Unit) -> dict:
    return {"unit": unit.code, "unit_due_at": ticket_due(row.ticket), "handoff_id": row.id,
            "clock_due_at": row.due_at.isoformat() if row.due_at is not None else None}


def ticket_due(ticket: Ticket) -> str | None:
    return ticket.unit_due_at.isoformat() if ticket.unit_due_at is not None else None


@action("assign", ("supervisor",), ("new",), "assigned")
def _assign(ticket, actor, at, data, calendar):
    unit = _unit(actor, data.get("unit"))
    row = assign_to(ticket, unit, at, calendar, actor)
    db.session.flush()
    return _handoff_data(row, unit)


@action("reassign", ("supervisor",), ("assigned", "in_progress"), "assigned")
def _reassign(ticket, actor, at, data, calendar):  # 改派 within the supervisor's subtree
    unit = _unit(actor, data.get("unit"))
    if unit.id == ticket.unit_id:
        raise InputError({"unit": "the ticket is already with this unit; choose another one"})
    from_code = ticket.unit.code if ticket.unit is not None else None
    row = assign_to(ticket, unit, at, calendar, actor)
    db.session.flush()
    return dict(_handoff_data(row, unit), from_unit=from_code)


@action("accept", ("unit_staff",), ("assigned",), "in_progress")
def _accept(ticket, actor, at, data, calendar):  # 签收
    return None


@action("reply", ("unit_staff",), ("assigned", "in_progress"), "replied")
def _reply(ticket, actor, at, data, calendar):  # 答复
    text = _text(data, "text")
    out = {"text": text, "on_time": rules.replied_by(at, ticket.unit_due_at)}
    if data.get("template_id") is not None:
        out["template_id"] = knowledge.active_template(data["template_id"]).id
    _files(ticket, data, out)
    overridden = _guard(ticket, text, data)
    if overridden:
        out["personal_data_confirmed"] = overridden
    _replied(ticket, at, text)
    return out


@action("note", ("unit_staff", "supervisor"), STATES, None)
def _note(ticket, actor, at, data, calendar):  # 备注: state unchanged
    text = _text(data, "text")
    internal = data.get("internal")
    if not isinstance(internal, bool):
        raise InputError({"internal": "required: true (stays in the system) or false (may go to the platform)"})
    out = {"text": text, "internal": internal}
    _files(ticket, data, out)
    if not internal:
        overridden = _guard(ticket, text, data)
        if overridden:
            out["personal_data_confirmed"] = overridden
    return out


@action("approve", ("supervisor",), ("replied",), "closed")
def _approve(ticket, actor, at, data, calendar):  # 办结
    _closed(ticket, at, calendar)
    handoffs.stop(ticket, ticket.replied_at)  # every level's clock stops at the approved reply
    handback.record_close(ticket, at)  # the reply is owed to the platform: same transaction
    return {"replied_at": ticket.replied_at.isoformat(),
            "on_time": rules.replied_by(ticket.replied_at, ticket.unit_due_at)}


@action("reject", ("supervisor",), ("replied",), "in_progress")
def _reject(ticket, actor, at, data, calendar):  # 退回重办: the unit clock keeps running
    reason = _text(data, "reason")
    return {"reason": reason, "rejected_reply_at": ticket.replied_at.isoformat()}


def _returning_unit(ticket: Ticket, actor: Actor) -> Unit | None:
    """The unit that returns: a clerk's own unit; a supervisor's unit when a level above made
    the hand-off into it (the top office has no level above to return to)."""
    if actor.role == "unit_staff":
        return ticket.unit
    if actor.role == "system":
        return ticket.unit
    unit = db.session.get(Unit, actor.unit_id)
    if ticket.unit_id is None or unit is None:
        return None
    owner = handoffs.owner_of_return(ticket, unit)
    return unit if owner is not None and owner != unit.id else None


def _may_return(ticket: Ticket, actor: Actor) -> bool:
    if ticket.state == "new" and (actor.role == "unit_staff" or ticket.unit_id is None):
        return False
    return _returning_unit(ticket, actor) is not None


@action("return", ("unit_staff", "supervisor"), ("new", "assigned", "in_progress"), "new", offered=_may_return)
def _return(ticket, actor, at, data, calendar):  # 退回: not ours; to the triage of the level that handed it
    if ticket.state == "new" and actor.role == "unit_staff":
        raise Conflict("cannot return a ticket in state new")
    returning = _returning_unit(ticket, actor)
    if returning is None:
        raise Forbidden("no level above your unit handed this ticket to it: assign it or mark it invalid")
    reason = _text(data, "reason")
    unit_id = ticket.unit_id
    _request_cleared(ticket)
    landing = handoffs.return_from(ticket, returning, at, calendar)
    return {"reason": reason, "returned_by_unit_id": returning.id, "from_unit_id": unit_id,
            "to_unit": landing.code if landing is not None else None, "unit_due_at": ticket_due(ticket),
            "_event_unit_id": returning.id}


@action("request-extension", ("unit_staff",), ("assigned", "in_progress"), None)
def _request_extension(ticket, actor, at, data, calendar):  # 延期申请
    days = _days(data, "days")
    reason = _text(data, "reason")
    if ticket.extension_requested_days is not None:
        raise Conflict("an extension request is already waiting for a decision")
    ticket.extension_requested_days = days
    ticket.extension_request_reason = reason
    return {"days": days, "reason": reason}


def extensions_decided_above(tickets: list[Ticket], actor: Actor) -> dict[int, Unit | None]:
    """Per ticket, the unit that set its current unit's deadline when that unit lies above the
    actor's (whose supervisors then may refuse an extension but not approve it: an approval moves
    only clocks owed to the approver's unit or below, DESIGN.md); None where the actor may approve."""
    approver = _actor_unit(actor)
    own = handoffs.own_clocks(tickets) if approver is not None else {}
    return {t.id: own[t.id].by_unit if t.id in own and not own[t.id].by_unit.path.startswith(approver.path)
            else None for t in tickets}


def _actor_unit(actor: Actor) -> Unit | None:
    return db.session.get(Unit, actor.unit_id) if actor.unit_id is not None else None


@action("decide-extension", ("supervisor",), OPEN_STATES, None)
def _decide_extension(ticket, actor, at, data, calendar):
    if ticket.extension_requested_days is None:
        raise Conflict("no extension request is waiting for a decision")
    approve = data.get("approve")
    if not isinstance(approve, bool):
        raise InputError({"approve": "required: true or false"})
    requested = ticket.extension_requested_days
    out = {"approve": approve, "requested_days": requested}
    if approve:
        days = _days(data, "days", required=False) or requested
        decider = extensions_decided_above([ticket], actor)[ticket.id]
        if decider is not None:
            raise Conflict(f"this deadline was set by {decider.name}: its supervisors decide extensions")
        old_due = ticket.unit_due_at
        moved = handoffs.extend(ticket, _actor_unit(actor), days, calendar)
        out.update(days=days, old_due_at=old_due.isoformat(), unit_due_at=ticket.unit_due_at.isoformat(),
                   handoffs=[{"id": h.id, "old_due_at": old.isoformat(), "due_at": h.due_at.isoformat()}
                             for h, old in moved])
    else:
        out["reason"] = _text(data, "reason")
    _request_cleared(ticket)
    return out


@action("invalidate", ("supervisor",), OPEN_STATES, "invalid")
def _invalidate(ticket, actor, at, data, calendar):  # 无效 / 重复
    reason = _text(data, "reason")
    out = {"reason": reason}
    dup = data.get("duplicate_of")
    if dup is not None:
        primary = _find_primary(dup)
        # Outside the supervisor's scope the primary does not exist for them (no existence leak).
        if primary is None or primary.id == ticket.id or not ticket_in_scope(actor, primary):
            raise InputError({"duplicate_of": "give the id or 留言编号 of another existing ticket"})
        ticket.duplicate_of_id = primary.id
        out["duplicate_of"] = primary.id
    _invalidated(ticket, reason)
    return out


def _find_primary(ref) -> Ticket | None:
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        return db.session.get(Ticket, ref) if 1 <= ref <= MAX_ID else None
    if isinstance(ref, str) and ref.strip():
        found = db.session.execute(sa.select(Ticket).where(Ticket.platform_id == ref.strip())).scalar_one_or_none()
        if found is None and ref.strip().isdigit() and 1 <= int(ref.strip()) <= MAX_ID:
            found = db.session.get(Ticket, int(ref.strip()))
        return found
    return None
