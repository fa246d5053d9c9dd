"""ticket_events (ticket_id, action, at): the figures as of a past time look up one ticket's
replies, rejections and extension decisions up to that time

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-24 09:21:52.718705

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_ticket_action_at', ['ticket_id', 'action', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_ticket_action_at')
