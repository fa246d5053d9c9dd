"""users.must_change_password: a password an administrator gave must be changed at first sign-in

Set when a supervisor creates a user on the web or sets someone else's password; cleared when
the person chooses their own. Existing users keep signing in as before (false).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('must_change_password')
