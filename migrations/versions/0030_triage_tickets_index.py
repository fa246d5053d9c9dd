"""The valid tickets without a unit, by received time

A period's 未分派 (closure.py's _unassigned) and the top office's own figure (the tickets in
triage added to the report's sums) ask for the valid tickets without a unit received in the
period. There are few of them, but the only index on received_at held every ticket of the
period, so each count walked a month of tickets to find none or a handful. A partial index of
exactly those tickets; on both databases (SQLite takes a partial index when the query states
its condition, as these do).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

TRIAGE = sa.text("unit_id IS NULL AND state <> 'invalid'")


def upgrade():
    op.create_index('ix_tickets_triage_received_at', 'tickets', ['received_at'], unique=False,
                    postgresql_where=TRIAGE, sqlite_where=TRIAGE)


def downgrade():
    op.drop_index('ix_tickets_triage_received_at', table_name='tickets')
