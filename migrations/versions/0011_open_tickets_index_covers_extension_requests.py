"""tickets: the open-tickets index also covers extension_requested_days

The supervisor's menu counts its queues (triage, review, extension requests) on every page.
Measured with `python -m bench` at 1,000,000 tickets (100,000 open) on PostgreSQL: with the
column covered, the count is an index-only scan (~26 ms) instead of a heap visit per open
ticket (~100 ms).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OPEN = "state IN ('new', 'assigned', 'in_progress', 'replied')"


def _create(include):
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_open_due', ['unit_due_at'], unique=False,
                              postgresql_include=include,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def _drop():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_due')


def upgrade():
    _drop()
    _create(['id', 'unit_id', 'state', 'replied_at', 'extension_requested_days'])


def downgrade():
    _drop()
    _create(['id', 'unit_id', 'state', 'replied_at'])
