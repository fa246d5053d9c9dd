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
from feedback.extensions import db
from tests.conftest import _server_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_migration_history_is_linear():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; chain the new revision"
