"""findings (整改) and their events; notifications and attachments may be about a finding

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind in ('remind','overdue','digest','deadline')"
KINDS_AFTER = "kind in ('remind','overdue','digest','deadline','finding_remind','finding_overdue')"


def upgrade():
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('site_code', sa.String(length=32), nullable=True),
    sa.Column('account', sa.String(length=200), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('category_label', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('fix_by', sa.Date(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('report_text', sa.Text(), nullable=True),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state in ('open','reported','accepted')", name=op.f('ck_findings_state')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_findings_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_findings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_state_fix_by', ['state', 'fix_by'], unique=False)
        batch_op.create_index('ix_findings_unit_state_fix_by', ['unit_id', 'state', 'fix_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('finding_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_finding_events_actor_id_users')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_events_finding_id_findings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_events'))
    )
    with op.batch_alter_table('finding_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_events_finding_id'), ['finding_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finding_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_finding_id_findings'), 'findings',
                                    ['finding_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_notifications_finding_id'), ['finding_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint('kind', KINDS_AFTER)

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finding_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('finding_event_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attachments_finding_id_findings'), 'findings',
                                    ['finding_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_attachments_finding_event_id_finding_events'),
                                    'finding_events', ['finding_event_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_attachments_finding_id'), ['finding_id'], unique=False)


def downgrade():
    op.execute("DELETE FROM attachments WHERE finding_id IS NOT NULL")
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_finding_id'))
        batch_op.drop_constraint(batch_op.f('fk_attachments_finding_event_id_finding_events'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_attachments_finding_id_findings'), type_='foreignkey')
        batch_op.drop_column('finding_event_id')
        batch_op.drop_column('finding_id')
    op.execute("DELETE FROM notifications WHERE finding_id IS NOT NULL")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint('kind', KINDS_BEFORE)
        batch_op.drop_index(batch_op.f('ix_notifications_finding_id'))
        batch_op.drop_constraint(batch_op.f('fk_notifications_finding_id_findings'), type_='foreignkey')
        batch_op.drop_column('finding_id')
    with op.batch_alter_table('finding_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_events_finding_id'))
    op.drop_table('finding_events')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_findings_source'))
        batch_op.drop_index('ix_findings_unit_state_fix_by')
        batch_op.drop_index('ix_findings_state_fix_by')
    op.drop_table('findings')
