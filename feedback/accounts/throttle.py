"""Login throttling: repeated failures slow down, by name and source, by source, and by name.

Three counters, each keyed by what was *submitted* (whether or not such a user exists, so a
lock says nothing about which names are real):

- name and source ("pair"): the fifth failure of one name from one address locks that pair.
  This is the lock a typo or a guessing attacker meets first; it costs the real user nothing
  when they sign in from anywhere else.
- source ("ip"): twenty failures from one address, whatever the names, lock the address; it
  stops a sweep across many names (an office behind one NAT gets the higher limit).
- name ("user"): a ceiling of fifty failures of one name from all sources together locks the
  name, but only for sources that have failed on it. A source with no failure for the name
  still gets its try, so the right password gets in from the user's own desk; each new source
  the attacker brings gets one guess before the lock reaches it too.

So a targeted lock-out costs the attacker more than the user: locking a name from one address
locks only that address; guessing past the ceiling costs a fresh address per guess. After the
limit a key is locked for an interval that doubles with each further failure. Counters live
in the database, so every web process sees the same ones (DESIGN.md: web processes keep no
state of their own). Plain functions of (keys, time): callable and testable without a request.
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

LIMITS = {"pair": 5, "ip": 20, "user": 50}
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=24)  # a quiet day wipes the slate


class LoginThrottle(db.Model):
    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)  # "user:<name>" | "ip:<address>" | "pair:<name>@<address>"
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Keys:
    user: str
    ip: str
    pair: str

    @classmethod
    def of(cls, username: str, address: str | None) -> "Keys":
        # Names are compared case-insensitively so "Boss" and "boss" share one counter.
        name, source = username.strip().lower(), (address or "unknown")[:45]
        return cls("user:" + name[:200], "ip:" + source, f"pair:{name[:190]}@{source}")

    def items(self):
        return (("pair", self.pair), ("ip", self.ip), ("user", self.user))


def lock_for(failures: int, limit: int) -> timedelta | None:
    """How long to lock after `failures` consecutive failures: none below the limit, then 30 s
    doubling per failure, at most an hour."""
    if failures < limit:
        return None
    return min(FIRST_LOCK * 2 ** min(failures - limit, 16), MAX_LOCK)


def _current(row: LoginThrottle | None, at: datetime) -> LoginThrottle | None:
    if row is None or at - row.last_failure_at > FORGET_AFTER:
        return None
    return row


def _locks(rows: dict[str, LoginThrottle | None], at: datetime) -> list[datetime]:
    """The lock ends in force at `at`: the pair's, the source's, and the name's, the last only
    for a source that has failed on this name."""
    def live(kind):
        row = _current(rows.get(kind), at)
        return row.locked_until if row and row.locked_until and row.locked_until > at else None

    ends = [live("pair"), live("ip")]
    pair = _current(rows.get("pair"), at)
    if pair is not None and pair.failures > 0:
        ends.append(live("user"))
    return [end for end in ends if end is not None]


def _rows(keys: Keys) -> dict[str, LoginThrottle | None]:
    found = {r.key: r for r in db.session.execute(
        sa.select(LoginThrottle).where(LoginThrottle.key.in_([key for _, key in keys.items()]))).scalars()}
    return {kind: found.get(key) for kind, key in keys.items()}


def locked_until(keys: Keys, at: datetime) -> datetime | None:
    """The latest time a lock that applies to this name from this source lasts, if any."""
    ends = _locks(_rows(keys), at)
    return max(ends) if ends else None


def record_failure(keys: Keys, at: datetime) -> datetime | None:
    """Count one failed attempt against every key; returns the lock end now in force for this
    name from this source, if any. Logged."""
    rows = _rows(keys)
    for kind, key in keys.items():
        row = rows[kind]
        if row is None:
            row = rows[kind] = LoginThrottle(key=key, failures=0, last_failure_at=at)
            db.session.add(row)
        elif _current(row, at) is None:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = at
        lock = lock_for(row.failures, LIMITS[kind])
        if lock is not None:
            row.locked_until = at + lock
    db.session.flush()
    ends = _locks(rows, at)
    lock_end = max(ends) if ends else None
    log.warning("login failed: %s from %s (failures: user %d, address %d, both %d)%s",
                keys.user, keys.ip, rows["user"].failures, rows["ip"].failures, rows["pair"].failures,
                f"; locked until {lock_end.isoformat()}" if lock_end else "")
    return lock_end


def record_success(keys: Keys) -> None:
    """A correct password clears the name's counters. The address keeps its count: one valid
    account must not reset a sweep across other names from the same address."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_([keys.user, keys.pair])))
