"""The import tests' own helper; Redis, `rq worker`s, waiting and signing in are the toolkit's
(tests/support/, fixtures in tests/conftest.py)."""
from __future__ import annotations

from feedback.extensions import db
from feedback.jobs.models import ImportJob


def fresh(job_id: int) -> ImportJob:
    """The job as another process left it: end our transaction so the next read sees new commits."""
    db.session.rollback()
    return db.session.get(ImportJob, job_id)
