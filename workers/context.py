"""The one way an RQ job runs inside the application (STYLE.md: Jobs).

A worker has no app of its own: `application()` builds one from the environment (DATABASE_URL,
REDIS_URL, FEEDBACK_*), once per process, as a web process builds its own. With
`-c workers.settings` it is built in the worker's main process (`preload`), before rq forks a
work horse per job, so each job starts warm. In-process (no REDIS_URL) a job runs inside its
caller's app context instead.

`at` is given only when time is injected (feedback/jobs/timing.py); otherwise the job runs at
the worker's now.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext

from flask import has_app_context

_app = None


def application():
    global _app
    if _app is None:
        from feedback import create_app

        _app = create_app()
    return _app


def preload() -> None:
    """Build the app and import every job's module in the worker's main process, so a forked
    job does not import everything again. Creating the app opens no database connection, so
    nothing is shared across the fork."""
    from feedback.exports import jobs as exports  # noqa: F401
    from feedback.imports import run  # noqa: F401
    from feedback.jobs import sweep  # noqa: F401
    from feedback.notices import notify, outbox  # noqa: F401
    from feedback.tickets import handback  # noqa: F401

    application()


@contextmanager
def job_context(at: str | None = None):
    """Run a job's body in the app context (the caller's, or this process's app) with its time
    injected; yields the time the job runs at."""
    from feedback.jobs.timing import running_at

    with nullcontext() if has_app_context() else application().app_context():
        with running_at(at) as when:
            yield when
