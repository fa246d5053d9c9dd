"""One seeded demo city per module: seeding takes seconds, so the read-only tests share it."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from feedback.extensions import db
from feedback.timeutil import LOCAL
from tests.conftest import Clock
from tests.support.apps import test_app

AT = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday, a working day


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    """`feedback seed-demo` run once on an empty database with the clock frozen at AT."""
    with test_app(database_url, Clock(AT), tmp_path_factory.mktemp("demo")) as app:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        db.session.remove()
        yield SimpleNamespace(app=app, result=result)


@pytest.fixture
def demo_client(demo):
    return demo.app.test_client()
