"""ix_tickets_closed_at holds the closed tickets only

The index serves "closed after T" (closed_at > T: an empty range at T = now). Over every ticket,
SQLite's statistics (one row per closed_at value) made it the planner's pick for the open
tickets' `closed_at IS NULL` too, a lookup of every open and every invalid ticket through the
table, instead of the partial index of the open ones (ix_tickets_unsettled_received_at). A
comparison on closed_at implies closed_at IS NOT NULL on both databases, so the figures' range
scans still use it; the open tickets no longer can.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 23:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

CLOSED = sa.text("closed_at IS NOT NULL")


def upgrade():
    op.drop_index('ix_tickets_closed_at', table_name='tickets')
    op.create_index('ix_tickets_closed_at', 'tickets', ['closed_at'], unique=False,
                    postgresql_where=CLOSED, sqlite_where=CLOSED)


def downgrade():
    op.drop_index('ix_tickets_closed_at', table_name='tickets')
    op.create_index('ix_tickets_closed_at', 'tickets', ['closed_at'], unique=False)
