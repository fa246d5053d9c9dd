"""attachments on replies and notes, reply templates and their uses

attachments: files on a ticket's reply or note, kept under UPLOAD_DIR. reply_templates: the
office's 知识库; template_uses: each reply built from one, and whether it was sent back.
tickets.site_key and duplicate_flags: likely duplicates flagged at ingest; the open tickets'
site_key is filled here so reports arriving after the upgrade are compared with them.

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_by', sa.String(length=200), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_attachments_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['event_id'], ['ticket_events.id'], name=op.f('fk_attachments_event_id_ticket_events')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key')),
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_event_id'), ['event_id'], unique=False)

    op.create_table(
        'reply_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates')),
    )
    op.create_table(
        'template_uses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('reply_event_id', sa.Integer(), nullable=False),
        sa.Column('rejected_event_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['template_id'], ['reply_templates.id'],
                                name=op.f('fk_template_uses_template_id_reply_templates')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_template_uses_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['reply_event_id'], ['ticket_events.id'],
                                name=op.f('fk_template_uses_reply_event_id_ticket_events')),
        sa.ForeignKeyConstraint(['rejected_event_id'], ['ticket_events.id'],
                                name=op.f('fk_template_uses_rejected_event_id_ticket_events')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_template_uses')),
        sa.UniqueConstraint('reply_event_id', name=op.f('uq_template_uses_reply_event_id')),
    )
    with op.batch_alter_table('template_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_uses_template_id'), ['template_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_template_uses_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_key', sa.String(length=210), nullable=True))
        batch_op.create_index('ix_tickets_site_key_received_at', ['site_key', 'received_at'], unique=False)
    op.create_table(
        'duplicate_flags',
        sa.Column('ticket_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=10), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('flagged_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_duplicate_flags_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['candidate_id'], ['tickets.id'],
                                name=op.f('fk_duplicate_flags_candidate_id_tickets')),
        sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_duplicate_flags')),
    )
    with op.batch_alter_table('duplicate_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duplicate_flags_candidate_id'), ['candidate_id'], unique=False)
    _fill_open_site_keys()


def _fill_open_site_keys():
    from feedback.tickets.duplicates import site_key

    conn = op.get_bind()
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('state', sa.String),
                       sa.column('site_code', sa.String), sa.column('url', sa.Text),
                       sa.column('site_name', sa.String), sa.column('site_key', sa.String))
    rows = conn.execute(sa.select(tickets.c.id, tickets.c.site_code, tickets.c.url, tickets.c.site_name)
                        .where(tickets.c.state.in_(('new', 'assigned', 'in_progress', 'replied')))).all()
    keys = [{"tid": r.id, "key": site_key(r.site_code, r.url, r.site_name)} for r in rows]
    keys = [k for k in keys if k["key"]]
    if keys:
        conn.execute(tickets.update().where(tickets.c.id == sa.bindparam("tid"))
                     .values(site_key=sa.bindparam("key")), keys)


def downgrade():
    op.drop_table('duplicate_flags')
    # Not batch mode: on SQLite that would copy the table and lose its triggers (0010, 0013).
    op.drop_index('ix_tickets_site_key_received_at', table_name='tickets')
    op.drop_column('tickets', 'site_key')
    op.drop_table('template_uses')
    op.drop_table('reply_templates')
    op.drop_table('attachments')
