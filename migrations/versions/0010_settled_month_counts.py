"""settled_month_counts, kept by triggers on tickets; indexes for the monthly series

The dashboard's 12-month chart (feedback/figures/series.py) reads the closed tickets' part of
each month from this table (one row per unit and local month of received_at) and computes only
the tickets not settled by T from `tickets`. A ticket counts here iff closed_at IS NOT NULL AND
state <> 'invalid' AND unit_id IS NOT NULL: closed += 1, on_time += (replied_at <= unit_due_at).
The triggers run in the writer's transaction: an UPDATE subtracts the old row's contribution and
adds the new row's (any column may change); rows falling to zero are deleted. Inserting an open
ticket does not fire them (WHEN guards), nor does an update of a ticket that is not and was not
closed, nor one that leaves the six columns they read unchanged.

Indexes (measured on the bench database, 1,000,000 tickets, ~98,000 not closed, 12 months as
of now: EXPLAIN ANALYZE in series.py's docstring):
- ix_tickets_unsettled_received_at, partial on closed_at IS NULL, covering what the per-ticket
  flags read: the live part is an index-only scan of the open tickets in the months.
- ix_tickets_closed_at: the settled tickets closed after a past T; an empty range at T = now.

PostgreSQL: creating the triggers locks tickets against writes until this migration commits,
so the backfill below misses no concurrent write. SQLite: a later batch_alter_table that
recreates `tickets` ("move and copy") drops these triggers; such a migration must recreate them.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None

UNSETTLED = "closed_at IS NULL AND state <> 'invalid'"
COLUMNS = ("closed_at", "state", "unit_id", "received_at", "replied_at", "unit_due_at")  # what the triggers read


def settles(row: str) -> str:
    return f"{row}.closed_at IS NOT NULL AND {row}.state <> 'invalid' AND {row}.unit_id IS NOT NULL"


def on_time(row: str) -> str:
    # frozen copy of feedback/figures/rules.py on_time_flag_sql (replied by the deadline)
    return f"CASE WHEN {row}.replied_at <= {row}.unit_due_at THEN 1 ELSE 0 END"


def month_pg(row: str) -> str:
    return f"CAST(date_trunc('month', {row}.received_at + INTERVAL '8 hours') AS DATE)"


def month_sqlite(row: str) -> str:
    return f"date({row}.received_at, '+8 hours', 'start of month')"


def changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in COLUMNS)


PG_FUNCTION = f"""
CREATE FUNCTION settled_month_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
        old_on_time := {on_time('OLD')};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_counts := coalesce({settles('NEW')}, false);
        new_month := {month_pg('NEW')};
        new_on_time := {on_time('NEW')};
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

PG_TRIGGERS = (
    f"""CREATE TRIGGER settled_month_counts_insert AFTER INSERT ON tickets FOR EACH ROW
        WHEN ({settles('NEW')}) EXECUTE FUNCTION settled_month_counts_apply()""",
    f"""CREATE TRIGGER settled_month_counts_update AFTER UPDATE ON tickets FOR EACH ROW
        WHEN ((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL) AND ({changed('IS DISTINCT FROM')}))
        EXECUTE FUNCTION settled_month_counts_apply()""",
    f"""CREATE TRIGGER settled_month_counts_delete AFTER DELETE ON tickets FOR EACH ROW
        WHEN ({settles('OLD')}) EXECUTE FUNCTION settled_month_counts_apply()""",
)


def _sqlite_subtract() -> list[str]:
    key = f"unit_id = OLD.unit_id AND month = {month_sqlite('OLD')}"
    return [
        f"UPDATE settled_month_counts SET closed = closed - 1, on_time = on_time - {on_time('OLD')} "
        f"WHERE {key} AND {settles('OLD')};",
        f"DELETE FROM settled_month_counts WHERE {key} AND closed = 0;",
    ]


def _sqlite_add() -> list[str]:
    # INSERT … SELECT … WHERE (not VALUES) so the trigger body can test NEW; the WHERE also
    # resolves SQLite's parsing ambiguity of an upsert after a SELECT.
    return [
        f"INSERT INTO settled_month_counts (month, unit_id, closed, on_time) "
        f"SELECT {month_sqlite('NEW')}, NEW.unit_id, 1, {on_time('NEW')} WHERE {settles('NEW')} "
        f"ON CONFLICT (month, unit_id) DO UPDATE SET closed = closed + 1, on_time = on_time + excluded.on_time;",
    ]


def _sqlite_trigger(name: str, event: str, when: str, body: list[str]) -> str:
    return (f"CREATE TRIGGER {name} AFTER {event} ON tickets FOR EACH ROW WHEN {when}\nBEGIN\n  "
            + "\n  ".join(body) + "\nEND")


SQLITE_TRIGGERS = (
    _sqlite_trigger("settled_month_counts_insert", "INSERT", f"({settles('NEW')})", _sqlite_add()),
    _sqlite_trigger("settled_month_counts_update", "UPDATE",
                    f"((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL) AND ({changed('IS NOT')}))",
                    _sqlite_subtract() + _sqlite_add()),
    _sqlite_trigger("settled_month_counts_delete", "DELETE", f"({settles('OLD')})", _sqlite_subtract()),
)

TRIGGER_NAMES = ("settled_month_counts_insert", "settled_month_counts_update", "settled_month_counts_delete")


def backfill(month) -> str:
    return (f"INSERT INTO settled_month_counts (month, unit_id, closed, on_time) "
            f"SELECT {month('t')}, t.unit_id, count(*), sum({on_time('t')}) FROM tickets t "
            f"WHERE {settles('t')} GROUP BY t.unit_id, {month('t')}")


def upgrade():
    op.create_table(
        'settled_month_counts',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('closed', sa.Integer(), nullable=False),
        sa.Column('on_time', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'unit_id', name=op.f('pk_settled_month_counts')),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
        op.execute(backfill(month_pg))
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute(backfill(month_sqlite))
    op.create_index('ix_tickets_unsettled_received_at', 'tickets', ['received_at'], unique=False,
                    postgresql_include=['id', 'unit_id', 'state', 'assigned_at', 'replied_at', 'unit_due_at',
                                        'extensions', 'closed_at'],
                    postgresql_where=sa.text(UNSETTLED), sqlite_where=sa.text(UNSETTLED))
    op.create_index('ix_tickets_closed_at', 'tickets', ['closed_at'], unique=False)


def downgrade():
    op.drop_index('ix_tickets_closed_at', table_name='tickets')
    op.drop_index('ix_tickets_unsettled_received_at', table_name='tickets')
    for name in TRIGGER_NAMES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {name} ON tickets")
        else:
            op.execute(f"DROP TRIGGER {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION settled_month_counts_apply()")
    op.drop_table('settled_month_counts')
