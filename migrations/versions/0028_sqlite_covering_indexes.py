"""SQLite: covering indexes for the open tickets the dashboard counts

PostgreSQL's ix_tickets_open_due (0011) and ix_tickets_unsettled_received_at (0010) INCLUDE the
columns the counts at a glance and the figures' live part read, so those are index-only scans.
SQLite has no INCLUDE: it read a table row per open ticket. Here, on SQLite alone, the same
partial indexes with those columns as keys; the models mark them only_on("sqlite")
(feedback/db_setup.py) and PostgreSQL gets nothing. ANALYZE gives the planner their statistics:
without them it keeps to an index it has figures for.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 08:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('new', 'assigned', 'in_progress', 'replied')")
UNSETTLED = sa.text("closed_at IS NULL AND state <> 'invalid'")
INDEXES = (
    ("ix_tickets_open_covering", ["unit_due_at", "state", "unit_id", "replied_at", "extension_requested_days"], OPEN),
    ("ix_tickets_unsettled_covering", ["received_at", "unit_id", "state", "assigned_at", "replied_at", "unit_due_at",
                                       "extensions", "platform_due_at", "handling_workdays", "clock_top_depth",
                                       "closed_at"], UNSETTLED),
)


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, columns, where in INDEXES:
        op.create_index(name, 'tickets', columns, unique=False, sqlite_where=where)
    op.execute("ANALYZE tickets")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, _columns, _where in INDEXES:
        op.drop_index(name, table_name='tickets')
