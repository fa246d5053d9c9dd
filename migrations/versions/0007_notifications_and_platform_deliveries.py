"""notifications (reminders, escalations, digests) and platform deliveries (hand-back webhook)

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-24 08:41:55.455898

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('about_unit_id', sa.Integer(), nullable=True),
    sa.Column('subject_at', sa.DateTime(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('email_status', sa.String(length=10), nullable=False),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('email_next_at', sa.DateTime(), nullable=True),
    sa.Column('email_claim', sa.String(length=32), nullable=True),
    sa.Column('email_sent_at', sa.DateTime(), nullable=True),
    sa.Column('email_error', sa.Text(), nullable=True),
    sa.CheckConstraint("email_status in ('pending','sending','sent','skipped','failed')", name=op.f('ck_notifications_email_status')),
    sa.CheckConstraint("kind in ('remind','overdue','digest','deadline')", name=op.f('ck_notifications_kind')),
    sa.ForeignKeyConstraint(['about_unit_id'], ['units.id'], name=op.f('fk_notifications_about_unit_id_units')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notifications_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_notifications_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_email_due', ['email_status', 'email_next_at'], unique=False)
        batch_op.create_index('ix_notifications_ticket_kind_subject', ['ticket_id', 'kind', 'subject_at'], unique=False)
        batch_op.create_index('ix_notifications_unit_audience_id', ['unit_id', 'audience', 'id'], unique=False)

    op.create_table('platform_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('pending','delivered','failed')", name=op.f('ck_platform_deliveries_status')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_platform_deliveries_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_deliveries')),
    sa.UniqueConstraint('ticket_id', 'closed_at', name='uq_platform_deliveries_ticket_closed')
    )
    with op.batch_alter_table('platform_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_platform_deliveries_status_next', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('platform_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_platform_deliveries_status_next')

    op.drop_table('platform_deliveries')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_unit_audience_id')
        batch_op.drop_index('ix_notifications_ticket_kind_subject')
        batch_op.drop_index('ix_notifications_email_due')

    op.drop_table('notifications')
