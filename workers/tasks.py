"""RQ entry points (STYLE.md: Jobs). Each job takes simple arguments (ids, an ISO time), loads
what it needs and calls one feedback/ function, nothing more; each is safe to run twice.
Each runs inside `workers.context.job_context`, at `at` when time is injected.
"""
from __future__ import annotations

from workers.context import job_context


def sweep(at: str | None = None) -> dict:
    from feedback.jobs.sweep import run_sweep

    with job_context(at) as when:
        return run_sweep(when)


def send_mail(at: str | None = None) -> dict:
    from feedback.notices.outbox import send_pending_mail

    with job_context(at) as when:
        return send_pending_mail(when)


def deliver_platform_reply(delivery_id: int, at: str | None = None) -> str:
    from feedback.tickets.handback import deliver

    with job_context(at) as when:
        return deliver(delivery_id, when)


def recompute_and_notify(years=(), at: str | None = None) -> dict:
    from feedback.notices.notify import recompute_and_notify as run

    with job_context(at) as when:
        return run(list(years or ()), when)
