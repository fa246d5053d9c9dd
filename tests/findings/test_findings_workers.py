"""An overdue finding escalates once with real Redis and real `rq worker`s, also when the job that
should have sent its e-mail was lost with Redis (the sweep finds it again from the rows)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.findings.importing import import_findings
from feedback.notices.models import Notification
from feedback.jobs.sweep import run_sweep
from tests.support.api import give_emails
from tests.support.services import closed_redis_url, run_job, wait_for

pytestmark = pytest.mark.services
N = Notification
OVERDUE_B = "2026-11-26T08:00:00+08:00"  # finding B (fix-by Wed 11-25) is a day past


def test_overdue_finding_escalates_once_though_redis_lost_the_mail_job(app, world, clock, notice_xlsx, smtp,
                                                                       workers):
    app.config.update(smtp.config())
    give_emails(world)
    [_a, b, _c] = import_findings(notice_xlsx, Actor.system("import"), clock())
    db.session.commit()

    # Redis is down while the sweep runs here: the escalations are recorded, their mail job is lost
    app.config["REDIS_URL"] = closed_redis_url()
    clock.set(OVERDUE_B)
    counts = run_sweep(clock())
    assert (counts["finding_escalations"], counts["mail_due"]) == (2, 2)
    assert smtp.messages == []

    # Redis is back: the next sweep, queued as rq cron would, on a real worker, finds the mail due
    app.config["REDIS_URL"] = workers.redis_url
    workers.start(2)
    counts = run_job("workers.tasks.sweep", OVERDUE_B, workers=workers)
    assert (counts["finding_escalations"], counts["mail_due"]) == (0, 2)
    wait_for(lambda: db.session.execute(sa.select(N.email_status).where(N.finding_id == b.id)).scalars().all()
             == ["sent", "sent"], "the escalation e-mails", workers)
    # and again later: nobody is told twice
    assert run_job("workers.tasks.sweep", "2026-11-26T20:00:00+08:00", workers=workers)["finding_escalations"] == 0
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["boss@office.example", "east_boss@office.example"]
    assert all("整改" in m.subject and "2026-11-25" in m.body for m in smtp.messages)
    assert db.session.execute(sa.select(N.kind).where(N.finding_id.is_not(None))).scalars().all() == ["finding_overdue"] * 2
