"""Login throttling: repeated failures slow down, by user name and by address.

Counters are keyed by the *submitted* user name (whether or not such a user exists, so a
lock says nothing about which names are real) and by the client address. After LIMIT
failures a key is locked for an interval that doubles with each further failure. Counters
live in the database, so every web process sees the same ones (DESIGN.md: web processes keep
no state of their own). Plain functions of (keys, time): callable and testable without a request.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime

log = logging.getLogger("feedback.security")

# Per user name: the fifth failure locks. An office's staff often share one NAT address, so
# the per-address limit is higher: it stops a sweep across many names, not a colleague's typo.
LIMITS = {"user": 5, "ip": 20}
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=24)  # a quiet day wipes the slate


class LoginThrottle(db.Model):
    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)  # "user:<name>" | "ip:<address>"
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Keys:
    user: str
    ip: str

    @classmethod
    def of(cls, username: str, address: str | None) -> "Keys":
        # Names are compared case-insensitively so "Boss" and "boss" share one counter.
        return cls("user:" + username.strip().lower()[:200], "ip:" + (address or "unknown")[:45])

    def items(self):
        return (("user", self.user), ("ip", self.ip))


def lock_for(failures: int, limit: int) -> timedelta | None:
    """How long to lock after `failures` consecutive failures: none below the limit, then 30 s
    doubling per failure, at most an hour."""
    if failures < limit:
        return None
    return min(FIRST_LOCK * 2 ** (failures - limit), MAX_LOCK)


def _current(row: LoginThrottle | None, at: datetime) -> LoginThrottle | None:
    if row is None or at - row.last_failure_at > FORGET_AFTER:
        return None
    return row


def locked_until(keys: Keys, at: datetime) -> datetime | None:
    """The latest time any of the keys is locked until, if it is still locked at `at`."""
    rows = db.session.execute(
        sa.select(LoginThrottle).where(LoginThrottle.key.in_([keys.user, keys.ip]))
    ).scalars().all()
    until = [r.locked_until for r in rows if _current(r, at) and r.locked_until and r.locked_until > at]
    return max(until) if until else None


def record_failure(keys: Keys, at: datetime) -> datetime | None:
    """Count one failed attempt against both keys; returns the new lock end, if any. Logged."""
    lock_end = None
    counts = {}
    for kind, key in keys.items():
        row = db.session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=at)
            db.session.add(row)
        elif _current(row, at) is None:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = at
        lock = lock_for(row.failures, LIMITS[kind])
        if lock is not None:
            row.locked_until = at + lock
            lock_end = max(lock_end or row.locked_until, row.locked_until)
        counts[kind] = row.failures
    db.session.flush()
    log.warning("login failed: %s from %s (failures: user %d, address %d)%s",
                keys.user, keys.ip, counts["user"], counts["ip"],
                f"; locked until {lock_end.isoformat()}" if lock_end else "")
    return lock_end


def record_success(keys: Keys) -> None:
    """A correct password clears the user name's counter. The address keeps its count: one
    valid account must not reset a sweep across other names from the same address."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys.user))
