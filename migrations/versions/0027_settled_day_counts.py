"""settled_day_counts: the whole tree's settled tickets per day, kept by triggers

The dashboard's 本级办 row is the top office's own figure on the platform clock: every valid
ticket of the period, 未分派 included. Counted from the tickets it read the whole month; this
table holds its settled part as settled_month_counts (0010, 0013) holds the units' own clocks,
so the row reads a few dozen rows per month plus the tickets still open. The same rows carry
the units' own-clock closed and on-time counts of the whole tree, so that the 12-month chart
reads a few hundred rows instead of one per unit and month.

A ticket counts when closed_at IS NOT NULL AND state <> 'invalid', with a unit or without (the
office's figure counts its triage). Per (local month of received_at, local day number):
- closed, on_time (closed_at <= platform_due_at), micros (closed_at - received_at in whole
  microseconds) of the tickets received on that day;
- unit_closed, unit_on_time: of those, the ones with a unit, and of these the ones replied by
  unit_due_at (settled_month_counts' closed and on_time, summed over the units);
- closed_on: how many of the month's tickets were closed on that day.
The working days from receipt to close are W(closed day) - W(received day) for the working-day
count W (feedback/figures/sql.workday_index), so the month's sum is read with whatever calendar
is loaded: sum(closed_on * W(day)) - sum(closed * W(day)). No calendar is stored here.

The expressions below are frozen copies of the application's (a migration does not follow later
changes of the code): the month of feedback.figures.models.local_month, the day of
feedback.figures.sql.local_day_number, the microseconds of sql.micros_between and the on-time
tests of feedback.figures.rules.platform_on_time_sql and on_time_flag_sql. feedback.figures.models.day_recount
is the same table computed from scratch, which the tests compare with what the triggers keep.

PostgreSQL: one plpgsql function behind three triggers; SQLite: three triggers. Each subtracts
the old row's contribution and adds the new row's in the writer's transaction; rows whose counts
fall to zero are deleted. The table is filled from tickets in this transaction.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

TABLE = "settled_day_counts"
TRIGGER_NAMES = ("settled_day_counts_insert", "settled_day_counts_update",
                 "settled_day_counts_delete")
COLUMNS = ("closed_at", "state", "received_at", "platform_due_at", "unit_id", "replied_at",
           "unit_due_at")  # what the triggers read


def settles(row: str) -> str:
    return f"{row}.closed_at IS NOT NULL AND {row}.state <> 'invalid'"


def month_pg(row: str) -> str:
    return f"CAST(date_trunc('month', {row}.received_at + INTERVAL '8 hours') AS DATE)"


def month_sqlite(row: str) -> str:
    # the text up to the whole second: SQLite rounds a fraction (.9996 s would be the next month)
    return f"date(substr({row}.received_at, 1, 19), '+8 hours', 'start of month')"


def day_pg(ts: str) -> str:
    return f"(CAST({ts} + INTERVAL '28800 seconds' AS DATE) - DATE '1970-01-01')"


def _seconds_sqlite(ts: str) -> str:
    return f"CAST(strftime('%s', substr({ts}, 1, 19)) AS INTEGER)"


def day_sqlite(ts: str) -> str:
    return f"(({_seconds_sqlite(ts)} + 28800) / 86400)"


def micros_pg(row: str) -> str:
    return f"CAST(date_part('epoch', {row}.closed_at - {row}.received_at) * 1000000 AS BIGINT)"


def micros_sqlite(row: str) -> str:
    return (f"(({_seconds_sqlite(row + '.closed_at')} - {_seconds_sqlite(row + '.received_at')}) * 1000000"
            f" + (CAST(substr({row}.closed_at, 21, 6) AS INTEGER) - CAST(substr({row}.received_at, 21, 6) AS INTEGER)))")


def on_time(row: str) -> str:
    return f"CASE WHEN {row}.closed_at <= {row}.platform_due_at THEN 1 ELSE 0 END"


def unit_closed(row: str) -> str:
    return f"CASE WHEN {row}.unit_id IS NOT NULL THEN 1 ELSE 0 END"


def unit_on_time(row: str) -> str:
    return f"CASE WHEN {row}.unit_id IS NOT NULL AND {row}.replied_at <= {row}.unit_due_at THEN 1 ELSE 0 END"


def _values_pg(row: str) -> dict[str, str]:
    """A ticket row's key and contribution, as the plpgsql variables <old|new>_<name> hold them."""
    return {"month": month_pg(row), "day": day_pg(f"{row}.received_at"), "closed_day": day_pg(f"{row}.closed_at"),
            "on_time": on_time(row), "micros": f"coalesce({micros_pg(row)}, 0)", "unit_closed": unit_closed(row),
            "unit_on_time": unit_on_time(row)}


PG_TYPES = {"month": "date", "day": "integer", "closed_day": "integer", "on_time": "integer", "micros": "bigint",
            "unit_closed": "integer", "unit_on_time": "integer"}


def _pg_declare() -> str:
    return "\n    ".join(f"{side}_{name} {kind};" for name, kind in PG_TYPES.items() for side in ("old", "new"))


def _pg_assign(side: str, row: str) -> str:
    return "\n        ".join(f"{side}_{name} := {value};" for name, value in _values_pg(row).items())


PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION settled_day_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_counts boolean := false;
    new_counts boolean := false;
    {_pg_declare()}
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_counts := coalesce({settles('OLD')}, false);
        {_pg_assign("old", "OLD")}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_counts := coalesce({settles('NEW')}, false);
        {_pg_assign("new", "NEW")}
    END IF;
    IF old_counts AND new_counts AND {" AND ".join(f"old_{n} = new_{n}" for n in PG_TYPES)} THEN
        RETURN NULL;  -- the same contribution
    END IF;
    IF old_counts THEN
        UPDATE {TABLE} SET closed = closed - 1, on_time = on_time - old_on_time, micros = micros - old_micros,
            unit_closed = unit_closed - old_unit_closed, unit_on_time = unit_on_time - old_unit_on_time
        WHERE month = old_month AND day = old_day;
        UPDATE {TABLE} SET closed_on = closed_on - 1
        WHERE month = old_month AND day = old_closed_day;
        DELETE FROM {TABLE} WHERE month = old_month AND day IN (old_day, old_closed_day)
            AND closed = 0 AND closed_on = 0;
    END IF;
    IF new_counts THEN
        INSERT INTO {TABLE} (month, day, closed, on_time, micros, closed_on, unit_closed, unit_on_time)
        VALUES (new_month, new_day, 1, new_on_time, new_micros, 0, new_unit_closed, new_unit_on_time)
        ON CONFLICT (month, day) DO UPDATE
        SET closed = {TABLE}.closed + 1, on_time = {TABLE}.on_time + EXCLUDED.on_time,
            micros = {TABLE}.micros + EXCLUDED.micros, unit_closed = {TABLE}.unit_closed + EXCLUDED.unit_closed,
            unit_on_time = {TABLE}.unit_on_time + EXCLUDED.unit_on_time;
        INSERT INTO {TABLE} (month, day, closed, on_time, micros, closed_on, unit_closed, unit_on_time)
        VALUES (new_month, new_closed_day, 0, 0, 0, 1, 0, 0)
        ON CONFLICT (month, day) DO UPDATE SET closed_on = {TABLE}.closed_on + 1;
    END IF;
    RETURN NULL;
END
$$
"""


def _pg_triggers() -> tuple[str, ...]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS)
    return (
        f"CREATE TRIGGER settled_day_counts_insert AFTER INSERT ON tickets FOR EACH ROW "
        f"WHEN ({settles('NEW')}) EXECUTE FUNCTION settled_day_counts_apply()",
        f"CREATE TRIGGER settled_day_counts_update AFTER UPDATE ON tickets FOR EACH ROW "
        f"WHEN ((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL) AND ({changed})) "
        f"EXECUTE FUNCTION settled_day_counts_apply()",
        f"CREATE TRIGGER settled_day_counts_delete AFTER DELETE ON tickets FOR EACH ROW "
        f"WHEN ({settles('OLD')}) EXECUTE FUNCTION settled_day_counts_apply()",
    )


def _sqlite_trigger(name: str, event: str, when: str, body: list[str]) -> str:
    return (f"CREATE TRIGGER {name} AFTER {event} ON tickets FOR EACH ROW WHEN {when}\nBEGIN\n  "
            + "\n  ".join(body) + "\nEND")


def _sqlite_triggers() -> tuple[str, ...]:
    key = f"month = {month_sqlite('OLD')}"
    received, closed = day_sqlite("OLD.received_at"), day_sqlite("OLD.closed_at")
    subtract = [
        f"UPDATE {TABLE} SET closed = closed - 1, on_time = on_time - {on_time('OLD')}, "
        f"micros = micros - coalesce({micros_sqlite('OLD')}, 0), unit_closed = unit_closed - {unit_closed('OLD')}, "
        f"unit_on_time = unit_on_time - {unit_on_time('OLD')} WHERE {key} AND day = {received} AND {settles('OLD')};",
        f"UPDATE {TABLE} SET closed_on = closed_on - 1 WHERE {key} AND day = {closed} AND {settles('OLD')};",
        f"DELETE FROM {TABLE} WHERE {key} AND day IN ({received}, {closed}) AND closed = 0 AND closed_on = 0;",
    ]
    # INSERT … SELECT … WHERE (not VALUES): the trigger body tests NEW, and the WHERE resolves
    # SQLite's parsing ambiguity of an upsert after a SELECT
    columns = "(month, day, closed, on_time, micros, closed_on, unit_closed, unit_on_time)"
    add = [
        f"INSERT INTO {TABLE} {columns} SELECT {month_sqlite('NEW')}, {day_sqlite('NEW.received_at')}, "
        f"1, {on_time('NEW')}, coalesce({micros_sqlite('NEW')}, 0), 0, {unit_closed('NEW')}, {unit_on_time('NEW')} "
        f"WHERE {settles('NEW')} ON CONFLICT (month, day) DO UPDATE SET closed = closed + 1, "
        f"on_time = on_time + excluded.on_time, micros = micros + excluded.micros, "
        f"unit_closed = unit_closed + excluded.unit_closed, unit_on_time = unit_on_time + excluded.unit_on_time;",
        f"INSERT INTO {TABLE} {columns} SELECT {month_sqlite('NEW')}, {day_sqlite('NEW.closed_at')}, "
        f"0, 0, 0, 1, 0, 0 WHERE {settles('NEW')} ON CONFLICT (month, day) DO UPDATE SET closed_on = closed_on + 1;",
    ]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS)
    return (
        _sqlite_trigger("settled_day_counts_insert", "INSERT", f"({settles('NEW')})", add),
        _sqlite_trigger("settled_day_counts_update", "UPDATE",
                        f"((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL) AND ({changed}))",
                        subtract + add),
        _sqlite_trigger("settled_day_counts_delete", "DELETE", f"({settles('OLD')})", subtract),
    )


def _fill(pg: bool) -> str:
    month, day, micros = (month_pg, day_pg, micros_pg) if pg else (month_sqlite, day_sqlite, micros_sqlite)
    return (
        f"INSERT INTO {TABLE} (month, day, closed, on_time, micros, closed_on, unit_closed, unit_on_time) "
        f"SELECT month, day, sum(closed), sum(on_time), sum(micros), sum(closed_on), sum(unit_closed), "
        f"sum(unit_on_time) FROM ("
        f"SELECT {month('t')} AS month, {day('t.received_at')} AS day, "
        f"1 AS closed, {on_time('t')} AS on_time, coalesce({micros('t')}, 0) AS micros, 0 AS closed_on, "
        f"{unit_closed('t')} AS unit_closed, {unit_on_time('t')} AS unit_on_time "
        f"FROM tickets t WHERE {settles('t')} "
        f"UNION ALL SELECT {month('t')}, {day('t.closed_at')}, 0, 0, 0, 1, 0, 0 "
        f"FROM tickets t WHERE {settles('t')}) AS parts GROUP BY month, day")


def upgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        TABLE,
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('closed', sa.Integer(), server_default='0', nullable=False),
        sa.Column('on_time', sa.Integer(), server_default='0', nullable=False),
        sa.Column('micros', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('closed_on', sa.Integer(), server_default='0', nullable=False),
        sa.Column('unit_closed', sa.Integer(), server_default='0', nullable=False),
        sa.Column('unit_on_time', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('month', 'day', name=op.f('pk_settled_day_counts')),
    )
    if pg:
        # creating the triggers locks tickets against writes until this migration commits, so
        # the fill below misses no concurrent write
        op.execute(PG_FUNCTION)
        statements = _pg_triggers()
    else:
        statements = _sqlite_triggers()
    for statement in statements:
        op.execute(statement)
    op.execute(_fill(pg))


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER {name} ON tickets" if pg else f"DROP TRIGGER {name}")
    if pg:
        op.execute("DROP FUNCTION settled_day_counts_apply()")
    op.drop_table(TABLE)
