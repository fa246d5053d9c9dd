"""Ingest a batch of reports (DESIGN.md: Ingestion).

Idempotent on platform_id through the unique constraint (INSERT … ON CONFLICT DO NOTHING),
so two racing requests never make two rows. Valid items of a batch are stored in one
transaction with their events; a bad item is reported and never costs the good ones.
Routing runs here: what no rule matches lands in triage (state `new`).

States are not set here: each report's history — received, routed or a ledger's 承办单位,
its reply, close or invalid judgement — is a list of lifecycle steps that `lifecycle.fold`
checks against RULES and plays onto the row before the set-based insert, so a row and its
events are what `lifecycle.apply` would have made of the same steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
import json
from datetime import datetime, timezone
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from feedback.accounts.scope import Actor, ticket_scope, unit_in_scope
from feedback.calendar.service import current_calendar
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.directory.routing import Query, route_many
from feedback.extensions import db
from feedback.tickets import duplicates, handoffs, lifecycle
from feedback.tickets.lifecycle import Step
from feedback.tickets.models import Ticket, TicketEvent
from feedback.tickets.reports import FieldErrors, Report, parse_report

CHUNK = 500
TICKET_COLUMNS = (
    "platform_id", "state", "category", "category_label", "description", "url", "site_code", "site_name",
    "property_id", "reporter_name", "reporter_phone", "reporter_email", "submitted_at", "received_at",
    "platform_due_at", "platform_clock_days", "unit_id", "assigned_at", "unit_due_at", "unit_clock_days",
    "deadline_provisional", "extensions", "replied_at", "reply_text", "closed_at", "handling_workdays",
    "invalid_reason", "site_key", "created_at", "updated_at",
)
EVENT_COLUMNS = ("ticket_id", "at", "actor_id", "actor", "action", "from_state", "to_state", "unit_id", "data")
INVALID_REASON = "导入时标记为无效"  # a ledger's 状态 无效 gives no reason of its own


@dataclass
class Result:
    index: int
    platform_id: str | None
    status: str  # created | duplicate | error
    ticket_id: int | None = None
    errors: dict = field(default_factory=dict)
    # what a result shows of a ticket created here, when the insert returned it:
    # (state, unit code, unit name, unit_due_at, platform_due_at, deadline_provisional)
    shown: tuple | None = None


def parse_all(raws: list, *, naive_is_local: bool) -> tuple[list[tuple[int, Report]], list[Result]]:
    good, bad = [], []
    for index, raw in enumerate(raws):
        try:
            good.append((index, parse_report(raw, naive_is_local=naive_is_local)))
        except FieldErrors as exc:
            pid = raw.get("platform_id") if isinstance(raw, dict) else None
            bad.append(Result(index, str(pid) if pid not in (None, "") else None, "error", errors=exc.errors))
    return good, bad


def ingest(reports: list[tuple[int, Report]], actor: Actor, at: datetime, *, source: str,
           calendar: WorkCalendar | None = None) -> list[Result]:
    """Store the parsed reports; returns one Result per report (in the given order).

    Runs in the caller's transaction; the caller commits.
    """
    calendar = calendar or current_calendar()
    results: list[Result] = []
    for start in range(0, len(reports), CHUNK):
        results.extend(_ingest_chunk(reports[start:start + CHUNK], actor, at, source, calendar))
    return results


def _ingest_chunk(chunk, actor, at, source, calendar) -> list[Result]:
    session = db.session
    results: dict[int, Result] = {}
    first_seen: dict[str, int] = {}
    fresh: list[tuple[int, Report]] = []
    for index, report in chunk:
        if report.platform_id in first_seen:
            results[index] = Result(index, report.platform_id, "duplicate")
        else:
            first_seen[report.platform_id] = index
            fresh.append((index, report))

    units = _units_by_code(session, {r.unit_code for _, r in fresh if r.unit_code})
    for index, report in list(fresh):
        if report.unit_code and report.unit_code not in units:
            results[index] = Result(index, report.platform_id, "error", errors={
                "unit_code": f"no unit with code {report.unit_code!r}; load units first"})
        elif report.unit_code and not unit_in_scope(actor, units[report.unit_code]):
            # History is filed against units in the caller's subtree only, whatever the path
            # (API or file import): a county cannot change a city unit's figures.
            results[index] = Result(index, report.platform_id, "error", errors={
                "unit_code": f"{report.unit_code} 不在你管辖的单位范围内"})
    fresh = [(i, r) for i, r in fresh if i not in results]

    # a ledger's invalid message without a unit was judged in triage: it is not routed now
    to_route = [(i, r) for i, r in fresh if not r.unit_code and r.state != "invalid"]
    matches = route_many(session, [Query(r.site_code, r.url, r.site_name) for _, r in to_route])
    routed = {i: m for (i, _), m in zip(to_route, matches)}

    rows, plans = [], {}
    for index, report in fresh:
        try:
            row, plan = _ticket_row(report, routed.get(index), units, at, source, calendar)
        except lifecycle.StepRefused as exc:  # a history RULES forbid: the column that gave the step
            results[index] = Result(index, report.platform_id, "error",
                                    errors={exc.step.column or "state": exc.message})
            continue
        rows.append(row)
        plans[report.platform_id] = (index, report, plan)

    stored = _store(session, rows, plans, actor) if rows else {}
    _record_handoffs(stored, plans, actor)
    if stored:
        by_pid = {row["platform_id"]: row for row in rows}
        duplicates.flag_new([SimpleNamespace(**by_pid[pid], id=ticket_id) for pid, (ticket_id, _) in stored.items()],
                            at)
    for pid, (ticket_id, shown) in stored.items():
        index = plans[pid][0]
        results[index] = Result(index, pid, "created", ticket_id, shown=shown)

    for index, report in chunk:
        if index not in results:  # lost the race to an existing row: a duplicate, never a second ticket
            results[index] = Result(index, report.platform_id, "duplicate")
    # A duplicate names its ticket only when the caller may see it (CONTRACT.md: a duplicate of
    # a ticket the caller cannot see has its ticket fields null): ids are sequential, so an id
    # outside the scope would say which unit has which 留言编号.
    repeated = {r.platform_id for r in results.values() if r.status == "duplicate"}
    visible = dict(session.execute(
        sa.select(Ticket.platform_id, Ticket.id).where(Ticket.platform_id.in_(repeated), ticket_scope(actor))
    ).all()) if repeated else {}
    for result in results.values():
        if result.status == "duplicate":
            result.ticket_id = visible.get(result.platform_id)
    return [results[index] for index, _ in chunk]


def _store(session, rows: list[dict], plans: dict, actor) -> dict[str, tuple[int, tuple | None]]:
    """Insert the tickets that are new, with their events: {platform_id: (ticket id, shown)}.

    INSERT … ON CONFLICT (platform_id) DO NOTHING: under a race the unique constraint decides,
    never a second row; a platform_id already stored is simply not in the answer."""
    if session.get_bind().dialect.name == "postgresql":
        events = [dict(e, platform_id=pid) for pid, (_, _, plan) in plans.items()
                  for e in _events(None, plan, actor)]
        for n, event in enumerate(events):
            event["n"] = n  # the insert keeps this order, so event ids follow it
        params = {"tickets": _json_rows(rows, TICKET_COLUMNS),
                  "events": _json_rows(events, ("platform_id", "n", *EVENT_COLUMNS[1:]))}
        return {row.platform_id: (row.id, tuple(row)[2:]) for row in session.execute(_insert_with_events(), params)}
    inserted = {pid: (ticket_id, None) for ticket_id, pid in session.execute(
        InsertNew(Ticket.__table__).returning(Ticket.id, Ticket.platform_id), rows)}
    events = [e for pid, (ticket_id, _) in inserted.items() for e in _events(ticket_id, plans[pid][2], actor)]
    if events:
        session.execute(sa.insert(TicketEvent.__table__), events)
    return inserted


def _record_handoffs(stored: dict, plans: dict, actor: Actor) -> None:
    """Each created ticket with a unit gets its first hand-off (tickets/handoffs.py)."""
    routed = [tid for pid, (tid, _) in stored.items() if plans[pid][2]["routed"]]
    backfilled = [tid for pid, (tid, _) in stored.items() if plans[pid][1].unit_code]
    handoffs.record_initial(routed, Actor(None, "routing", "system"))
    handoffs.record_initial(backfilled, actor)


class InsertNew(sa.sql.dml.Insert):
    """INSERT … ON CONFLICT (platform_id) DO NOTHING, for executemany (SQLite).

    The dialects' insert().on_conflict_do_nothing() constructs opt out of SQLAlchemy's compiled
    cache, so the statement was compiled afresh for every request; this one is cached.
    """

    inherit_cache = True  # the class is part of the cache key; the clause below is fixed
    _post_values_clause = sa.text("ON CONFLICT (platform_id) DO NOTHING")


@cache
def _insert_with_events() -> sa.TextualSelect:
    """PostgreSQL: the new tickets, their events and what the results show, in one statement.

    The rows travel as two JSON documents (json_to_recordset): two parameters whatever the batch
    size — the multi-row VALUES form has 29 per ticket, thousands for a batch, which the driver
    re-parses and the server re-plans every time. Events join the inserted tickets on
    platform_id, so a ticket skipped by ON CONFLICT gets none, and keep their order.
    """
    tickets, history = db.metadata.tables["tickets"], db.metadata.tables["ticket_events"]
    event_columns = EVENT_COLUMNS[1:]  # ticket_id comes from the insert
    ticket_defs = ", ".join(f"{c} {_pg_type(tickets.c[c])}" for c in TICKET_COLUMNS)
    event_defs = ", ".join([f"platform_id {_pg_type(tickets.c.platform_id)}", "n integer"]
                           + [f"{c} {_pg_type(history.c[c])}" for c in event_columns])
    sql = f"""
        WITH new AS (
            INSERT INTO tickets ({", ".join(TICKET_COLUMNS)})
            SELECT {", ".join(TICKET_COLUMNS)} FROM json_to_recordset(CAST(:tickets AS json)) AS r({ticket_defs})
            ON CONFLICT (platform_id) DO NOTHING
            RETURNING id, platform_id, state, unit_id, unit_due_at, platform_due_at, deadline_provisional
        ), history AS (
            INSERT INTO ticket_events (ticket_id, {", ".join(event_columns)})
            SELECT new.id, {", ".join("e." + c for c in event_columns)}
            FROM json_to_recordset(CAST(:events AS json)) AS e({event_defs})
            JOIN new ON new.platform_id = e.platform_id
            ORDER BY e.n
        )
        SELECT new.id, new.platform_id, new.state, units.code, units.name, new.unit_due_at,
               new.platform_due_at, new.deadline_provisional
        FROM new LEFT JOIN units ON units.id = new.unit_id"""
    # positional result columns: SQLAlchemy caches their processing (by name it would not)
    return sa.text(sql).columns(
        sa.column("id", sa.Integer), sa.column("platform_id", sa.String), sa.column("state", sa.String),
        sa.column("code", sa.String), sa.column("name", sa.String), sa.column("unit_due_at", tickets.c.unit_due_at.type),
        sa.column("platform_due_at", tickets.c.platform_due_at.type), sa.column("deadline_provisional", sa.Boolean))


def _pg_type(column) -> str:
    return column.type.compile(dialect=postgresql.dialect())


def _json_rows(rows: list[dict], columns: tuple[str, ...]) -> str:
    """The rows as one JSON array, times as naive UTC (as UTCDateTime stores them)."""
    return json.dumps([{c: _json_value(row[c]) for c in columns} for row in rows])


def _json_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    return value


def _units_by_code(session, codes: set[str]) -> dict[str, Unit]:
    if not codes:
        return {}
    return {u.code: u for u in session.execute(sa.select(Unit).where(Unit.code.in_(codes))).scalars()}


def _ticket_row(report: Report, match, units, at, source, calendar):
    """The ticket row and its plan ({"events", "routed"}): the report's history folded through
    the lifecycle (StepRefused when RULES forbid a step)."""
    t = SimpleNamespace(  # no state: the fold's receive step gives it
        platform_id=report.platform_id, category=report.category,
        category_label=report.category_label, description=report.description, url=report.url,
        site_code=report.site_code, site_name=report.site_name, property_id=None,
        reporter_name=report.reporter_name, reporter_phone=report.reporter_phone,
        reporter_email=report.reporter_email, submitted_at=report.submitted_at,
        received_at=report.received_at, platform_due_at=None, platform_clock_days=None, unit_id=None,
        assigned_at=None, unit_due_at=None, unit_clock_days=None, deadline_provisional=False,
        extensions=0, extension_requested_days=None, extension_request_reason=None, replied_at=None,
        reply_text=None, closed_at=None, handling_workdays=None, invalid_reason=None, created_at=at, updated_at=at,
        site_key=duplicates.site_key(report.site_code, report.url, report.site_name),
    )
    routed = match is not None and not report.unit_code
    events = lifecycle.fold(t, _steps(report, match if routed else None, units, at, source), calendar)
    if routed:
        t.property_id = match.property_id
    return {name: getattr(t, name) for name in TICKET_COLUMNS}, {"events": events, "routed": routed}


def _steps(report: Report, match, units, at, source) -> list[Step]:
    """The report's history as lifecycle steps: received now; then routed (its clock from now,
    or from the forwarding time if that is later), or a ledger's 承办单位 with its reply and close;
    a ledger's 无效 last. Ledger steps are marked historical: people did them before the import."""
    steps = [Step("receive", at, {"source": source, "received_at": report.received_at.isoformat()})]
    if report.unit_code:
        unit = units[report.unit_code]
        steps.append(_historical("assign", report.assigned_at or report.received_at, {"unit": unit.code},
                                 "assigned_at" if report.assigned_at else "unit_code", unit_id=unit.id))
        if report.replied_at:
            steps.append(_historical("reply", report.replied_at, {"text": report.reply}, "replied_at"))
        if report.state == "closed":
            steps.append(_historical("approve", report.closed_at, {}, "closed_at"))
    elif match is not None:
        steps.append(Step("assign", max(at, report.received_at), {"rule_id": match.id,
                                                                   "rule": f"{match.kind}:{match.pattern}"},
                          unit_id=match.unit_id, actor="routing"))
    if report.state == "invalid":  # 办结时间: when it was judged invalid (CONTRACT.md: Import file)
        # without it, no earlier than the last step the row gives: never before its assignment
        judged = report.closed_at or max(t for t in (report.received_at, report.assigned_at, report.replied_at) if t)
        steps.append(_historical("invalidate", judged, {"reason": INVALID_REASON},
                                 "closed_at" if report.closed_at else "state"))
    return steps


def _historical(action: str, when, data: dict, column: str, unit_id: int | None = None) -> Step:
    return Step(action, when, dict(data, historical=True), unit_id=unit_id, column=column)


def _events(ticket_id, plan, actor: Actor) -> list[dict]:
    return [{"ticket_id": ticket_id, "at": e["at"], "actor_id": actor.user_id, "actor": e["actor"] or actor.label,
             "action": e["action"], "from_state": e["from_state"], "to_state": e["to_state"],
             "unit_id": e["unit_id"], "data": e["data"]} for e in plan["events"]]
