"""整改 reminders before the fix-by date and escalations after it, through the sweep: each once."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.findings import lifecycle
from feedback.findings.importing import import_findings
from feedback.findings.models import Finding
from feedback.notices.models import Notification
from feedback.notices.notify import notices_for
from feedback.jobs.sweep import run_sweep
from feedback.timeutil import local_date

N = Notification


def told() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(N.kind, N.finding_id, N.unit_id, N.audience).where(N.finding_id.is_not(None))
                              .order_by(N.id)).all()
    return [tuple(r) for r in rows]


def test_remind_the_working_day_before_escalate_once_after(app, world, clock, notice_xlsx):
    # fix-by: A 11-30 (Mon, D1), B 11-25 (Wed, D1), C 12-10 (D3)
    a, b, c = import_findings(notice_xlsx, Actor.system("import"), clock())
    db.session.commit()
    a, b, c = a.id, b.id, c.id
    d1, c0, r1 = (world.units[code].id for code in ("D1", "C0", "R1"))

    # Tue 11-24: the first working day after today is Wed 11-25: B is reminded, not A or C
    counts = run_sweep(clock.set("2026-11-24T09:00:00+08:00"))
    assert (counts["finding_reminders"], counts["finding_escalations"]) == (1, 0)
    assert told() == [("finding_remind", b, d1, "unit_staff")]
    assert run_sweep(clock.advance(hours=3))["finding_reminders"] == 0  # never twice

    # Thu 11-26 00:00: B is overdue; supervisors of D1 and above (R1's east_boss, C0's boss) are told
    counts = run_sweep(clock.set("2026-11-26T00:00:01+08:00"))
    assert counts["finding_escalations"] == 2
    assert sorted(told()[1:]) == sorted([("finding_overdue", b, r1, "supervisor"),
                                         ("finding_overdue", b, c0, "supervisor")])
    # Fri 11-27: the first working day after is Mon 11-30: A is reminded; B's escalation stands
    counts = run_sweep(clock.set("2026-11-27T09:00:00+08:00"))
    assert (counts["finding_reminders"], counts["finding_escalations"]) == (1, 0)
    assert told()[-1] == ("finding_remind", a, d1, "unit_staff")

    # A reported in time is not escalated when its day passes; C stays quiet until its turn
    finding = db.session.get(lifecycle.Finding, a)
    lifecycle.apply(finding, "report", Actor.of(world.users["edu_clerk"]), clock(), {"text": "已整改"})
    db.session.commit()
    assert run_sweep(clock.set("2026-12-01T09:00:00+08:00"))["finding_escalations"] == 0
    assert len(told()) == 4

    # the clerk's and the supervisor's notice lists name the findings
    titles = [title for _n, title, _d in notices_for(world.users["edu_clerk"]).items]
    assert len(titles) == 2 and all("整改事项将于" in t for t in titles)
    [(notice, title, _d)] = notices_for(world.users["boss"]).items
    assert notice.finding_id == b and "已超期未完成" in title and "2026-11-25" in title
    assert local_date(notice.subject_at).isoformat() == "2026-11-25"
