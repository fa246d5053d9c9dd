"""units_version: a token that changes with every write to units, kept by triggers

The figures resolve a report's units (5,000 for a province: ~20 ms of rows and ordering) on
every request. Each process keeps the resolved tree and reuses it while this token is
unchanged (feedback/figures/closure.py, resolve_scope). The triggers write a fresh random token
on any insert, update or delete of units (and TRUNCATE, on PostgreSQL), in the writer's
transaction: a tree changed by any path, the admin pages, `units load` or plain SQL, is
never served stale. No row (an emptied table): nothing is reused.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION units_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO units_version (id, version) VALUES (1, CAST(random() * 9e15 AS BIGINT))
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END
$$
"""
PG_TRIGGER = """CREATE TRIGGER units_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION units_version_bump()"""
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")
SQLITE_BUMP = ("INSERT INTO units_version (id, version) VALUES (1, random()) "
               "ON CONFLICT (id) DO UPDATE SET version = excluded.version;")


def upgrade():
    op.create_table(
        'units_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_units_version')),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for event in SQLITE_EVENTS:
            op.execute(f"CREATE TRIGGER units_version_{event.lower()} AFTER {event} ON units FOR EACH ROW\n"
                       f"BEGIN\n  {SQLITE_BUMP}\nEND")
    op.execute("INSERT INTO units_version (id, version) VALUES (1, 1)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER units_version_bump ON units")
        op.execute("DROP FUNCTION units_version_bump()")
    else:
        for event in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER units_version_{event.lower()}")
    op.drop_table('units_version')
