"""Bearer tokens: `Authorization: Bearer TOKEN`, stored hashed (CONTRACT.md: HTTP API v1)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import g, request

from feedback.accounts.models import ApiToken, User, hash_token
from feedback.accounts.scope import Actor
from feedback.api import bp
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
    row = db.session.execute(
        sa.select(ApiToken, User)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or not row.User.active:
        raise Unauthorized("unknown or revoked token")
    api_token, user = row
    g.actor = Actor.of(user)
    g.user = user
    t = now()
    # Touch last_used_at at most once a minute: not a write on every request.
    if api_token.last_used_at is None or t - api_token.last_used_at > timedelta(minutes=1):
        api_token.last_used_at = t
        db.session.commit()
