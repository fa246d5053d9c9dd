"""RQ entry points for file imports: load by id, call feedback.imports, nothing more."""
from __future__ import annotations

from workers.context import job_context


def run_import(import_id: int) -> None:
    from feedback.imports.run import run_import as run

    with job_context():
        run(import_id)


def requeue_stalled_imports() -> list[int]:
    """For the cron schedule (every few minutes)."""
    from feedback.imports.run import requeue_stalled_imports as sweep

    with job_context() as when:
        return sweep(when)
