"""Checking a user name and password, throttled, without telling which names exist."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.accounts import throttle
from feedback.accounts.models import User
from feedback.extensions import db

MIN_PASSWORD = 8


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    locked_until: datetime | None = None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked against when the name is unknown, so both cases cost one scrypt derivation.
    return generate_password_hash("not a password", method="scrypt")


def find_user(username: str) -> User | None:
    name = username.strip()
    if not name:
        return None
    return db.session.execute(
        sa.select(User).where(sa.func.lower(User.username) == name.lower())
    ).scalar_one_or_none()


def authenticate(username: str, password: str, address: str | None, at: datetime) -> Outcome:
    """The user when the password is right, the account active and no lock applies.

    Unknown name, wrong password and inactive account look the same from outside: the same
    outcome, one password-hash check each, and a failure counted against the submitted name.
    The caller commits (the counters must be stored even when the login fails).
    """
    keys = throttle.Keys.of(username, address)
    until = throttle.locked_until(keys, at)
    if until is not None:
        throttle.log.warning("login refused while locked: %s from %s", keys.user, keys.ip)
        return Outcome(locked_until=until)
    user = find_user(username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = user.check_password(password) and user.active
    if not ok:
        if user is not None:
            user.failed_logins = (user.failed_logins or 0) + 1
            user.last_failed_login_at = at
        return Outcome(locked_until=throttle.record_failure(keys, at))
    user.failed_logins = 0
    throttle.record_success(keys)
    return Outcome(user=user)


def session_token(user: User) -> str:
    """What a session remembers of its user: a fingerprint of the stored hash and the
    session version. A new password or a sign-out changes it, so every session (and every
    captured cookie) issued before then is refused by the user loader."""
    material = f"{user.password_hash or ''}:{user.session_version or 0}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


password_version = session_token  # the name test helpers sign in with
