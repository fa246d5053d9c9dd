"""Figures kept between requests: served again only when a fresh computation would give the same.

A province's dashboard and /api/v1/metrics/closure compute from ~30,000 tickets a month
(~250 ms at 1,000,000 tickets on the bench machine), and supervisors open them again and again
while the data hardly moves (a province receives a few reports an hour). Each process keeps
its last results (KEEP_SIZE) and answers from one when both hold:

1. Nothing the figures read has changed. Every write to tickets, ticket_events, units,
   calendar_days or settled_month_counts records its transaction id in figures_changes, in the
   writer's own transaction (a statement trigger, migration 0015). A result keeps the snapshot
   taken before it was computed (pg_current_snapshot); it is stale exactly when a committed row
   of figures_changes is not visible in that snapshot. The check is one indexed statement.
   Statements of the computation that ran on later snapshots can only have seen more commits,
   and those make the check fail: a result mixing snapshots is never served.
2. Time alone does not change it. The figures as of T depend on T only through comparisons with
   the data's own instants (received, assigned, replied, closed, the deadlines, the events
   decided after T). `until` is the earliest such instant at or after T0 among the tickets that
   can matter: every ticket's received_at in the period and closed_at, and the deadlines and
   times of the period's tickets not closed; any reject or extension decision at or after T0
   pins the result to T0 itself. For T0 <= T < until (or T = T0) every comparison gives what it
   gave at T0. Deadlines fall at 23:59:59 local, so a result made now lasts at most until the
   next deadline or the next write.

Not kept: a transaction that has written (its own uncommitted rows are not in any snapshot
check), SQLite and PostgreSQL before 13 (no xid8), a database without the 0015 tables.

figures_changes grows by one row per writing transaction; prune() (from the periodic sweep)
deletes the rows every current snapshot sees and raises figures_prune.horizon to match, so a
result older than the horizon is not trusted either.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from feedback.extensions import db

# PostgreSQL-only tables of migration 0015, outside the models: SQL in this module is their
# only user (and autogenerate and the migration test leave them be)
DATABASE_ONLY_TABLES = ("figures_changes", "figures_prune")
KEEP_SIZE = 16  # results a process keeps (a province table of 5,000 rows holds ~3-5 MB)
PRUNE_ABOVE = 10_000  # rows of figures_changes before the sweep prunes

_SNAPSHOT = sa.text(
    "SELECT CAST(pg_current_snapshot() AS text), pg_current_xact_id_if_assigned() IS NOT NULL")
_CHECK = sa.text(
    "SELECT CAST(pg_current_snapshot() AS text), pg_current_xact_id_if_assigned() IS NOT NULL, "
    "(SELECT CAST(horizon AS text) FROM figures_prune WHERE id = 1), "
    "EXISTS (SELECT 1 FROM figures_changes WHERE xid >= CAST(:xmin AS xid8) "
    "AND NOT pg_visible_in_snapshot(xid, CAST(:snapshot AS pg_snapshot)))")
_UNTIL = sa.text("""
SELECT LEAST(
    (SELECT min(received_at) FROM tickets
      WHERE received_at >= :t AND received_at >= :start AND received_at < :end),
    (SELECT min(closed_at) FROM tickets WHERE closed_at >= :t),
    (SELECT min(LEAST(CASE WHEN unit_due_at >= :t THEN unit_due_at END,
                      CASE WHEN platform_due_at >= :t THEN platform_due_at END,
                      CASE WHEN assigned_at >= :t THEN assigned_at END,
                      CASE WHEN replied_at >= :t THEN replied_at END))
       FROM tickets WHERE closed_at IS NULL AND state <> 'invalid'
        AND received_at >= :start AND received_at < :end),
    CASE WHEN EXISTS (SELECT 1 FROM ticket_events
                       WHERE action IN ('reject', 'decide-extension') AND at >= :t) THEN CAST(:t AS timestamptz) END
)""")


@dataclass(frozen=True)
class _Kept:
    snapshot: str
    xmin: int
    as_of: datetime
    until: datetime | None  # None: no instant ahead changes it
    value: Any

    def holds_at(self, as_of: datetime) -> bool:
        """No instant of the data lies between this result's as_of and `as_of`."""
        return as_of == self.as_of or self.as_of <= as_of and (self.until is None or as_of < self.until)


_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()
_usable: dict[str, bool] = {}  # database URL → has the 0015 tables


def _xmin(snapshot: str) -> int:
    return int(snapshot.split(":", 1)[0])


def _has_log(connection) -> bool:
    """The database has migration 0015's tables (PostgreSQL 13+)."""
    bind = connection.engine
    return (bind.dialect.name == "postgresql" and (bind.dialect.server_version_info or (0,)) >= (13,)
            and connection.execute(sa.text("SELECT to_regclass('figures_changes') IS NOT NULL")).scalar())


def _connection() -> tuple[Any, str] | tuple[None, None]:
    """The session's connection and its database URL when keeping is possible here."""
    if not current_app.config.get("FIGURES_KEEP", True):
        return None, None
    connection = db.session.connection()
    url = str(connection.engine.url)
    if url not in _usable:
        _usable[url] = bool(_has_log(connection))
    return (connection, url) if _usable[url] else (None, None)


def kept(key: tuple[Hashable, ...], as_of: datetime, start: datetime, end: datetime,
         compute: Callable[[], Any]) -> Any:
    """compute()'s value for `key` as of `as_of`, or the value kept for it when that is provably
    the same (see the module docstring). [start, end): the received_at range the figures count.
    The value is shared between callers: do not change it."""
    connection, url = _connection()
    if connection is None:
        return compute()
    full_key = (url, *key)
    with _lock:
        entry = _kept.get(full_key)
    if entry is None:
        snapshot, wrote = connection.execute(_SNAPSHOT).one()
    else:
        snapshot, wrote, horizon, changed = connection.execute(
            _CHECK, {"xmin": str(entry.xmin), "snapshot": entry.snapshot}).one()
        if not wrote and not changed and horizon is not None and entry.xmin >= int(horizon) and entry.holds_at(as_of):
            with _lock:
                _kept.move_to_end(full_key)
            return entry.value
    if wrote:  # this transaction's own rows: not for anyone else
        return compute()
    value = compute()
    until = connection.execute(_UNTIL, {"t": as_of, "start": start, "end": end}).scalar()
    with _lock:
        _kept[full_key] = _Kept(snapshot, _xmin(snapshot), as_of, until, value)
        _kept.move_to_end(full_key)
        while len(_kept) > KEEP_SIZE:
            _kept.popitem(last=False)
    return value


def forget() -> None:
    """Drop every kept result of this process (tests)."""
    with _lock:
        _kept.clear()


def prune(connection, *, above: int = PRUNE_ABOVE) -> int:
    """Delete the rows of figures_changes that every snapshot from now on sees, when there are
    more than `above`; returns how many. The horizon rises in the same transaction, so a kept
    result from before it (which might have needed a deleted row) is no longer trusted."""
    if not _has_log(connection):
        return 0
    count = connection.execute(sa.text(
        "SELECT count(*) FROM (SELECT 1 FROM figures_changes LIMIT :n) AS first_rows"), {"n": above + 1}).scalar()
    if count <= above:
        return 0
    connection.execute(sa.text(
        "UPDATE figures_prune SET horizon = pg_snapshot_xmin(pg_current_snapshot()) WHERE id = 1"))
    return connection.execute(sa.text(
        "DELETE FROM figures_changes WHERE xid < (SELECT horizon FROM figures_prune WHERE id = 1)")).rowcount


__all__ = ["kept", "forget", "prune"]
