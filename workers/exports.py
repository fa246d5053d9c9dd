"""RQ entry points for exports (STYLE.md: Jobs). Each loads by id or date and calls feedback/.

`rq worker feedback-exports` runs `run_export(job_id)`; the cron schedule calls
`monthly_exports(at)` (at: an ISO time or None for now) on the 1st of each month, and
`sweep_exports()` every few minutes.
Without Redis, feedback.jobs.queue calls these in-process, inside the caller's app context.
"""
from __future__ import annotations

from workers.context import job_context


def run_export(job_id: int) -> str | None:
    from feedback.exports.jobs import run_job

    with job_context():
        return run_job(int(job_id))


def sweep_exports() -> list[int]:
    """Periodic: start again export jobs lost with Redis or with a dead worker."""
    from feedback.exports.jobs import sweep

    with job_context():
        return sweep()


def monthly_exports(at: str | None = None) -> list[int]:
    from feedback.exports.jobs import monthly_exports as produce_monthly

    with job_context():
        return produce_monthly(at)
