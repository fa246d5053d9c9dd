"""calendar_version: a token that changes with every write to calendar_days, kept by triggers

Every ingest and every deadline reads the calendar's overrides (feedback/calendar/service.py,
current_calendar). Each process keeps the WorkCalendar it built and reuses it while this token
is unchanged; the API reads the token with the caller's token (api/auth.py), so a report
pushed through POST /api/v1/reports costs no calendar query at all. The triggers write a fresh
random token on any insert, update or delete of calendar_days (and TRUNCATE, on PostgreSQL), in
the writer's transaction, as 0012 does for units: a calendar loaded by any path is never
served stale. No row (an emptied table): nothing is reused.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION calendar_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO calendar_version (id, version) VALUES (1, CAST(random() * 9e15 AS BIGINT))
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END
$$
"""
PG_TRIGGER = """CREATE TRIGGER calendar_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_days
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_version_bump()"""
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")
SQLITE_BUMP = ("INSERT INTO calendar_version (id, version) VALUES (1, random()) "
               "ON CONFLICT (id) DO UPDATE SET version = excluded.version;")


def upgrade():
    op.create_table(
        'calendar_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_version')),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for event in SQLITE_EVENTS:
            op.execute(f"CREATE TRIGGER calendar_version_{event.lower()} AFTER {event} ON calendar_days FOR EACH ROW\n"
                       f"BEGIN\n  {SQLITE_BUMP}\nEND")
    op.execute("INSERT INTO calendar_version (id, version) VALUES (1, 1)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER calendar_version_bump ON calendar_days")
        op.execute("DROP FUNCTION calendar_version_bump()")
    else:
        for event in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER calendar_version_{event.lower()}")
    op.drop_table('calendar_version')
