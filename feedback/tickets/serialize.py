"""The TICKET shape of CONTRACT.md, with personal data masked for roles that do not need it."""
from __future__ import annotations

from feedback.accounts.scope import Actor
from feedback.attachments.service import as_json, of_ticket
from feedback.tickets.handback import delivery_for
from feedback.tickets import handoffs
from feedback.timeutil import iso


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "*" * len(digits)


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None if not email else "***"
    local, _, domain = email.partition("@")
    return (local[:1] or "*") + "***@" + domain


def reporter(ticket, actor: Actor) -> dict:
    if actor.sees_personal_data:
        return {"name": ticket.reporter_name, "phone": ticket.reporter_phone, "email": ticket.reporter_email}
    return {"name": mask_name(ticket.reporter_name), "phone": mask_phone(ticket.reporter_phone),
            "email": mask_email(ticket.reporter_email)}


def unit_ref(unit) -> dict | None:
    return None if unit is None else {"code": unit.code, "name": unit.name}


def ticket_json(ticket, actor: Actor, *, events: bool = False, attachments: list | None = None) -> dict:
    """`attachments`: the ticket's rows when the caller fetched them for a whole page."""
    out = {
        "id": ticket.id,
        "platform_id": ticket.platform_id,
        "state": ticket.state,
        "category": ticket.category,
        "category_label": ticket.category_label,
        "description": ticket.description,
        "url": ticket.url,
        "site_code": ticket.site_code,
        "site_name": ticket.site_name,
        "unit": unit_ref(ticket.unit),
        "received_at": iso(ticket.received_at),
        "submitted_at": iso(ticket.submitted_at),
        "assigned_at": iso(ticket.assigned_at),
        "unit_due_at": iso(ticket.unit_due_at),
        "platform_due_at": iso(ticket.platform_due_at),
        "deadline_provisional": ticket.deadline_provisional,
        "replied_at": iso(ticket.replied_at),
        "reply": ticket.reply_text,
        "closed_at": iso(ticket.closed_at),
        "extensions": ticket.extensions,
        "extension_request": None if ticket.extension_requested_days is None else {
            "days": ticket.extension_requested_days, "reason": ticket.extension_request_reason},
        "invalid_reason": ticket.invalid_reason,
        "duplicate_of": ticket.duplicate_of_id,
        "reporter": reporter(ticket, actor),
    }
    out["attachments"] = [attachment_json(a) for a in
                          (attachments if attachments is not None else of_ticket(ticket.id))]
    if events:
        out["events"] = [event_json(e) for e in ticket.events]
        out["handoffs"] = [handoff_json(h) for h in handoffs.history(ticket)]
        out["platform_delivery"] = delivery_for(ticket)  # hand-back to the platform: pending/delivered/failed
        out["likely_duplicate_of"] = likely_duplicate(ticket, actor)
    return out


def handoff_json(h) -> dict:
    """One hand-off: unit codes (units in the caller's scope or above it, as the chain is)."""
    return {"at": iso(h.at), "by": h.by_unit.code, "from": h.from_unit.code if h.from_unit else None,
            "to": h.to_unit.code, "due_at": iso(h.due_at), "extensions": h.extensions, "current": h.is_clock,
            "stopped_at": iso(h.stopped_at), "ended_at": iso(h.ended_at), "end_reason": h.end_reason}


def likely_duplicate(ticket, actor: Actor) -> dict | None:
    """The open ticket in the caller's scope this one was flagged as a likely duplicate of."""
    from feedback.tickets.duplicates import shown_flags

    flag = shown_flags(actor, [ticket.id]).get(ticket.id)
    if flag is None:
        return None
    return {"id": flag.candidate.id, "platform_id": flag.candidate.platform_id, "reason": flag.reason,
            "score": flag.score}


def attachment_json(att) -> dict:
    return dict(as_json(att), event_id=att.event_id)  # the reply or note it is on, once attached


def event_json(event) -> dict:
    return {"id": event.id, "at": iso(event.at), "actor": event.actor, "action": event.action,
            "from_state": event.from_state, "to_state": event.to_state, "data": event.data or {}}
