"""ticket_handoffs: every assignment as a row with its own clock (each level's clock, 逐级转办)

A city office forwards to a county office, which forwards to its department; each assignment
is a hand-off owed to the unit that made it, and a region's figure uses the clock of the
hand-off that brought the ticket into the region (DESIGN.md: Deadlines — Each level's clock).
Columns are described on feedback.tickets.handoffs.HandOff.

Existing tickets with a unit get one hand-off from their current assignment: from the top
office's triage, owed to the top office, starting at assigned_at with the ticket's own clock
(unit_clock_days, unit_due_at, extensions), stopped at the reply when closed. No ticket column
changes, so no figure changes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

CURRENT = "ended_at IS NULL"

# The top unit of a materialised path "/1/4/17/" → 1 (a unit without a path: itself).
TOP_UNIT = {
    "postgresql": "CAST(NULLIF(split_part(u.path, '/', 2), '') AS INTEGER)",
    "sqlite": "CAST(substr(u.path, 2, instr(substr(u.path, 2), '/') - 1) AS INTEGER)",
}


def upgrade():
    op.create_table(
        'ticket_handoffs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by_unit_id', sa.Integer(), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), nullable=True),
        sa.Column('to_unit_id', sa.Integer(), nullable=False),
        sa.Column('top_depth', sa.Integer(), nullable=False),
        sa.Column('bottom_depth', sa.Integer(), nullable=False),
        sa.Column('clock_days', sa.Integer(), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('provisional', sa.Boolean(), nullable=False),
        sa.Column('extensions', sa.Integer(), nullable=False),
        sa.Column('stopped_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('end_reason', sa.String(length=20), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_handoffs_actor_id_users')),
        sa.ForeignKeyConstraint(['by_unit_id'], ['units.id'], name=op.f('fk_ticket_handoffs_by_unit_id_units')),
        sa.ForeignKeyConstraint(['from_unit_id'], ['units.id'], name=op.f('fk_ticket_handoffs_from_unit_id_units')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_handoffs_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'], name=op.f('fk_ticket_handoffs_to_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_handoffs')),
    )
    op.create_index('ix_ticket_handoffs_ticket_id', 'ticket_handoffs', ['ticket_id'])
    op.create_index('ix_ticket_handoffs_current', 'ticket_handoffs', ['ticket_id', 'top_depth', 'bottom_depth'],
                    postgresql_include=['at', 'due_at', 'by_unit_id'],
                    postgresql_where=sa.text(CURRENT), sqlite_where=sa.text(CURRENT))
    op.create_index('ix_ticket_handoffs_to_unit_at', 'ticket_handoffs', ['to_unit_id', 'at'])
    op.create_index('ix_ticket_handoffs_by_unit_at', 'ticket_handoffs', ['by_unit_id', 'at'])

    bind = op.get_bind()
    top_unit = TOP_UNIT["postgresql" if bind.dialect.name == "postgresql" else "sqlite"]
    op.execute(f"""
        INSERT INTO ticket_handoffs (ticket_id, at, by_unit_id, from_unit_id, to_unit_id, top_depth, bottom_depth,
                                     clock_days, due_at, provisional, extensions, stopped_at, actor_id, actor)
        SELECT t.id, t.assigned_at,
               COALESCE((SELECT top.id FROM units top WHERE top.id = {top_unit}), t.unit_id), NULL, t.unit_id, 0, u.depth,
               t.unit_clock_days, t.unit_due_at, t.deadline_provisional, t.extensions,
               CASE WHEN t.state = 'closed' THEN t.replied_at END, NULL, 'migration'
        FROM tickets t JOIN units u ON u.id = t.unit_id
        WHERE t.assigned_at IS NOT NULL
        ORDER BY t.id""")


def downgrade():
    op.drop_index('ix_ticket_handoffs_by_unit_at', table_name='ticket_handoffs')
    op.drop_index('ix_ticket_handoffs_to_unit_at', table_name='ticket_handoffs')
    op.drop_index('ix_ticket_handoffs_current', table_name='ticket_handoffs',
                  postgresql_where=sa.text(CURRENT), sqlite_where=sa.text(CURRENT))
    op.drop_index('ix_ticket_handoffs_ticket_id', table_name='ticket_handoffs')
    op.drop_table('ticket_handoffs')
