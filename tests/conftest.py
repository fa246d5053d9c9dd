"""Fixtures in flaskr's shape: app from the factory, a database per run, a frozen clock.

DATABASE_URL set (CI: PostgreSQL) → a fresh database on that server per run, dropped after.
Unset → a temporary SQLite file. The schema always comes from the Alembic migrations.
FEEDBACK_REQUIRE_SERVICES=1 turns an unreachable service into a failure, never a skip.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from feedback import create_app
from feedback.config import normalise_database_url
from feedback.extensions import db
from feedback.timeutil import LOCAL

REQUIRE_SERVICES = os.environ.get("FEEDBACK_REQUIRE_SERVICES") == "1"


class Clock:
    """An injected clock: tests set and advance it; nothing reads the wall clock."""

    def __init__(self, start: datetime):
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def set(self, t: datetime | str) -> datetime:
        self.t = datetime.fromisoformat(t) if isinstance(t, str) else t
        if self.t.tzinfo is None:
            self.t = self.t.replace(tzinfo=LOCAL)
        return self.t

    def advance(self, **kw) -> datetime:
        self.t = self.t + timedelta(**kw)
        return self.t


def _server_url(url: str, dbname: str) -> str:
    parsed = sa.engine.make_url(normalise_database_url(url))
    return parsed.set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("DATABASE_URL")
    if not base:
        if REQUIRE_SERVICES:
            pytest.fail("FEEDBACK_REQUIRE_SERVICES=1 but DATABASE_URL is not set")
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url
        return
    name = f"feedback_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_server_url(base, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at DATABASE_URL is unreachable: {exc}")
    url = _server_url(base, name)
    _migrate(url)
    yield url
    sa.engine.create_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def quick_password_hashing(request, monkeypatch):
    """A one-round hash instead of scrypt: sign-in still goes through the real form, and the
    suite does not spend most of its time hashing the worlds' passwords. Tests about the
    stored hash itself opt out with @pytest.mark.real_password_hashing."""
    if request.node.get_closest_marker("real_password_hashing"):
        return
    import feedback.accounts.models as models

    monkeypatch.setattr(models, "generate_password_hash",
                        lambda password, method=None: generate_password_hash(password, method="pbkdf2:sha256:1"))


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL))


@pytest.fixture
def app(database_url, clock, tmp_path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "REDIS_URL": None,
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": False,
        "EXPORT_DIR": str(tmp_path / "exports"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SECRET_KEY": "test",
    })
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(sa.text(f'DELETE FROM "{table}"'))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """A small city: office → two counties → departments, with sites and one user per role."""
    from tests.factories import build_world

    return build_world()


# One chromium for the whole run, shared by every directory's browser tests: Playwright's sync
# API allows only one running instance per thread.
@pytest.fixture(scope="session")
def browser():
    if not os.path.exists("/usr/bin/chromium"):
        if os.environ.get("FEEDBACK_REQUIRE_SERVICES") == "1":
            pytest.fail("/usr/bin/chromium is missing (apt-get install -y chromium)")
        pytest.skip("/usr/bin/chromium is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()
