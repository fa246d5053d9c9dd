"""ix_tickets_forwarded_received_at: the tickets forwarded below the level that routed them

A region's row on the dashboard reads each ticket on the hand-off into the region. For a ticket
the top office routed straight to its unit (clock_top_depth 0) that is the ticket's own clock,
already summed per unit and month in settled_month_counts; only the forwarded ones
(clock_top_depth > 0, a county that passed the ticket on) differ, and the figures read those
one by one. This partial index holds just them, by received time.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

FORWARDED = sa.text("clock_top_depth > 0")


def upgrade():
    op.create_index('ix_tickets_forwarded_received_at', 'tickets', ['received_at'], unique=False,
                    postgresql_where=FORWARDED, sqlite_where=FORWARDED)


def downgrade():
    op.drop_index('ix_tickets_forwarded_received_at', table_name='tickets')
