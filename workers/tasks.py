"""RQ entry points (STYLE.md: Jobs). Each job takes simple arguments (ids, an ISO time), loads
what it needs and calls one feedback/ function, nothing more; each is safe to run twice.

`at` is given only when time is injected (feedback/jobs/timing.py); otherwise the job runs at
the worker's now. Inside a worker there is no app yet: one is made from the environment
(DATABASE_URL, REDIS_URL, FEEDBACK_*), as the web process makes its own.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext

from flask import has_app_context

_app = None


def _application():
    global _app
    if _app is None:
        from feedback import create_app

        _app = create_app()
    return _app


def preload() -> None:
    """Build the app in the worker's main process, before it forks a process per job, so a job
    starts warm instead of importing everything again (about two seconds each). Creating the
    app opens no database connection, so nothing is shared across the fork."""
    from feedback.jobs import sweep  # noqa: F401
    from feedback.notices import notify, outbox  # noqa: F401
    from feedback.tickets import handback  # noqa: F401

    _application()


@contextmanager
def _job(at: str | None):
    from feedback.jobs.timing import running_at

    # In-process (no REDIS_URL) a job runs inside its caller's app context.
    with nullcontext() if has_app_context() else _application().app_context():
        with running_at(at) as when:
            yield when


def sweep(at: str | None = None) -> dict:
    from feedback.jobs.sweep import run_sweep

    with _job(at) as when:
        return run_sweep(when)


def send_mail(at: str | None = None) -> dict:
    from feedback.notices.outbox import send_pending_mail

    with _job(at) as when:
        return send_pending_mail(when)


def deliver_platform_reply(delivery_id: int, at: str | None = None) -> str:
    from feedback.tickets.handback import deliver

    with _job(at) as when:
        return deliver(delivery_id, when)


def recompute_and_notify(years=(), at: str | None = None) -> dict:
    from feedback.notices.notify import recompute_and_notify as run

    with _job(at) as when:
        return run(list(years or ()), when)
