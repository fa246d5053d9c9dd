"""tickets.clock_top_depth: the topmost level the ticket's own clock covers

The figures read a region's row on the hand-off into the region (each level's clock). For most
tickets that hand-off is the ticket's own (routed by the top office straight to a department:
one row covering every level), and its start and deadline are on the ticket already. The
column says which: a level at or below clock_top_depth reads the ticket's columns, one above it
(a county that forwarded the ticket to its department) looks its hand-off up. The lifecycle
keeps it (tickets/handoffs.sync); here it is the deepest current hand-off's top_depth.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN (no batch copy of the table, which would drop its triggers on SQLite)
    op.add_column('tickets', sa.Column('clock_top_depth', sa.Integer(), nullable=False, server_default='0'))
    # the current clock rows of a ticket are contiguous in depth: the deepest has the largest top
    op.execute("""
        UPDATE tickets SET clock_top_depth = (
            SELECT max(h.top_depth) FROM ticket_handoffs h
            WHERE h.ticket_id = tickets.id AND h.ended_at IS NULL AND h.top_depth <= h.bottom_depth)
        WHERE id IN (SELECT ticket_id FROM ticket_handoffs
                     WHERE ended_at IS NULL AND top_depth > 0 AND top_depth <= bottom_depth)""")


def downgrade():
    op.drop_column('tickets', 'clock_top_depth')
