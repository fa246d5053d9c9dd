"""A ledger's history goes through the lifecycle (tickets/lifecycle.py: RULES): a row whose
history the lifecycle does not allow is a row error naming its column, and a row it allows ends
in the state, with the events, that the same steps through the lifecycle leave."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports.models import ImportRow
from feedback.tickets import reports
from tests.imports.files import write_csv
from tests.imports.test_import_run import LEDGER, local, run_import, start, ticket


def row_results(job) -> dict[str, tuple[str, str | None]]:
    return {pid: (status, reason) for pid, status, reason in db.session.execute(
        sa.select(ImportRow.platform_id, ImportRow.status, ImportRow.reason).where(ImportRow.job_id == job.id))}


def test_a_history_the_lifecycle_does_not_allow_is_refused_naming_the_column(world, tmp_path):
    path = write_csv(tmp_path / "台账.csv", header=LEDGER, rows=[
        # closed without a reply: 办结 is approving a reply, so there must be one
        ["N1", "2026-11-02 09:00", "x", "D1", "2026-11-02 10:00", "", "2026-11-04 15:00", "", "办结"],
        # closed by nobody: no unit ever had it
        ["N2", "2026-11-02 09:00", "x", "", "", "2026-11-03 10:00", "2026-11-04 15:00", "已改", "办结"],
        # a reply from no unit
        ["N3", "2026-11-02 09:00", "x", "", "", "2026-11-03 10:00", "", "已改", ""],
        # replied before it was assigned
        ["N4", "2026-11-02 09:00", "x", "D1", "2026-11-03 10:00", "2026-11-02 11:00", "", "已改", ""],
        # replied and still open: waiting for the office's review
        ["N5", "2026-11-02 09:00", "x", "D1", "2026-11-02 10:00", "2026-11-03 10:00", "", "已改", ""],
    ])
    job = run_import(start(path).id)
    results = row_results(job)
    assert {pid: status for pid, (status, _) in results.items()} == {
        "N1": "error", "N2": "error", "N3": "error", "N4": "error", "N5": "created"}
    assert results["N1"][1] == "答复时间: 状态为办结的行必须填写"
    assert "承办单位编码: 状态为办结的行必须填写" in results["N2"][1]
    assert results["N3"][1] == "承办单位编码: 填写了答复时间或办结时间时必须填写"
    assert results["N4"][1] == "答复时间: 早于转办时间"

    n5 = ticket("N5")
    assert (n5.state, n5.replied_at, n5.closed_at) == ("replied", local(2026, 11, 3, 10, 0), None)
    assert [(e.action, e.from_state, e.to_state) for e in n5.events] == [
        ("receive", None, "new"), ("assign", "new", "assigned"), ("reply", "assigned", "replied")]


def test_the_lifecycle_refuses_a_history_even_if_the_file_checks_let_it_through(world, tmp_path, monkeypatch):
    # The file's checks (tickets/reports.py) catch every history above first; this is the
    # lifecycle's own check behind them, which ingest runs on every row before storing it.
    monkeypatch.setattr(reports, "_check_history", lambda values, times, state, errors: None)
    path = write_csv(tmp_path / "台账.csv", header=LEDGER, rows=[
        ["G1", "2026-11-02 09:00", "x", "D1", "2026-11-02 10:00", "", "2026-11-04 15:00", "", "办结"],
        ["G2", "2026-11-02 09:00", "x", "D1", "2026-11-02 10:00", "2026-11-03 10:00", "2026-11-04 15:00", "已改",
         "办结"],
    ])
    job = run_import(start(path).id)
    results = row_results(job)
    # approving from 待签收 (assigned, never replied) is not a step the lifecycle has
    assert results["G1"] == ("error", "办结时间: 办理流程不允许对“待签收”的工单“审核通过，办结”")
    assert results["G2"][0] == "created"  # the good row of the same chunk is kept
    assert ticket("G2").state == "closed"
    assert db.session.execute(sa.select(sa.func.count()).select_from(ImportRow).where(
        ImportRow.job_id == job.id, ImportRow.platform_id == "G1", ImportRow.ticket_id.is_not(None))).scalar() == 0


def test_an_invalid_row_is_not_closed_and_is_judged_no_earlier_than_its_last_step(world, tmp_path):
    path = write_csv(tmp_path / "台账.csv", header=LEDGER, rows=[
        # 办结时间 on an invalid row is when it was judged invalid: not a close
        ["I1", "2026-11-02 09:00", "x", "D1", "2026-11-02 10:00", "2026-11-03 10:00", "2026-11-04 15:00", "已改",
         "无效"],
        # no 办结时间: judged after its reply at the earliest, not at its forwarding time
        ["I2", "2026-11-02 09:00", "x", "D1", "2026-11-02 10:00", "2026-11-03 10:00", "", "已改", "无效"],
    ])
    job = run_import(start(path).id)
    assert (job.created_rows, job.error_rows) == (2, 0)

    i1 = ticket("I1")
    assert (i1.state, i1.closed_at, i1.handling_workdays) == ("invalid", None, None)
    assert [(e.action, e.at, e.from_state, e.to_state) for e in i1.events][1:] == [
        ("assign", local(2026, 11, 2, 10, 0), "new", "assigned"),
        ("reply", local(2026, 11, 3, 10, 0), "assigned", "replied"),
        ("invalidate", local(2026, 11, 4, 15, 0), "replied", "invalid"),
    ]
    i2 = ticket("I2")
    assert [(e.action, e.at) for e in i2.events][-2:] == [
        ("reply", local(2026, 11, 3, 10, 0)), ("invalidate", local(2026, 11, 3, 10, 0))]
