"""setting_changes: the top office's settings as an append-only, audited history;
notice_cutoffs: the window of each generated notice

A setting's value in force at a time is its latest change saved at or before that time
(feedback/settings/service.py); without any change the default from the environment holds.
The next notice's window starts the day after the last notice's cut-off date.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'setting_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('previous', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_setting_changes_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_setting_changes')),
    )
    op.create_index('ix_setting_changes_key_at', 'setting_changes', ['key', 'at'], unique=False)
    op.create_table(
        'notice_cutoffs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope_unit_id', sa.Integer(), nullable=True),
        sa.Column('date_from', sa.Date(), nullable=False),
        sa.Column('date_to', sa.Date(), nullable=False),
        sa.Column('as_of', sa.DateTime(), nullable=False),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['scope_unit_id'], ['units.id'], name=op.f('fk_notice_cutoffs_scope_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_cutoffs')),
    )
    op.create_index('ix_notice_cutoffs_scope_unit_id_created_at', 'notice_cutoffs', ['scope_unit_id', 'created_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_notice_cutoffs_scope_unit_id_created_at', table_name='notice_cutoffs')
    op.drop_table('notice_cutoffs')
    op.drop_index('ix_setting_changes_key_at', table_name='setting_changes')
    op.drop_table('setting_changes')
