"""A finding's files: uploaded to the finding, then carried by the 整改 report that names them,
kept in the attachments store (feedback/attachments/, shared with tickets) with the finding's id.
Only callers who see the finding see its files (404 otherwise: findings/scope.py)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.attachments import service, store
from feedback.attachments.models import Attachment
from feedback.errors import Forbidden, InputError, NotFound
from feedback.extensions import db

MAX_PER_REPORT = service.MAX_PER_EVENT


def available() -> bool:
    return True


def listed(finding) -> list[dict]:
    rows = db.session.execute(sa.select(Attachment).where(Attachment.finding_id == finding.id)
                              .order_by(Attachment.id)).scalars()
    return [service.as_json(a) for a in rows]


def upload(finding, file, actor: Actor, at: datetime) -> dict:
    """One file for a finding the caller sees (the caller loaded it through scope)."""
    if actor.role not in ("unit_staff", "supervisor", "system"):
        raise Forbidden(f"role {actor.role} may not upload attachments")
    if file is None:
        raise InputError({"file": "send the file as multipart/form-data in the field `file`"})
    att = store.save(file.stream, file.filename, actor=actor, at=at)
    att.finding_id = finding.id
    db.session.flush()
    return service.as_json(att)


def attach(finding, ids: list[int], actor: Actor) -> list[Attachment]:
    """The uploads a report names: this finding's, on no report yet; InputError otherwise."""
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_PER_REPORT:
        raise InputError({"attachments": f"at most {MAX_PER_REPORT} attachments"})
    rows = {a.id: a for a in db.session.execute(
        sa.select(Attachment).where(Attachment.id.in_(ids), Attachment.finding_id == finding.id)).scalars()}
    for ref in ids:
        if ref not in rows:
            raise InputError({"attachments": f"no attachment {ref} uploaded to this finding"})
        if rows[ref].finding_event_id is not None:
            raise InputError({"attachments": f"attachment {ref} is already on another report"})
    return [rows[i] for i in ids]


def get(finding, attachment_id: int) -> Attachment:
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.finding_id != finding.id:
        raise NotFound("no such attachment")
    return att
