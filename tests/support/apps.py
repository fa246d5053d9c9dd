"""The app a test runs against, and the emptying after it: one construction for the per-test
`app` fixture and for the module-scoped worlds (the demo, the transition table)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from feedback import create_app
from feedback.extensions import db


@contextmanager
def test_app(database_url: str, clock, tmp: Path):
    """The app on `database_url` with the clock injected, no Redis (jobs run in-process), files
    under `tmp`; inside its app context. Afterwards every table is emptied."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "REDIS_URL": None,
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": False,
        "EXPORT_DIR": str(tmp / "exports"),
        "UPLOAD_DIR": str(tmp / "uploads"),
        "SECRET_KEY": "test",
    })
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            empty_tables()
            db.engine.dispose()


test_app.__test__ = False  # a helper, not a test pytest should collect


def empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
