"""Attachments on tickets: upload to a ticket, attach to the reply or note that names them, list."""
from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

import sqlalchemy as sa

from feedback.accounts.scope import Actor, get_ticket
from feedback.attachments import store
from feedback.attachments.models import Attachment
from feedback.errors import Forbidden, InputError, NotFound
from feedback.extensions import db

MAX_PER_EVENT = 10
UPLOADER_ROLES = ("unit_staff", "supervisor", "system")


def upload_target(actor: Actor, ticket_id: int):
    """The ticket a file may be uploaded to: 404 outside the actor's scope, then 403 for a role
    that may not upload, before anything about the file itself (CONTRACT.md: errors)."""
    ticket = get_ticket(actor, ticket_id)
    if actor.role not in UPLOADER_ROLES:
        raise Forbidden(f"role {actor.role} may not upload attachments")
    return ticket


def upload(actor: Actor, ticket_id: int, stream: BinaryIO, name: str | None, at: datetime) -> Attachment:
    """A file for a ticket in the actor's scope (404 outside it), not yet on any reply or note."""
    ticket = upload_target(actor, ticket_id)
    return store.save(stream, name, actor=actor, at=at, ticket_id=ticket.id)


def unattached(ticket, refs) -> list[Attachment]:
    """The uploads a reply or note names: files of this ticket on no other reply or note yet.
    InputError naming `attachments` otherwise."""
    if refs is None:
        return []
    if not isinstance(refs, list) or any(isinstance(r, bool) or not isinstance(r, int) for r in refs):
        raise InputError({"attachments": "a list of attachment ids, e.g. [12, 13]"})
    ids = list(dict.fromkeys(refs))
    if len(ids) > MAX_PER_EVENT:
        raise InputError({"attachments": f"at most {MAX_PER_EVENT} attachments"})
    if not ids:
        return []
    rows = {a.id: a for a in db.session.execute(
        sa.select(Attachment).where(Attachment.id.in_(ids), Attachment.ticket_id == ticket.id)).scalars()}
    for ref in ids:
        att = rows.get(ref)
        if att is None:
            raise InputError({"attachments": f"no attachment {ref} uploaded to this ticket"})
        if att.event_id is not None:
            raise InputError({"attachments": f"attachment {ref} is already on another reply or note"})
    return [rows[i] for i in ids]


def link(attachments: list[Attachment], event) -> None:
    for att in attachments:
        att.event_id = event.id


def of_ticket(ticket_id: int) -> list[Attachment]:
    return list(db.session.execute(
        sa.select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)).scalars())


def of_tickets(ticket_ids) -> dict[int, list[Attachment]]:
    """A page's attachments in one query, by ticket."""
    out: dict[int, list[Attachment]] = {t: [] for t in ticket_ids}
    if ticket_ids:
        for att in db.session.execute(sa.select(Attachment).where(Attachment.ticket_id.in_(list(ticket_ids)))
                                      .order_by(Attachment.id)).scalars():
            out[att.ticket_id].append(att)
    return out


def of_events(event_ids) -> dict[int, list[Attachment]]:
    out: dict[int, list[Attachment]] = {}
    if not event_ids:
        return out
    for att in db.session.execute(sa.select(Attachment).where(Attachment.event_id.in_(list(event_ids)))
                                  .order_by(Attachment.id)).scalars():
        out.setdefault(att.event_id, []).append(att)
    return out


def get_in_scope(actor: Actor, attachment_id: int) -> Attachment:
    """The attachment if its ticket is in the actor's scope; NotFound (404) otherwise."""
    att = db.session.get(Attachment, attachment_id)
    if att is not None and att.finding_id is not None:
        from feedback.findings.scope import get_finding

        try:
            get_finding(actor, att.finding_id)
        except NotFound:
            raise NotFound("no such attachment") from None
        return att
    if att is None or att.ticket_id is None:
        raise NotFound("no such attachment")
    try:
        get_ticket(actor, att.ticket_id)
    except NotFound:
        raise NotFound("no such attachment") from None
    return att


def as_json(att: Attachment) -> dict:
    return {"id": att.id, "name": att.name, "size": att.size, "content_type": att.content_type}
