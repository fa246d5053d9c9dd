"""Reading and saving the top office's settings (DESIGN.md: settings apply from the time they
are saved; a past window keeps the rules in force then).

get(key, at) is the value in force at `at`: the latest change of the key saved at or before it,
else the registry's default. The change history is small and read whole once per database
transaction (kept in the session's info, dropped at commit or rollback), so an ingest batch
that starts a thousand clocks asks the database once, and a change saved by another process is
seen by the next transaction.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from feedback.extensions import db
from feedback.settings.registry import SETTINGS, SettingError, default, setting
from feedback.settings.models import SettingChange
from feedback.timeutil import now as clock_now

_CACHE = "feedback.settings.history"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_CACHE, None)


def _history() -> dict[str, tuple[list[datetime], list[str]]]:
    """key → (times, canonical texts), oldest first."""
    session = db.session()
    cached = session.info.get(_CACHE)
    if cached is None:
        cached = {}
        rows = session.execute(sa.select(SettingChange.key, SettingChange.at, SettingChange.value)
                               .order_by(SettingChange.at, SettingChange.id))
        for key, at, value in rows:
            times, values = cached.setdefault(key, ([], []))
            times.append(at)
            values.append(value)
        session.info[_CACHE] = cached
    return cached


def get(key: str, at: datetime | None = None):
    """The typed value of `key` in force at `at` (default now). Outside an app (plain domain
    code and its tests) the registry's defaults."""
    s = setting(key)
    if not has_app_context():
        return default(key)
    at = at or clock_now()
    times, values = _history().get(key, ((), ()))
    i = bisect_right(times, at)
    if i == 0:
        return default(key)
    return s.parse(values[i - 1])


def snapshot(at: datetime | None = None) -> dict:
    """Every setting's value in force at `at`."""
    return {key: get(key, at) for key in SETTINGS}


def shown(key: str, value) -> str:
    return setting(key).shown(value)


def set_value(key: str, raw, actor, now: datetime | None = None) -> SettingChange | None:
    """Save a new value, in force from `now`; returns the audit row (None when the value is the one
    already in force: nothing to record). The caller commits. Raises SettingError naming the key
    and what to type."""
    s = setting(key)
    value = s.parse(raw)
    now = now or clock_now()
    before = get(key, now)
    if s.text(value) == s.text(before):
        return None
    change = SettingChange(key=key, value=s.text(value), previous=s.text(before), at=now,
                           user_id=getattr(actor, "user_id", None),
                           actor=getattr(actor, "label", None) or str(actor))
    db.session.add(change)
    db.session.flush()
    db.session.info.pop(_CACHE, None)
    return change


@dataclass
class Entry:
    """One audit line: who changed what, when, from which value to which."""

    at: datetime
    actor: str
    key: str
    previous: str
    value: str


def audit(limit: int = 50, offset: int = 0) -> tuple[list[Entry], int]:
    """The latest changes first, with the total count (for paging)."""
    total = db.session.execute(sa.select(sa.func.count()).select_from(SettingChange)).scalar_one()
    rows = db.session.execute(sa.select(SettingChange).order_by(SettingChange.at.desc(), SettingChange.id.desc())
                              .limit(limit).offset(offset)).scalars()
    return [Entry(r.at, r.actor, r.key, _shown_text(r.key, r.previous), _shown_text(r.key, r.value))
            for r in rows], total


def _shown_text(key: str, text: str) -> str:
    s = SETTINGS.get(key)
    return s.shown(s.parse(text)) if s is not None else text  # a key a later version retired


__all__ = ["get", "set_value", "snapshot", "audit", "shown", "SettingError"]
