"""RQ entry points for exports (STYLE.md: Jobs). Each loads by id or date and calls feedback/.

`rq worker feedback-exports` runs `run_export(job_id)`; the cron schedule calls
`monthly_exports(at)` (at: an ISO time or None for now) on the 1st of each month, and
`sweep_exports()` every few minutes.
Without Redis, feedback.jobs.queue calls these in-process, inside the caller's app context.
"""
from __future__ import annotations

from contextlib import contextmanager

_app = None


@contextmanager
def app_context():
    """The running app's context when there is one (in-process), else a worker-wide app."""
    from flask import has_app_context

    if has_app_context():
        yield
        return
    global _app
    if _app is None:
        from feedback import create_app

        _app = create_app()
    with _app.app_context():
        yield


def run_export(job_id: int) -> str | None:
    from feedback.exports.jobs import run_job

    with app_context():
        return run_job(int(job_id))


def sweep_exports() -> list[int]:
    """Periodic: start again export jobs lost with Redis or with a dead worker."""
    from feedback.exports.jobs import sweep

    with app_context():
        return sweep()


def monthly_exports(at: str | None = None) -> list[int]:
    from feedback.exports.jobs import monthly_exports as produce_monthly

    with app_context():
        return produce_monthly(at)
