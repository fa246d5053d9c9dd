"""settled_month_counts: the sums of the settled tickets' handling times, kept by the same triggers

The figures' mean handling time (hours from assigned_at to replied_at) and mean handling
workdays are exact only as integer sums divided once in Python. With these sums per row of
settled_month_counts the settled part of a month's means can be read from the table, as its
counts already are, instead of scanning the month's settled tickets. Four columns:
- timed: how many of the row's settled tickets have assigned_at and replied_at;
- micros: the sum over those of (replied_at - assigned_at) in whole microseconds, the SQL of
  feedback.figures.sql.micros_between (spelled out below: a migration does not follow later
  changes of the application's code);
- days_n: how many have handling_workdays;
- days: the sum of handling_workdays over those.
A ticket whose times (or workdays) are NULL adds 0 to both columns of that pair.

The trigger function (PostgreSQL) and the three triggers (SQLite) are replaced so that every
insert, update and delete of a ticket subtracts the old row's whole contribution and adds the
new row's, as in 0010. The UPDATE trigger also watches assigned_at and handling_workdays now
(a calendar load recomputes the closed tickets' handling_workdays). The table is then
recomputed from tickets in this transaction (the new columns of existing rows start at 0).

PostgreSQL: replacing the UPDATE trigger locks tickets against writes until this migration
commits, so the recount misses no concurrent write. Downgrade restores 0010's function and
triggers and drops the four columns.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TRIGGER_NAMES = ("settled_month_counts_insert", "settled_month_counts_update", "settled_month_counts_delete")
NEW_COLUMNS = ("timed", "micros", "days_n", "days")


def settles(row: str) -> str:
    return f"{row}.closed_at IS NOT NULL AND {row}.state <> 'invalid' AND {row}.unit_id IS NOT NULL"


def month_pg(row: str) -> str:
    return f"CAST(date_trunc('month', {row}.received_at + INTERVAL '8 hours') AS DATE)"


def month_sqlite(row: str) -> str:
    # feedback.figures.models.local_month on SQLite: the text up to the whole second, since
    # SQLite's date functions round a fraction to milliseconds (.9996 s would be the next month)
    return f"date(substr({row}.received_at, 1, 19), '+8 hours', 'start of month')"


def month_sqlite_0010(row: str) -> str:
    return f"date({row}.received_at, '+8 hours', 'start of month')"


def micros_pg(row: str) -> str:
    # feedback.figures.sql.micros_between on PostgreSQL (NULL when either time is NULL)
    return f"CAST(date_part('epoch', {row}.replied_at - {row}.assigned_at) * 1000000 AS BIGINT)"


def micros_sqlite(row: str) -> str:
    # feedback.figures.sql.micros_between on SQLite: whole seconds by strftime('%s'), plus the
    # six digits of microseconds SQLAlchemy stores from position 21 (NULL when either is NULL)
    return (f"((CAST(strftime('%s', substr({row}.replied_at, 1, 19)) AS INTEGER)"
            f" - CAST(strftime('%s', substr({row}.assigned_at, 1, 19)) AS INTEGER))"
            f" * 1000000 + (CAST(substr({row}.replied_at, 21, 6) AS INTEGER)"
            f" - CAST(substr({row}.assigned_at, 21, 6) AS INTEGER)))")


def changed(columns, distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def _sqlite_trigger(name: str, event: str, when: str, body: list[str]) -> str:
    return (f"CREATE TRIGGER {name} AFTER {event} ON tickets FOR EACH ROW WHEN {when}\nBEGIN\n  "
            + "\n  ".join(body) + "\nEND")


def _drop_triggers(pg: bool) -> None:
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER {name} ON tickets" if pg else f"DROP TRIGGER {name}")


# --- 0013: the six sums ------------------------------------------------------------------------

COLUMNS = ("closed_at", "state", "unit_id", "received_at", "assigned_at", "replied_at", "unit_due_at",
           "handling_workdays")  # what the triggers read


def contributions(row: str, micros) -> dict[str, str]:
    """A settled ticket's contribution to each sum but `closed` (which is 1)."""
    # frozen copies of feedback/figures/rules.py: on_time_flag_sql and handling_micros_sql
    return {
        "on_time": f"CASE WHEN {row}.replied_at <= {row}.unit_due_at THEN 1 ELSE 0 END",
        "timed": f"CASE WHEN {row}.assigned_at IS NOT NULL AND {row}.replied_at IS NOT NULL THEN 1 ELSE 0 END",
        "micros": f"coalesce({micros(row)}, 0)",
        "days_n": f"CASE WHEN {row}.handling_workdays IS NOT NULL THEN 1 ELSE 0 END",
        "days": f"coalesce({row}.handling_workdays, 0)",
    }


SUMS = ("on_time", "timed", "micros", "days_n", "days")
TYPES = {"on_time": "integer", "timed": "integer", "micros": "bigint", "days_n": "integer", "days": "integer"}


def _pg_function() -> str:
    old, new = contributions("OLD", micros_pg), contributions("NEW", micros_pg)
    declare = "\n    ".join(f"old_{s} {TYPES[s]};\n    new_{s} {TYPES[s]};" for s in SUMS)
    set_old = "\n        ".join(f"old_{s} := {old[s]};" for s in SUMS)
    set_new = "\n        ".join(f"new_{s} := {new[s]};" for s in SUMS)
    same = " AND ".join(f"old_{s} = new_{s}" for s in SUMS)
    subtract = ", ".join(f"{s} = {s} - old_{s}" for s in SUMS)
    add = ", ".join(f"{s} = settled_month_counts.{s} + EXCLUDED.{s}" for s in SUMS)
    return f"""
CREATE OR REPLACE FUNCTION settled_month_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_counts boolean := false;
    new_counts boolean := false;
    old_month date;
    new_month date;
    {declare}
    remaining integer;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_counts := coalesce({settles('OLD')}, false);
        old_month := {month_pg('OLD')};
        {set_old}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_counts := coalesce({settles('NEW')}, false);
        new_month := {month_pg('NEW')};
        {set_new}
    END IF;
    IF old_counts AND new_counts THEN  -- an UPDATE (OLD and NEW are both set)
        IF OLD.unit_id = NEW.unit_id AND old_month = new_month AND {same} THEN
            RETURN NULL;  -- the same contribution
        END IF;
    END IF;
    IF old_counts THEN
        UPDATE settled_month_counts SET closed = closed - 1, {subtract}
        WHERE unit_id = OLD.unit_id AND month = old_month
        RETURNING closed INTO remaining;
        IF remaining = 0 THEN
            DELETE FROM settled_month_counts WHERE unit_id = OLD.unit_id AND month = old_month AND closed = 0;
        END IF;
    END IF;
    IF new_counts THEN
        INSERT INTO settled_month_counts (month, unit_id, closed, {", ".join(SUMS)})
        VALUES (new_month, NEW.unit_id, 1, {", ".join(f"new_{s}" for s in SUMS)})
        ON CONFLICT (month, unit_id) DO UPDATE
        SET closed = settled_month_counts.closed + 1, {add};
    END IF;
    RETURN NULL;
END
$$
"""


def _pg_update_trigger(columns) -> str:
    return f"""CREATE TRIGGER settled_month_counts_update AFTER UPDATE ON tickets FOR EACH ROW
        WHEN ((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL) AND ({changed(columns, 'IS DISTINCT FROM')}))
        EXECUTE FUNCTION settled_month_counts_apply()"""


def _sqlite_triggers() -> tuple[str, ...]:
    old, new = contributions("OLD", micros_sqlite), contributions("NEW", micros_sqlite)
    key = f"unit_id = OLD.unit_id AND month = {month_sqlite('OLD')}"
    subtract = [
        "UPDATE settled_month_counts SET closed = closed - 1, "
        + ", ".join(f"{s} = {s} - {old[s]}" for s in SUMS) + f" WHERE {key} AND {settles('OLD')};",
        f"DELETE FROM settled_month_counts WHERE {key} AND closed = 0;",
    ]
    # INSERT … SELECT … WHERE (not VALUES) so the trigger body can test NEW; the WHERE also
    # resolves SQLite's parsing ambiguity of an upsert after a SELECT.
    add = [
        f"INSERT INTO settled_month_counts (month, unit_id, closed, {', '.join(SUMS)}) "
        f"SELECT {month_sqlite('NEW')}, NEW.unit_id, 1, {', '.join(new[s] for s in SUMS)} WHERE {settles('NEW')} "
        f"ON CONFLICT (month, unit_id) DO UPDATE SET closed = closed + 1, "
        + ", ".join(f"{s} = {s} + excluded.{s}" for s in SUMS) + ";",
    ]
    return (
        _sqlite_trigger("settled_month_counts_insert", "INSERT", f"({settles('NEW')})", add),
        _sqlite_trigger("settled_month_counts_update", "UPDATE",
                        f"((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL) AND ({changed(COLUMNS, 'IS NOT')}))",
                        subtract + add),
        _sqlite_trigger("settled_month_counts_delete", "DELETE", f"({settles('OLD')})", subtract),
    )


def _recount(month, micros) -> list[str]:
    t = contributions("t", micros)
    return [
        "DELETE FROM settled_month_counts",
        f"INSERT INTO settled_month_counts (month, unit_id, closed, {', '.join(SUMS)}) "
        f"SELECT {month('t')}, t.unit_id, count(*), {', '.join(f'sum({t[s]})' for s in SUMS)} FROM tickets t "
        f"WHERE {settles('t')} GROUP BY t.unit_id, {month('t')}",
    ]


# --- 0010's function and triggers, for the downgrade -------------------------------------------

COLUMNS_0010 = ("closed_at", "state", "unit_id", "received_at", "replied_at", "unit_due_at")


def on_time_0010(row: str) -> str:
    # frozen copy of feedback/figures/rules.py on_time_flag_sql
    return f"CASE WHEN {row}.replied_at <= {row}.unit_due_at THEN 1 ELSE 0 END"


PG_FUNCTION_0010 = f"""
CREATE OR REPLACE FUNCTION settled_month_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_counts boolean := false;
    new_counts boolean := false;
    old_month date;
    new_month date;
    old_on_time integer;
    new_on_time integer;
    remaining integer;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_counts := coalesce({settles('OLD')}, false);
        old_month := {month_pg('OLD')};
        old_on_time := {on_time_0010('OLD')};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_counts := coalesce({settles('NEW')}, false);
        new_month := {month_pg('NEW')};
        new_on_time := {on_time_0010('NEW')};
    END IF;
    IF old_counts AND new_counts THEN  -- an UPDATE (OLD and NEW are both set)
        IF OLD.unit_id = NEW.unit_id AND old_month = new_month AND old_on_time = new_on_time THEN
            RETURN NULL;  -- the same contribution
        END IF;
    END IF;
    IF old_counts THEN
        UPDATE settled_month_counts SET closed = closed - 1, on_time = on_time - old_on_time
        WHERE unit_id = OLD.unit_id AND month = old_month
        RETURNING closed INTO remaining;
        IF remaining = 0 THEN
            DELETE FROM settled_month_counts WHERE unit_id = OLD.unit_id AND month = old_month AND closed = 0;
        END IF;
    END IF;
    IF new_counts THEN
        INSERT INTO settled_month_counts (month, unit_id, closed, on_time)
        VALUES (new_month, NEW.unit_id, 1, new_on_time)
        ON CONFLICT (month, unit_id) DO UPDATE
        SET closed = settled_month_counts.closed + 1, on_time = settled_month_counts.on_time + EXCLUDED.on_time;
    END IF;
    RETURN NULL;
END
$$
"""


def _sqlite_triggers_0010() -> tuple[str, ...]:
    key = f"unit_id = OLD.unit_id AND month = {month_sqlite_0010('OLD')}"
    subtract = [
        f"UPDATE settled_month_counts SET closed = closed - 1, on_time = on_time - {on_time_0010('OLD')} "
        f"WHERE {key} AND {settles('OLD')};",
        f"DELETE FROM settled_month_counts WHERE {key} AND closed = 0;",
    ]
    add = [
        f"INSERT INTO settled_month_counts (month, unit_id, closed, on_time) "
        f"SELECT {month_sqlite_0010('NEW')}, NEW.unit_id, 1, {on_time_0010('NEW')} WHERE {settles('NEW')} "
        f"ON CONFLICT (month, unit_id) DO UPDATE SET closed = closed + 1, on_time = on_time + excluded.on_time;",
    ]
    return (
        _sqlite_trigger("settled_month_counts_insert", "INSERT", f"({settles('NEW')})", add),
        _sqlite_trigger("settled_month_counts_update", "UPDATE",
                        f"((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL) AND ({changed(COLUMNS_0010, 'IS NOT')}))",
                        subtract + add),
        _sqlite_trigger("settled_month_counts_delete", "DELETE", f"({settles('OLD')})", subtract),
    )


def upgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    for name in NEW_COLUMNS:
        op.add_column('settled_month_counts',
                      sa.Column(name, sa.BigInteger() if name == "micros" else sa.Integer(),
                                server_default='0', nullable=False))
    if pg:
        # the INSERT and DELETE triggers call the function and keep their WHEN (settles): only
        # the function and the UPDATE trigger's WHEN change
        op.execute(_pg_function())
        op.execute("DROP TRIGGER settled_month_counts_update ON tickets")
        op.execute(_pg_update_trigger(COLUMNS))
        statements = _recount(month_pg, micros_pg)
    else:
        _drop_triggers(pg)
        for statement in _sqlite_triggers():
            op.execute(statement)
        statements = _recount(month_sqlite, micros_sqlite)
    for statement in statements:
        op.execute(statement)


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.execute(PG_FUNCTION_0010)
        op.execute("DROP TRIGGER settled_month_counts_update ON tickets")
        op.execute(_pg_update_trigger(COLUMNS_0010))
    else:
        # off while batch mode recreates settled_month_counts (the triggers write to it)
        _drop_triggers(pg)
    # batch mode: ALTER TABLE … DROP COLUMN on PostgreSQL, the table recreated ("move and copy")
    # on SQLite; settled_month_counts has no triggers or indexes of its own to lose
    with op.batch_alter_table('settled_month_counts') as batch:
        for name in reversed(NEW_COLUMNS):
            batch.drop_column(name)
    if not pg:
        for statement in _sqlite_triggers_0010():
            op.execute(statement)
