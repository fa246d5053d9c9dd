"""API tokens of a user: listing and revoking (CONTRACT.md: feedback token list/revoke).

A token's secret is shown once, at creation; afterwards only its id, label, prefix and
times are ever shown. Revoking is immediate: api/auth.py refuses a revoked token on the next
request. A new password revokes every token of the user (set_new_password): a password is
changed because it may have leaked, and a token made while it had leaked is as suspect.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from feedback.accounts.models import ApiToken, User
from feedback.extensions import db


def tokens_of(user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they say when)."""
    return db.session.execute(
        sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    ).scalars().all()


def revoke(token_id: int, at: datetime, *, user_id: int | None = None) -> ApiToken | None:
    """Revoke one token (only the given user's, when user_id is given); None when there is no
    such token. Revoking a revoked token keeps its first revocation time. The caller commits."""
    query = sa.select(ApiToken).where(ApiToken.id == token_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    token = db.session.execute(query).scalar_one_or_none()
    if token is not None and token.revoked_at is None:
        token.revoked_at = at
    return token


def revoke_all(user_id: int, at: datetime) -> int:
    """Revoke every live token of the user; returns how many. The caller commits."""
    return db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=at)
    ).rowcount


def set_new_password(user: User, password: str, at: datetime) -> int:
    """A new password: every session of the user ends (User.set_password) and every API token
    is revoked. Returns the number of tokens revoked. The caller commits."""
    user.set_password(password)
    user.failed_logins = 0
    return revoke_all(user.id, at)
