"""export jobs: a unique dedupe key so the automatic monthly export is produced once per scope and month

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_export_jobs_dedupe_key'), ['dedupe_key'])


def downgrade():
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_export_jobs_dedupe_key'), type_='unique')
        batch_op.drop_column('dedupe_key')
