"""Fixtures in flaskr's shape: app from the factory, a database per run, a frozen clock; and the
fixtures of the test toolkit (tests/support/): signing in, tickets, real Redis and `rq worker`s,
the mail server and platform doubles. Every folder gets these without importing them.

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

from feedback import create_app
from feedback.config import normalise_database_url
from feedback.extensions import db
from feedback.timeutil import LOCAL
from tests.support import services
from tests.support.apps import test_app
from tests.support.doubles import Receiver, SMTPServer
from tests.support.services import REQUIRE_SERVICES
from tests.support.signin import fast_password_hash, sign_in


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

    monkeypatch.setattr(models, "generate_password_hash", fast_password_hash)


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL))


@pytest.fixture
def app(database_url, clock, tmp_path):
    with test_app(database_url, clock, tmp_path) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """A small city: office → two counties → departments, with sites and one user per role."""
    from tests.factories import build_world

    return build_world()


@pytest.fixture
def login(client):
    """login(user or username): the test's `client`, signed in through the login form (whoever
    it had signed in before is signed out first)."""
    def sign_in_as(who):
        with client.session_transaction() as session:
            session.clear()
        r = sign_in(client, who)
        assert r.status_code == 302, f"sign-in as {who} failed"
        return client

    return sign_in_as


@pytest.fixture
def as_user(app, world):
    """as_user(username): a fresh test client signed in through the login form (several can be
    open at once)."""
    from tests.support.signin import PASSWORD

    def client_for(username: str, password: str = PASSWORD):
        c = app.test_client()
        r = sign_in(c, username, password)
        assert r.status_code == 302, f"sign-in as {username} failed"
        return c

    return client_for


@pytest.fixture
def make_ticket(world, clock):
    """A ticket as the platform would send it, received now; routed by the world's rules. Committed."""
    from feedback.accounts.scope import Actor
    from feedback.tickets.ingest import ingest, parse_all
    from feedback.tickets.models import Ticket

    def make(pid: str, url: str | None = "http://edu.dongcheng.gov.cn/tzgg/1.html", **fields) -> Ticket:
        raw = {"platform_id": pid, "received_at": clock().isoformat(), "description": "栏目内容有错别字",
               "url": url, **fields}
        good, bad = parse_all([raw], naive_is_local=False)
        assert not bad, bad[0].errors
        [result] = ingest(good, Actor.system("platform"), clock(), source="test")
        db.session.commit()
        return db.session.get(Ticket, result.ticket_id)

    return make


# --- real services and doubles of the outside world (tests/support/) ---------------------------

@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL, or a local Redis: skipped when unreachable (failed under FEEDBACK_REQUIRE_SERVICES=1)."""
    return services.require_redis()


@pytest.fixture
def queue_prefix(redis_url):
    """This test's own queue names in Redis; its jobs and keys are removed afterwards."""
    prefix = services.new_prefix()
    yield prefix
    services.forget_queues(redis_url, prefix)


@pytest.fixture
def workers(app, redis_url, queue_prefix, tmp_path):
    """Real `rq worker` processes on this test's queues; configure the app before start()."""
    pool = services.Workers(app, redis_url, queue_prefix, tmp_path)
    yield pool
    pool.stop()


@pytest.fixture
def smtp():
    """A local SMTP server (aiosmtpd) that keeps what it receives; `.config()` for the app."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver():
    """A local stand-in for the platform's webhook; `.script` the statuses it answers."""
    r = Receiver()
    r.start()
    yield r
    r.stop()


# One chromium for the whole run, shared by every directory's browser tests: Playwright's sync
# API allows only one running instance per thread.
@pytest.fixture(scope="session")
def browser():
    if not os.path.exists("/usr/bin/chromium"):
        if REQUIRE_SERVICES:
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
