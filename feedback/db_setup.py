"""Engine tweaks: SQLite needs foreign keys and a busy timeout to behave like a server."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def install_sqlite_pragmas(app) -> None:
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - driver hook
        module = type(dbapi_connection).__module__
        if not module.startswith("sqlite3"):
            return
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def only_on(*dialects: str) -> dict:
    """An index's `info` marking it as built on these dialects alone (with Index.ddl_if): SQLite
    has no INCLUDE, so a covering index there is a second index with the columns as keys."""
    return {"dialects": dialects}


def include_object_for(dialect: str):
    """Alembic's include_object hook for `dialect`: leaves out of the comparison of models and
    database the indexes only_on() keeps to other dialects."""
    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "index" and not reflected:
            dialects = obj.info.get("dialects")
            return dialects is None or dialect in dialects
        return True
    return include_object
