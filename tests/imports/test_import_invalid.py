"""A ledger's invalid messages (状态 无效 + 办结时间, CONTRACT.md: Import file): the ticket becomes
invalid at the time it was judged so, with its events, with or without 承办单位编码."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports.models import ImportRow
from feedback.tickets.handoffs import HandOff
from tests.imports.files import write_csv
from tests.imports.test_import_run import LEDGER, local, run_import, start, ticket


def test_invalid_rows_with_their_judgement_time_are_imported(world, tmp_path):
    path = write_csv(tmp_path / "台账.csv", header=LEDGER, rows=[
        # judged invalid in the office's triage; its URL-less text would not route anyway
        ["V1", "2026-11-02 09:00", "测试留言", "", "", "", "2026-11-03 10:00", "", "无效"],
        # assigned to 教育局 first, judged invalid two days later
        ["V2", "2026-11-02 09:00", "广告", "D1", "2026-11-02 10:00", "", "2026-11-04 15:00", "", "无效"],
        # invalid before it arrived: refused, naming 办结时间's order
        ["V3", "2026-11-02 09:00", "x", "", "", "", "2026-11-01 10:00", "", "无效"],
        # a close time on an open row is still refused
        ["V4", "2026-11-02 09:00", "x", "", "", "", "2026-11-03 10:00", "", ""],
    ])
    job = run_import(start(path).id)
    assert (job.created_rows, job.error_rows) == (2, 2)

    v1 = ticket("V1")
    assert (v1.state, v1.unit_id, v1.invalid_reason) == ("invalid", None, "导入时标记为无效")
    assert [(e.action, e.from_state, e.to_state) for e in v1.events] == [
        ("receive", None, "new"), ("invalidate", "new", "invalid")]
    assert v1.events[-1].at == local(2026, 11, 3, 10, 0)

    v2 = ticket("V2")
    assert (v2.state, v2.unit.code) == ("invalid", "D1")
    assert [(e.action, e.at, e.to_state) for e in v2.events][1:] == [
        ("assign", local(2026, 11, 2, 10, 0), "assigned"),
        ("invalidate", local(2026, 11, 4, 15, 0), "invalid"),
    ]
    # its hand-off: from the city office to 教育局 on Mon 2 Nov, due Thu 5 Nov
    [handoff] = db.session.execute(sa.select(HandOff).where(HandOff.ticket_id == v2.id)).scalars().all()
    assert (handoff.by_unit.code, handoff.to_unit.code, handoff.due_at) == (
        "C0", "D1", local(2026, 11, 5, 23, 59, 59))

    errors = dict(db.session.execute(sa.select(ImportRow.platform_id, ImportRow.reason)
                                     .where(ImportRow.job_id == job.id, ImportRow.status == "error")).all())
    assert set(errors) == {"V3", "V4"}
    assert "办结时间" in errors["V3"] and "状态" in errors["V4"]
