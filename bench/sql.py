"""The baselines: the bare SQL each workload needs, run without the product around it.

- raw INSERTs of the same ticket and event rows ingest writes;
- the one GROUP BY aggregate the closure figures need (DESIGN.md: Figures);
- the inbox's count and first page;
- the export's aggregate and overdue list written with openpyxl's write-only mode;
- the sweep's two set-based finds, recorded into a table.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from bench.tickets import EVENT_COLUMNS, TICKET_COLUMNS
from feedback.figures import rules
from feedback.timeutil import UTC, start_of_local_day



def _rule_text(expression) -> str:
    """A rule of feedback/figures/rules.py as bare SQL text over the tickets table's columns."""
    return str(expression.compile(compile_kwargs={"literal_binds": True}))


# the columns the rules read, by bare name; :as_of stays a parameter of the statements below
_T = SimpleNamespace(**{name: sa.column(name) for name in ("state", "unit_due_at", "replied_at")})
OPEN = "('assigned', 'in_progress', 'replied')"
OVERDUE = _rule_text(rules.overdue_now_sql(sa.literal_column(":as_of"), _T))  # 超期未办结 now
ON_TIME = _rule_text(rules.replied_by_sql(_T.replied_at, _T.unit_due_at))  # 按期
COHORT = ("received_at >= :start AND received_at < :end AND received_at <= :as_of "
          "AND state <> 'invalid' AND unit_id IS NOT NULL")

AGGREGATE_PG = f"""
SELECT unit_id,
       count(*) AS received,
       count(*) FILTER (WHERE state = 'closed' AND closed_at <= :as_of) AS closed,
       count(*) FILTER (WHERE state = 'closed' AND closed_at <= :as_of AND {ON_TIME}) AS on_time,
       count(*) FILTER (WHERE {OVERDUE}) AS overdue_open,
       avg(extract(epoch FROM replied_at - assigned_at) / 3600) FILTER (WHERE state = 'closed') AS avg_hours,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - assigned_at) / 3600)
           FILTER (WHERE state = 'closed') AS median_hours,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - assigned_at) / 3600)
           FILTER (WHERE state = 'closed') AS p90_hours,
       avg(handling_workdays) FILTER (WHERE state = 'closed') AS avg_workdays
FROM tickets WHERE {COHORT}
GROUP BY unit_id
"""
# SQLite has no percentile_cont: the baseline there is the sums and means only.
AGGREGATE_SQLITE = f"""
SELECT unit_id,
       count(*) AS received,
       sum(CASE WHEN state = 'closed' AND closed_at <= :as_of THEN 1 ELSE 0 END) AS closed,
       sum(CASE WHEN state = 'closed' AND closed_at <= :as_of AND {ON_TIME} THEN 1 ELSE 0 END),
       sum(CASE WHEN {OVERDUE} THEN 1 ELSE 0 END) AS overdue_open,
       avg(CASE WHEN state = 'closed' THEN (julianday(replied_at) - julianday(assigned_at)) * 24 END),
       NULL, NULL,
       avg(CASE WHEN state = 'closed' THEN handling_workdays END)
FROM tickets WHERE {COHORT}
GROUP BY unit_id
"""
LATE_OR_OVERDUE = f"""
SELECT t.platform_id, u.name, t.assigned_at, t.unit_due_at, t.replied_at, t.state
FROM tickets t JOIN units u ON u.id = t.unit_id
WHERE t.id IN (SELECT id FROM tickets WHERE {COHORT}
               AND ((state = 'closed' AND NOT ({ON_TIME})) OR ({OVERDUE})))
ORDER BY t.unit_id, t.received_at
"""
INBOX_COUNT = f"SELECT count(*) FROM tickets WHERE unit_id = :unit AND state IN {OPEN}"
INBOX_PAGE = f"""
SELECT id, platform_id, state, category, description, url, received_at, unit_due_at, replied_at
FROM tickets WHERE unit_id = :unit AND state IN {OPEN}
ORDER BY CASE WHEN state = 'replied' THEN 1 ELSE 0 END, coalesce(unit_due_at, platform_due_at), id LIMIT 50
"""  # most urgent first, replied ones (waiting on the office) last


def db_time(engine: sa.Engine, t: datetime):
    """A time as a parameter compared with stored ones: naive UTC; on SQLite the exact text
    SQLAlchemy stores, since SQLite compares the text."""
    naive = t.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name == "sqlite" else naive


def cohort_params(engine: sa.Engine, month: tuple[date, date], as_of: datetime) -> dict:
    return {"start": db_time(engine, start_of_local_day(month[0])),
            "end": db_time(engine, start_of_local_day(month[1] + timedelta(days=1))),
            "as_of": db_time(engine, as_of)}


def aggregate_sql(engine: sa.Engine) -> str:
    return AGGREGATE_PG if engine.dialect.name == "postgresql" else AGGREGATE_SQLITE


def aggregate_rows(conn, engine: sa.Engine, month, as_of) -> list[tuple]:
    return conn.execute(sa.text(aggregate_sql(engine)), cohort_params(engine, month, as_of)).all()


def aggregate_totals(engine: sa.Engine, month, as_of) -> dict:
    with engine.connect() as conn:
        rows = aggregate_rows(conn, engine, month, as_of)
    return {name: sum(r[i] or 0 for r in rows)
            for i, name in ((1, "received"), (2, "closed"), (3, "on_time"), (4, "overdue_open"))}


def time_aggregate(engine: sa.Engine, month, as_of, warmup: int, n: int) -> list[float]:
    with engine.connect() as conn:
        return _timed(lambda: aggregate_rows(conn, engine, month, as_of), warmup, n)


def time_inbox(engine: sa.Engine, unit_id: int, warmup: int, n: int) -> list[float]:
    with engine.connect() as conn:
        def run():
            conn.execute(sa.text(INBOX_COUNT), {"unit": unit_id}).scalar()
            conn.execute(sa.text(INBOX_PAGE), {"unit": unit_id}).all()
        return _timed(run, warmup, n)


def _timed(fn: Callable[[], object], warmup: int, n: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


# --- raw INSERTs --------------------------------------------------------------------------------

def raw_inserter(engine: sa.Engine) -> Callable[[list], None]:
    """A function inserting batches of (ticket values, [event values]) with plain INSERTs on its
    own DB-API connection, one transaction per batch."""
    columns = TICKET_COLUMNS[1:]
    ticket_cols = ", ".join(columns)
    event_cols = ", ".join(EVENT_COLUMNS[1:])
    if engine.dialect.name == "postgresql":
        import psycopg

        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        tickets_sql = (f"INSERT INTO tickets ({ticket_cols}) VALUES ({', '.join(['%s'] * len(columns))}) "
                       "RETURNING id")
        events_sql = f"INSERT INTO ticket_events ({event_cols}) VALUES ({', '.join(['%s'] * 9)})"

        def insert_pg(batches):
            # executemany: one prepared statement, every row sent in one pipeline (psycopg 3)
            with psycopg.connect(dsn) as conn, conn.cursor() as cur:
                for rows in batches:
                    cur.executemany(tickets_sql, [values for values, _ in rows], returning=True)
                    ids = [cur.fetchone()[0]]
                    while cur.nextset():
                        ids.append(cur.fetchone()[0])
                    cur.executemany(events_sql, [(tid, *e) for tid, (_, events) in zip(ids, rows) for e in events])
                    conn.commit()
        return insert_pg

    path = engine.url.database
    ticket_sql = f"INSERT INTO tickets ({ticket_cols}) VALUES ({', '.join('?' * len(columns))})"
    events_sql = f"INSERT INTO ticket_events ({event_cols}) VALUES ({', '.join('?' * 9)})"

    def insert_sqlite(batches):
        conn = sqlite3.connect(path, timeout=60)
        try:
            for rows in batches:
                cur = conn.cursor()
                for values, events in rows:
                    cur.execute(ticket_sql, values)
                    cur.executemany(events_sql, [(cur.lastrowid, *e) for e in events])
                conn.commit()
        finally:
            conn.close()
    return insert_sqlite


# --- child-process baselines -------------------------------------------------------------------

def export_baseline(engine: sa.Engine, month, as_of, path: str) -> dict:
    """The monthly export's two sheets from the bare queries, with openpyxl's write-only mode."""
    import openpyxl

    with engine.connect() as conn:
        figures = {r[0]: r for r in aggregate_rows(conn, engine, month, as_of)}
        units = conn.execute(sa.text("SELECT u.id, u.code, u.name, p.name FROM units u "
                                     "LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.path")).all()
        detail = conn.execute(sa.text(LATE_OR_OVERDUE), cohort_params(engine, month, as_of)).all()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("按期办结率")
    sheet.append(["序号", "单位编码", "单位", "上级单位", "收到留言数", "办结数", "按期办结数", "超期办结数",
                  "超期未办结数", "办理中", "按期办结率", "平均办理时长(小时)", "平均办理时长(工作日)"])
    for n, (uid, code, name, parent) in enumerate(units, start=1):
        f = figures.get(uid)
        received, closed, on_time, overdue = (f[1], f[2] or 0, f[3] or 0, f[4] or 0) if f else (0, 0, 0, 0)
        rate = on_time / (closed + overdue) if closed + overdue else None
        sheet.append([n, code, name, parent, received, closed, on_time, closed - on_time, overdue,
                      received - closed - overdue, rate, float(f[5]) if f and f[5] is not None else None,
                      float(f[8]) if f and f[8] is not None else None])
    late = book.create_sheet("超期明细")
    late.append(["留言编号", "单位", "转办时间", "办理期限", "答复时间", "状态"])
    for row in detail:
        late.append([str(v) if v is not None else None for v in row])
    book.save(path)
    return {"units": len(units), "late_or_overdue": len(detail)}


def sweep_baseline(engine: sa.Engine, at: datetime) -> dict:
    """Find the tickets due within the next working day and the overdue ones, each with one
    set-based query, and record one notice row each."""
    from feedback.calendar.workdays import DEFAULT
    from feedback.timeutil import end_of_local_day, local_date

    next_day, _ = DEFAULT.nth_workday_after(local_date(at), 1)
    params = {"as_of": db_time(engine, at), "window_end": db_time(engine, end_of_local_day(next_day))}
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE bench_notices (ticket_id integer, unit_id integer, "
                             "kind varchar(20), due_at timestamp)"))
        reminders = conn.execute(sa.text(
            "INSERT INTO bench_notices SELECT id, unit_id, 'reminder', unit_due_at FROM tickets "
            "WHERE state IN ('assigned', 'in_progress') AND unit_due_at >= :as_of AND unit_due_at <= :window_end"),
            params).rowcount
        escalations = conn.execute(sa.text(
            f"INSERT INTO bench_notices SELECT id, unit_id, 'escalation', unit_due_at FROM tickets WHERE {OVERDUE}"),
            params).rowcount
    return {"reminders": reminders, "escalations": escalations}
