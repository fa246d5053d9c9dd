"""Kept figures (figures/kept.py): a result computed before is served again only while a fresh
computation would give the same; any write, by any path, and any instant of the data passing
makes the next call compute afresh. PostgreSQL only (SQLite keeps nothing: the suite's other
tests cover it computing every time)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.figures import kept as kept_module
from feedback.figures.closure import closure
from feedback.figures.series import monthly_series
from feedback.tickets.models import Ticket

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture(autouse=True)
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("figures are kept on PostgreSQL only (migration 0015)")
    kept_module.forget()
    yield
    kept_module.forget()


@contextmanager
def statements():
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def figures(actor, as_of, **kw):
    report = closure(actor, *NOVEMBER, as_of, **kw)
    db.session.commit()  # each call its own transaction, as each request has
    return report


def d1(report):
    return next(row.figures for row in report.rows if row.unit.code == "D1")


def fresh(actor, as_of, **kw):
    """closure() computed without anything kept."""
    kept_module.forget()
    return figures(actor, as_of, **kw)


def test_the_same_question_again_is_answered_from_what_was_kept(story, boss):
    story.receive("K1", "2026-11-02T09:00:00+08:00")
    story.reply("K1", "2026-11-03T09:00:00+08:00")
    story.approve("K1", "2026-11-03T10:00:00+08:00")
    first = figures(boss, at("2026-11-24T10:00:00+08:00"))
    with statements() as seen:
        again = figures(boss, at("2026-11-24T11:00:00+08:00"))
    assert len(seen) == 1  # the change check alone
    assert again.as_of == at("2026-11-24T11:00:00+08:00")  # as of the question asked
    assert again.total == first.total and d1(again).closed == 1


def test_a_write_through_the_api_is_seen_at_once(story, boss):
    story.receive("K1", "2026-11-02T09:00:00+08:00")
    as_of = at("2026-11-24T10:00:00+08:00")
    assert d1(figures(boss, as_of)).closed == 0
    story.reply("K1", "2026-11-03T09:00:00+08:00")
    story.approve("K1", "2026-11-03T10:00:00+08:00")
    report = figures(boss, as_of)
    assert (d1(report).closed, d1(report).on_time) == (1, 1)
    assert report.total == fresh(boss, as_of).total


def test_a_write_in_plain_sql_from_another_connection_is_seen(story, boss):
    story.receive("K1", "2026-11-02T09:00:00+08:00")
    as_of = at("2026-11-24T10:00:00+08:00")
    assert figures(boss, as_of).total.received == 1
    with db.engine.begin() as other:  # not the ORM, not this session
        other.execute(sa.update(Ticket.__table__).values(state="invalid"))
    assert figures(boss, as_of).total.received == 0


def test_a_deadline_passing_makes_pending_overdue(story, boss):
    story.receive("K1", "2026-11-20T09:00:00+08:00")  # D1's clock: 3 working days
    due = db.session.scalar(sa.select(Ticket.unit_due_at))
    db.session.commit()
    before = figures(boss, due)
    assert (before.total.pending, before.total.overdue_open) == (1, 0)
    after = figures(boss, due + timedelta(seconds=1))  # nothing written in between
    assert (after.total.pending, after.total.overdue_open) == (0, 1)


def test_a_result_is_not_served_for_an_earlier_time(story, boss):
    story.receive("K1", "2026-11-20T09:00:00+08:00")
    assert figures(boss, at("2026-11-24T10:00:00+08:00")).total.received == 1
    assert figures(boss, at("2026-11-19T10:00:00+08:00")).total.received == 0


def test_an_uncommitted_write_of_this_transaction_counts_for_it_alone(story, boss):
    story.receive("K1", "2026-11-02T09:00:00+08:00")
    as_of = at("2026-11-24T10:00:00+08:00")
    assert figures(boss, as_of).total.received == 1
    db.session.execute(sa.update(Ticket.__table__).values(state="invalid"))
    assert closure(boss, *NOVEMBER, as_of).total.received == 0  # its own write
    db.session.rollback()
    assert figures(boss, as_of).total.received == 1  # the rolled-back figures were not kept


def test_a_new_unit_appears(story, boss, world):
    from feedback.directory.admin import add_unit

    as_of = at("2026-11-24T10:00:00+08:00")
    assert "D99" not in {row.unit.code for row in figures(boss, as_of).rows}
    add_unit("D99", "新部门", "department", world.units["C0"])
    db.session.commit()
    assert "D99" in {row.unit.code for row in figures(boss, as_of).rows}


def test_the_series_sees_a_closure(story, boss):
    story.receive("K1", "2026-11-02T09:00:00+08:00")
    as_of = at("2026-11-24T10:00:00+08:00")
    assert monthly_series(boss, as_of)[-1].figures.closed == 0
    db.session.commit()
    story.reply("K1", "2026-11-03T09:00:00+08:00")
    story.approve("K1", "2026-11-03T10:00:00+08:00")
    points = monthly_series(boss, as_of)
    assert (points[-1].month, points[-1].figures.closed) == (date(2026, 11, 1), 1)


def xmin_now() -> int:
    """The oldest transaction still running (server-wide): what a prune can raise the horizon to."""
    value = int(db.session.scalar(sa.text("SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)")))
    db.session.commit()
    return value


def assert_pruned_up_to(xmin: int) -> None:
    """The horizon rose to at least `xmin` and no row below it is left. (Another database's long
    transaction on the same server holds the horizon down, which only means fewer rows go.)"""
    horizon = int(db.session.scalar(sa.text("SELECT CAST(horizon AS text) FROM figures_prune WHERE id = 1")))
    below = db.session.scalar(sa.text("SELECT count(*) FROM figures_changes WHERE xid < "
                                      "(SELECT horizon FROM figures_prune WHERE id = 1)"))
    db.session.commit()
    assert horizon >= xmin and below == 0


def test_pruning_the_change_log_drops_trust_in_older_results(story, boss):
    story.receive("K1", "2026-11-02T09:00:00+08:00")
    as_of = at("2026-11-24T10:00:00+08:00")
    figures(boss, as_of)
    story.reply("K1", "2026-11-03T09:00:00+08:00")
    story.approve("K1", "2026-11-03T10:00:00+08:00")
    before = xmin_now()
    kept_module.prune(db.session.connection(), above=0)
    db.session.commit()
    assert_pruned_up_to(before)
    assert d1(figures(boss, as_of)).closed == 1  # computed afresh, not the kept 0
    with statements() as seen:
        figures(boss, as_of)
    assert len(seen) == 1  # kept again after the prune


def test_the_metrics_endpoint_follows_an_approval(story, world):
    story.receive("K1", "2026-11-02T09:00:00+08:00")
    story.reply("K1", "2026-11-03T09:00:00+08:00")
    query = {"from": "2026-11-01", "to": "2026-11-30"}
    headers = world.headers("boss")
    first = story.client.get("/api/v1/metrics/closure", query_string=query, headers=headers).get_json()
    story.approve("K1", "2026-11-03T10:00:00+08:00")
    second = story.client.get("/api/v1/metrics/closure", query_string=query, headers=headers).get_json()
    assert (first["total"]["closed"], second["total"]["closed"]) == (0, 1)


def test_the_sweep_prunes_a_long_change_log(story, boss, clock):
    from feedback.jobs.sweep import run_sweep

    story.receive("K1", "2026-11-02T09:00:00+08:00")
    as_of = at("2026-11-24T10:00:00+08:00")
    db.session.execute(sa.text(  # old transaction ids, as months of writes leave them
        "INSERT INTO figures_changes (xid) SELECT CAST(CAST(n AS text) AS xid8) FROM generate_series(3, :n) AS n "
        "ON CONFLICT DO NOTHING"), {"n": kept_module.PRUNE_ABOVE + 10})
    db.session.commit()
    assert figures(boss, as_of).total.received == 1
    before = xmin_now()
    run_sweep(clock.set("2026-11-24T10:00:00+08:00"))
    assert_pruned_up_to(before)
    story.reply("K1", "2026-11-03T09:00:00+08:00")
    story.approve("K1", "2026-11-03T10:00:00+08:00")
    assert figures(boss, as_of).total.closed == 1
