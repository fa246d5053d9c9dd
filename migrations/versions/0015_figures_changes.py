"""figures_changes: which transactions wrote what the figures read (PostgreSQL only)

The dashboard and /api/v1/metrics/closure compute a province's figures from ~30,000 tickets a
month (~250 ms at 1,000,000 tickets). Each process keeps what it computed and serves it again
only while it is provably what a fresh computation would give (feedback/figures/kept.py). This
table is that proof's other half: a statement-level trigger on every table the figures read
(tickets, ticket_events, units, calendar_days, settled_month_counts) records the writing
transaction's id, once per transaction (a transaction-local setting remembers it), in the
writer's own transaction. A kept result carries the snapshot it was computed under; it is
stale exactly when a committed row here is not visible in that snapshot.

figures_prune holds the horizon below which rows were deleted (kept.prune): a kept result whose
snapshot's xmin is below it is not trusted.

xid8, pg_current_xact_id and pg_visible_in_snapshot need PostgreSQL 13. SQLite (the embedded
default) keeps nothing and gets no tables.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 22:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ("tickets", "ticket_events", "units", "calendar_days", "settled_month_counts")

FUNCTION = """
CREATE FUNCTION figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    writer xid8 := pg_current_xact_id();
BEGIN
    IF current_setting('feedback.figures_changed', true) IS DISTINCT FROM writer::text THEN
        INSERT INTO figures_changes (xid) VALUES (writer) ON CONFLICT DO NOTHING;
        PERFORM set_config('feedback.figures_changed', writer::text, true);
    END IF;
    RETURN NULL;
END
$$
"""


def _postgresql_13() -> bool:
    bind = op.get_bind()
    return bind.dialect.name == "postgresql" and (bind.dialect.server_version_info or (0,)) >= (13,)


def upgrade():
    if not _postgresql_13():
        return
    op.execute("CREATE TABLE figures_changes (xid xid8 NOT NULL, CONSTRAINT pk_figures_changes PRIMARY KEY (xid))")
    op.execute("CREATE TABLE figures_prune (id integer NOT NULL, horizon xid8 NOT NULL, "
               "CONSTRAINT pk_figures_prune PRIMARY KEY (id))")
    op.execute("INSERT INTO figures_prune (id, horizon) VALUES (1, pg_snapshot_xmin(pg_current_snapshot()))")
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(f'CREATE TRIGGER figures_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                   "FOR EACH STATEMENT EXECUTE FUNCTION figures_changed()")


def downgrade():
    if not _postgresql_13():
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER figures_changed ON "{table}"')
    op.execute("DROP FUNCTION figures_changed()")
    op.execute("DROP TABLE figures_prune")
    op.execute("DROP TABLE figures_changes")
