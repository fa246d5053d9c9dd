"""users.session_version, import_jobs.file_deleted_at: sessions that end, uploads that go

A signed-in session remembers its user's session_version; signing out (or a password change)
moves it on, so a session cookie captured before then no longer signs anyone in (M2 of issue
17). An uploaded import file holds reporters' personal data: file_deleted_at records when the
retention rule removed it (feedback/jobs/retention.py), and only files still on disk count
against the uploads' size cap.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('import_jobs') as batch:
        batch.add_column(sa.Column('file_deleted_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs') as batch:
        batch.drop_column('file_deleted_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_version')
