"""One seeded demo city per module: seeding takes seconds, so the read-only tests share it."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from feedback import create_app
from feedback.extensions import db
from feedback.timeutil import LOCAL
from tests.conftest import Clock, _empty_tables

AT = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday, a working day


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    """`feedback seed-demo` run once on an empty database with the clock frozen at AT."""
    tmp = tmp_path_factory.mktemp("demo")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "REDIS_URL": None, "CLOCK": Clock(AT),
        "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test",
        "EXPORT_DIR": str(tmp / "exports"), "UPLOAD_DIR": str(tmp / "uploads"),
    })
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        db.session.remove()
        yield SimpleNamespace(app=app, result=result)
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def demo_client(demo):
    return demo.app.test_client()
