"""RQ entry points for file imports: load by id, call feedback.imports.run, nothing more."""
from __future__ import annotations

from contextlib import contextmanager

from flask import has_app_context


@contextmanager
def _app_context():
    """In a worker, an app built from the environment; in-process (no REDIS_URL), the caller's."""
    if has_app_context():
        yield
        return
    from feedback import create_app
    from feedback.extensions import db

    app = create_app()
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def run_import(import_id: int) -> None:
    from feedback.imports.run import run_import as run

    with _app_context():
        run(import_id)


def requeue_stalled_imports() -> list[int]:
    """For the cron schedule (every few minutes)."""
    from feedback.imports.run import requeue_stalled_imports as sweep
    from feedback.timeutil import now

    with _app_context():
        return sweep(now())
