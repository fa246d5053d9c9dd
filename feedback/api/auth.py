"""Bearer tokens: `Authorization: Bearer TOKEN`, stored hashed (CONTRACT.md: HTTP API v1)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import g, request
from werkzeug.local import LocalProxy

from feedback.accounts.models import ApiToken, User, hash_token
from feedback.accounts.scope import Actor
from feedback.calendar.service import version_column as calendar_version_column
from feedback.api import bp
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.timeutil import now


class Unauthorized(Exception):
    pass


PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer TOKEN")
    row = db.session.execute(TOKEN_QUERY, {"token_hash": hash_token(token.strip())}).first()
    if row is None or not row.active:
        raise Unauthorized("unknown or revoked token")
    # Plain columns, no ORM objects: this runs before every API request.
    g.actor = Actor(row.user_id, row.display_name or row.username, row.role, row.unit_id, row.unit_path)
    g.user = LocalProxy(lambda: db.session.get(User, row.user_id))  # loaded only if someone asks
    g.calendar_version = row.calendar_version  # for current_calendar(version=...)
    t = now()
    # Touch last_used_at at most once a minute: not a write on every request.
    if row.last_used_at is None or t - row.last_used_at > timedelta(minutes=1):
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=t))
        db.session.commit()


TOKEN_QUERY = (
    sa.select(ApiToken.id, ApiToken.last_used_at, User.id.label("user_id"), User.username, User.display_name,
              User.role, User.unit_id, User.active, Unit.path.label("unit_path"),
              # the calendar's token in the same round trip: an ingest needs no calendar query
              calendar_version_column().label("calendar_version"))
    .join(User, ApiToken.user_id == User.id)
    .join(Unit, User.unit_id == Unit.id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)
