"""`feedback db upgrade` builds the schema the models expect on an empty database."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import feedback.models  # noqa: F401  (every table in the metadata)
from feedback.db_setup import include_object_for
from feedback.extensions import db
from tests.conftest import _server_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _context(conn) -> MigrationContext:
    """As migrations/env.py configures it: indexes kept to another dialect are not compared."""
    return MigrationContext.configure(conn, opts={"include_object": include_object_for(conn.dialect.name)})


def _fresh_url(tmp_path):
    base = os.environ.get("DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}", None
    name = f"feedback_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(_server_url(base, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return _server_url(base, name), (admin, name)


def test_cli_upgrade_of_an_empty_database_matches_the_models(tmp_path):
    url, cleanup = _fresh_url(tmp_path)
    try:
        env = dict(os.environ, DATABASE_URL=url, FEEDBACK_INSTANCE_PATH=str(tmp_path))
        done = subprocess.run([sys.executable, "-m", "feedback", "db", "upgrade"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(_context(conn), db.metadata)
            included, dialect = _included_columns(conn), conn.dialect.name
        engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
        # the comparison above does not look at INCLUDE: a covering index that covers less than
        # the models say turns an index-only scan back into a table row per ticket
        assert included == _model_included_columns(dialect), "INCLUDE columns of models and migrations differ"
    finally:
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _included_columns(conn) -> dict | None:
    """PostgreSQL: index name → its INCLUDE columns, for the indexes that have any (None elsewhere)."""
    if conn.dialect.name != "postgresql":
        return None
    rows = conn.execute(sa.text(
        "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey[i.indnkeyatts:]) "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"))
    out: dict = {}
    for index, column in rows:
        out.setdefault(index, set()).add(column)
    return out


def _model_included_columns(dialect: str) -> dict | None:
    """What the models INCLUDE on PostgreSQL, as _included_columns reads it (None elsewhere)."""
    if dialect != "postgresql":
        return None
    return {index.name: set(index.dialect_options["postgresql"]["include"])
            for table in db.metadata.tables.values() for index in table.indexes
            if index.dialect_options["postgresql"]["include"]}


def test_migration_history_is_linear():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; chain the new revision"


def _cli(env, *args):
    done = subprocess.run([sys.executable, "-m", "feedback", "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_0013_down_and_up_keeps_settled_month_counts_exact(tmp_path):
    """Down to 0012 (0010's triggers, the four sums dropped) and up again (recounted) with
    settled tickets in the table, on the database under test."""
    from datetime import datetime, timedelta

    from feedback.directory.models import Unit
    from feedback.tickets.models import Ticket
    from feedback.timeutil import UTC

    url, cleanup = _fresh_url(tmp_path)
    engine = None
    try:
        env = dict(os.environ, DATABASE_URL=url, FEEDBACK_INSTANCE_PATH=str(tmp_path))
        _cli(env, "upgrade")
        engine = sa.create_engine(url)
        tickets = Ticket.__table__
        base = datetime(2026, 10, 12, 1, 0, 0, 250_000, tzinfo=UTC)

        def settled(pid, unit_id, hours, workdays):
            return tickets.insert().values(
                platform_id=pid, description="x", received_at=base, platform_due_at=base, platform_clock_days=5,
                unit_id=unit_id, state="closed", assigned_at=base, replied_at=base + timedelta(hours=hours),
                unit_due_at=base + timedelta(hours=30), closed_at=base + timedelta(days=3),
                handling_workdays=workdays)

        def rows(conn, columns="closed, on_time, timed, micros, days_n, days"):
            return conn.execute(sa.text(f"SELECT unit_id, {columns} FROM settled_month_counts")).all()

        with engine.begin() as conn:
            unit_id = conn.execute(Unit.__table__.insert().values(code="U1", name="单位", kind="department")
                                   .returning(Unit.__table__.c.id)).scalar_one()
            conn.execute(settled("M1", unit_id, 2, 1))
            assert rows(conn) == [(unit_id, 1, 1, 1, 2 * 3_600_000_000, 1, 1)]
        engine.dispose()

        _cli(env, "downgrade", "0012")
        with engine.begin() as conn:
            conn.execute(settled("M2", unit_id, 40, 3))  # late: 0010's triggers count it
            assert rows(conn, "closed, on_time") == [(unit_id, 2, 1)]
            columns = {c["name"] for c in sa.inspect(conn).get_columns("settled_month_counts")}
            assert columns == {"month", "unit_id", "closed", "on_time"}
        engine.dispose()

        _cli(env, "upgrade")
        with engine.begin() as conn:
            assert rows(conn) == [(unit_id, 2, 1, 2, 42 * 3_600_000_000, 2, 4)]  # recounted
            conn.execute(tickets.update().where(tickets.c.platform_id == "M1").values(handling_workdays=None))
            assert rows(conn) == [(unit_id, 2, 1, 2, 42 * 3_600_000_000, 1, 3)]  # the new triggers
            diff = compare_metadata(_context(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        if engine is not None:
            engine.dispose()
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
