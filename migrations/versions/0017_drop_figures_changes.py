"""Drop figures_changes and figures_prune: figures are computed fresh on every request

The per-process figures cache (feedback/figures/kept.py) that read them is gone (issue 14: it
served a past as_of's figures after a deadline had passed in between, and missed a unit added
between resolving the scope and taking its snapshot). DESIGN.md, Runs: figures are computed
fresh, from rollups, every time. Nothing else reads these tables, so their statement triggers
on tickets, ticket_events, units, calendar_days and settled_month_counts only cost writers.

Only PostgreSQL 13+ ever had them (0015); elsewhere, and where they are already gone, this is
a no-op. The downgrade puts them back as 0015 made them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 22:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
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
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS figures_changed ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS figures_changed()")
    op.execute("DROP TABLE IF EXISTS figures_prune")
    op.execute("DROP TABLE IF EXISTS figures_changes")


def downgrade():
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
