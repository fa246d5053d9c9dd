"""The periodic sweep (DESIGN.md: Background work): the database is the source of truth.

Every few minutes `rq cron` queues a sweep (workers/cron.py); without Redis, `feedback sweep`
runs it. It finds what is due from rows — reminders not yet sent, tickets gone overdue, the
day's digests, e-mail copies and platform deliveries whose next try has come — so a job lost
with Redis or a worker is simply found again next time. Each finding is one set-based query,
never a query per ticket; the sending is queued as separate jobs.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.findings import reminders as finding_reminders
from feedback.jobs.queue import enqueue
from feedback.imports.retention import expire_imports
from feedback.jobs.timing import job_at
from feedback.notices import notify, outbox
from feedback.tickets import handback


def run_sweep(at: datetime) -> dict:
    """Record every notice due at `at`, then queue the sending. Returns counts of what it found."""
    calendar = current_calendar()
    counts = {
        "reminders": notify.queue_reminders(at, calendar),
        "escalations": notify.queue_escalations(at),
        "digests": notify.queue_digests(at, calendar),
        "finding_reminders": finding_reminders.queue_reminders(at, calendar),
        "finding_escalations": finding_reminders.queue_escalations(at),
    }
    db.session.commit()

    # import results and uploaded files past their keeping time (imports/retention.py)
    counts["imports_expired"] = expire_imports(at)

    counts["mail_due"] = outbox.mail_due_count(at)
    if counts["mail_due"]:
        enqueue("workers.tasks.send_mail", job_at(at), queue_name="notify")

    due = handback.due_deliveries(at)
    counts["deliveries_due"] = len(due)
    if due and current_app.config.get("PLATFORM_WEBHOOK_URL"):
        for delivery_id in due:
            enqueue("workers.tasks.deliver_platform_reply", delivery_id, job_at(at), queue_name="notify")
    return counts
