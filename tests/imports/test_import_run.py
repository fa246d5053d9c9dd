"""Running an import: historical rows, idempotency, resuming after a crash, losing a claim,
scope, and the sweep that finds imports nobody is running."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports import run as imports
from feedback.imports.run import create_import, requeue_stalled_imports, run_import
from feedback.imports.models import ImportJob, ImportRow
from feedback.tickets.models import Ticket, TicketEvent
from feedback.timeutil import LOCAL
from tests.factories import make_user
from tests.imports.files import row, write_csv

LEDGER = ["留言编号", "转办时间", "问题描述", "承办单位编码", "转办单位时间", "答复时间", "办结时间", "答复内容", "状态"]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL)


def start(path, owner=None, origin="web") -> ImportJob:
    job = create_import(path, path.name, owner=owner, origin=origin)
    db.session.commit()
    return job


def ticket(pid: str) -> Ticket:
    return db.session.execute(sa.select(Ticket).where(Ticket.platform_id == pid)).scalar_one()


def count(model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def test_history_rows_become_tickets_whose_figures_columns_and_events_reproduce_the_ledger(world, tmp_path, clock):
    path = write_csv(tmp_path / "台账.csv", header=LEDGER, rows=[
        ["H1", "2026-09-30 15:00", "栏目链接打不开", "D1", "2026-09-30 15:00", "2026-10-09 10:00", "2026-10-09 16:00",
         "已修复", "办结"],
        ["H2", "2026-11-02 09:00", "错别字", "D2", "2026-11-02 10:00", "2026-11-06 17:00", "2026-11-09 09:00",
         "已更正", "办结"],
        ["H3", "2026-11-03 09:00", "重复留言", "", "", "", "", "", "无效"],
        ["H4", "2026-11-20 10:00", "信息不更新", "D1", "2026-11-20 10:00", "", "", "", ""],
    ])
    job = run_import(start(path).id)
    assert (job.created_rows, job.error_rows) == (4, 0)

    h1 = ticket("H1")
    assert (h1.state, h1.unit.code) == ("closed", "D1")
    assert h1.assigned_at == local(2026, 9, 30, 15, 0)
    # DESIGN.md example: Wed 30 Sep + 3 working days → Oct 8, Oct 9, Sat Oct 10 (make-up workday)
    assert h1.unit_due_at == local(2026, 10, 10, 23, 59, 59)
    assert (h1.replied_at, h1.closed_at) == (local(2026, 10, 9, 10, 0), local(2026, 10, 9, 16, 0))
    assert h1.replied_at <= h1.unit_due_at  # 按期办结
    assert h1.handling_workdays == 2  # Oct 8, Oct 9 (Oct 1–7 is the National Day holiday)
    assert [(e.action, e.at, e.to_state) for e in h1.events] == [
        ("receive", local(2026, 11, 24, 10, 0), "new"),  # when the import ran (the injected clock)
        ("assign", local(2026, 9, 30, 15, 0), "assigned"),
        ("reply", local(2026, 10, 9, 10, 0), "replied"),
        ("approve", local(2026, 10, 9, 16, 0), "closed"),
    ]
    assert h1.events[2].data == {"text": "已修复", "historical": True}

    h2 = ticket("H2")
    # Mon 2 Nov + 3 → Nov 3, 4, 5; the reply on Fri Nov 6 is late (超期办结)
    assert h2.unit_due_at == local(2026, 11, 5, 23, 59, 59)
    assert h2.replied_at > h2.unit_due_at
    assert h2.handling_workdays == 4  # Nov 3, 4, 5, 6

    h3 = ticket("H3")
    assert (h3.state, h3.unit_id) == ("invalid", None)
    assert [(e.action, e.at) for e in h3.events][-1] == ("invalidate", local(2026, 11, 3, 9, 0))

    h4 = ticket("H4")
    # Fri 20 Nov + 3 → Nov 23, 24, 25: still open and not yet due on the 24th
    assert (h4.state, h4.unit_due_at, h4.replied_at) == ("assigned", local(2026, 11, 25, 23, 59, 59), None)


def test_importing_the_same_file_again_creates_nothing_new(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", [row("D1"), row("D2"), row("D3", url="http://nowhere.example/")])
    first = run_import(start(path).id)
    events = count(TicketEvent)
    second = run_import(start(path).id)
    assert (first.created_rows, first.duplicate_rows) == (3, 0)
    assert (second.created_rows, second.duplicate_rows, second.error_rows) == (0, 3, 0)
    assert count(Ticket) == 3 and count(TicketEvent) == events
    ids = lambda job: db.session.execute(sa.select(ImportRow.ticket_id).where(ImportRow.job_id == job.id)
                                         .order_by(ImportRow.row)).scalars().all()
    assert ids(second) == ids(first)


def test_a_repeated_id_inside_one_file_is_a_duplicate_of_its_first_row(world, tmp_path):
    path = write_csv(tmp_path / "twice.csv", [row("Q1"), row("Q2"), row("Q1", description="第二次")])
    job = run_import(start(path).id)
    assert (job.created_rows, job.duplicate_rows) == (2, 1)
    assert ticket("Q1").description == "首页“通知公告”栏目链接打不开"


def _ten_rows(tmp_path):
    return write_csv(tmp_path / "ten.csv", [row(f"C{i:02d}") for i in range(10)])


def _assert_imported_exactly_once(job, n=10):
    assert job.status == "done"
    assert (job.created_rows, job.duplicate_rows, job.error_rows) == (n, 0, 0)
    assert count(Ticket) == n
    assert count(TicketEvent, TicketEvent.action == "receive") == n
    rows = db.session.execute(sa.select(ImportRow.row).where(ImportRow.job_id == job.id)).scalars().all()
    assert sorted(rows) == list(range(2, n + 2))


def test_a_run_that_dies_after_a_chunk_resumes_after_it(app, world, tmp_path, clock):
    app.config["IMPORT_CHUNK_ROWS"] = 4
    job = start(_ten_rows(tmp_path))

    def die(job):
        raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        run_import(job.id, progress=die)
    db.session.rollback()
    job = db.session.get(ImportJob, job.id)
    assert (job.status, job.rows_done, job.created_rows) == ("running", 4, 4)  # chunk 1 (rows 2–5) committed

    assert requeue_stalled_imports(clock()) == []  # the heartbeat is fresh: still taken for alive
    clock.advance(seconds=app.config["IMPORT_STALE_SECONDS"] + 1)
    assert requeue_stalled_imports(clock()) == [job.id]  # in-process here: it runs right away
    db.session.refresh(job)
    _assert_imported_exactly_once(job)
    assert job.attempts == 2


def test_a_run_that_dies_inside_a_chunk_leaves_nothing_of_it(app, world, tmp_path, clock, monkeypatch):
    app.config["IMPORT_CHUNK_ROWS"] = 4
    job = start(_ten_rows(tmp_path))
    calls = []

    def ingest_then_die(*args, **kwargs):
        results = real_ingest(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:  # chunk 2's tickets are inserted, not yet committed
            raise RuntimeError("killed mid-chunk")
        return results

    real_ingest = imports.ingest
    monkeypatch.setattr(imports, "ingest", ingest_then_die)
    with pytest.raises(RuntimeError):
        run_import(job.id)
    db.session.rollback()
    assert count(Ticket) == 4  # chunk 2 went with its transaction
    monkeypatch.setattr(imports, "ingest", real_ingest)

    clock.advance(seconds=app.config["IMPORT_STALE_SECONDS"] + 1)
    assert requeue_stalled_imports(clock()) == [job.id]
    _assert_imported_exactly_once(db.session.get(ImportJob, job.id))


def test_a_run_judged_dead_stops_before_writing_once_another_has_taken_over(app, world, tmp_path, clock, caplog):
    app.config["IMPORT_CHUNK_ROWS"] = 4
    job = start(_ten_rows(tmp_path))
    taken_over = []

    def stall_then_lose_the_job(job):
        if not taken_over:  # after chunk 1 the run stalls past the limit; the sweep hands the job on
            taken_over.append(True)
            clock.advance(seconds=app.config["IMPORT_STALE_SECONDS"] + 1)
            assert requeue_stalled_imports(clock()) == [job.id]  # the new run finishes it, in-process

    with caplog.at_level(logging.WARNING, logger="feedback.imports.run"):
        job = run_import(job.id, progress=stall_then_lose_the_job)
    assert "was taken over by another run" in caplog.text
    _assert_imported_exactly_once(job)


def test_a_supervisor_files_history_only_against_units_in_their_subtree(world, tmp_path):
    path = write_csv(tmp_path / "east.csv", header=LEDGER, rows=[
        ["S1", "2026-11-02 09:00", "x", "D1", "2026-11-02 10:00", "", "", "", ""],  # 东城县教育局: R1's
        ["S2", "2026-11-02 09:00", "y", "D3", "2026-11-02 10:00", "", "", "", ""],  # 西城区人社局: R2's
    ])
    job = run_import(start(path, owner=world.users["east_boss"]).id)
    assert (job.created_rows, job.error_rows) == (1, 1)
    reason = db.session.execute(sa.select(ImportRow.reason).where(ImportRow.job_id == job.id, ImportRow.row == 3)).scalar()
    assert reason == "承办单位编码: D3 不在你管辖的单位范围内"
    assert ticket("S1").events[0].actor == "east_boss"


def test_the_sweep_restarts_only_imports_nobody_is_running(app, world, tmp_path, clock):
    stale = timedelta(seconds=app.config["IMPORT_STALE_SECONDS"] + 1)
    path = write_csv(tmp_path / "one.csv", [row("W1")])
    never_queued = start(path)  # Redis was down at upload: no enqueued_at
    alive = start(path)
    alive.status, alive.heartbeat_at, alive.runner = "running", clock() - timedelta(seconds=10), "h:1:a"
    cli_dead = start(path, origin="cli")
    cli_dead.status, cli_dead.heartbeat_at = "running", clock() - stale
    worn_out = start(path)
    worn_out.status, worn_out.heartbeat_at, worn_out.attempts = "running", clock() - stale, imports.MAX_ATTEMPTS
    db.session.commit()

    assert requeue_stalled_imports(clock()) == [never_queued.id]
    for job in (never_queued, alive, cli_dead, worn_out):
        db.session.refresh(job)
    assert (never_queued.status, never_queued.created_rows) == ("done", 1)
    assert (alive.status, alive.runner) == ("running", "h:1:a")
    assert cli_dead.status == "failed" and "请重新运行 feedback import" in cli_dead.error
    assert worn_out.status == "failed" and f"已中断 {imports.MAX_ATTEMPTS} 次" in worn_out.error


def test_an_import_is_seen_by_the_subtree_that_started_it(app, world, tmp_path):
    from feedback.accounts.scope import Actor
    from feedback.errors import NotFound
    from feedback.imports.results import get_import

    west = make_user(world, "west_boss", "supervisor", "R2")
    db.session.commit()
    path = write_csv(tmp_path / "one.csv", [row("V1")])
    by_east, by_cli = start(path, owner=world.users["east_boss"]), start(path, origin="cli")
    assert get_import(Actor.of(world.users["boss"]), by_east.id) and get_import(Actor.of(world.users["boss"]), by_cli.id)
    assert get_import(Actor.of(world.users["east_boss"]), by_east.id)
    for who, job in ((west, by_east), (world.users["east_boss"], by_cli)):
        with pytest.raises(NotFound):
            get_import(Actor.of(who), job.id)
