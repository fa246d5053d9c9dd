"""PostgreSQL: the period's tickets read from their index alone

The figures read a period's tickets by received_at: ix_tickets_received_at_unit for the whole
cohort (the metrics' month, the exports), ix_tickets_unsettled_received_at for the ones not
closed (the dashboard's live part). Here both INCLUDE every column the cohort reads, so a month
is an index-only scan instead of a table row per ticket: the first gains the columns of
figures/cohort.py's cohort(), the second the platform deadline (the office's overdue count) and
the clock's top depth, which it lacked. The key columns stay as they were, so every query that
used an index uses it as before. SQLite has no INCLUDE (its covering indexes are 0028's).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 14:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

UNSETTLED = sa.text("closed_at IS NULL AND state <> 'invalid'")
UNSETTLED_BEFORE = ["id", "unit_id", "state", "assigned_at", "replied_at", "unit_due_at", "extensions", "closed_at"]
PERIOD_INCLUDE = ["id", "state", "assigned_at", "replied_at", "closed_at", "unit_due_at", "platform_due_at",
                  "handling_workdays", "extensions", "clock_top_depth"]


def _rebuild(period_include, unsettled_include):
    op.drop_index('ix_tickets_received_at_unit', table_name='tickets')
    op.create_index('ix_tickets_received_at_unit', 'tickets', ['received_at', 'unit_id'], unique=False,
                    postgresql_include=period_include)
    op.drop_index('ix_tickets_unsettled_received_at', table_name='tickets')
    op.create_index('ix_tickets_unsettled_received_at', 'tickets', ['received_at'], unique=False,
                    postgresql_include=unsettled_include, postgresql_where=UNSETTLED)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild(PERIOD_INCLUDE, UNSETTLED_BEFORE + ["platform_due_at", "clock_top_depth"])


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild([], UNSETTLED_BEFORE)
