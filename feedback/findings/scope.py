"""Which findings a caller sees: the units of their scope (accounts/scope.py), nothing else.
A finding outside it does not exist for them (404)."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.accounts.scope import Actor, unit_ids_clause
from feedback.directory.models import Unit
from feedback.errors import NotFound
from feedback.extensions import db
from feedback.findings.models import Finding


def finding_scope(actor: Actor):
    if actor.role == "system":
        return sa.true()
    if actor.role == "unit_staff":
        return Finding.unit_id == actor.unit_id
    # each finding's unit looked up by its key: an IN (SELECT …) first lists every unit of the
    # subtree (a province's thousands, by LIKE) on every page that shows the menu's count
    return sa.exists().where(Unit.id == Finding.unit_id, unit_ids_clause(actor))


def findings_query(actor: Actor):
    return sa.select(Finding).where(finding_scope(actor))


def get_finding(actor: Actor, finding_id: int, *, for_update: bool = False) -> Finding:
    query = findings_query(actor).where(Finding.id == finding_id)
    if for_update:
        query = query.with_for_update(of=Finding)
    finding = db.session.execute(query).scalar_one_or_none()
    if finding is None:
        raise NotFound("no such finding")
    return finding
