"""series.monthly_series (settled counts kept by triggers + the tickets open at T) says, month by
month, what closure() says for that month — for T now and in the past, every scope and role, and
after every kind of write; and settled_month_counts always equals its recount from scratch."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.accounts.scope import Actor
from feedback.errors import InputError
from feedback.extensions import db
from feedback.figures.closure import closure, resolve_scope
from feedback.figures.models import DAY_COLUMNS, SettledDayCount, SettledMonthCount, day_recount, recount, refill
from feedback.figures.series import monthly_series
from feedback.directory.models import Unit
from feedback.tickets.models import Ticket
from feedback.timeutil import LOCAL, UTC
from tests.figures.worlds import OCTOBER_AS_OF, as_of_corners

KEYS = ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate")
AS_OF = datetime.fromisoformat(OCTOBER_AS_OF)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def chart(figures) -> dict:
    return {key: getattr(figures, key) for key in KEYS}


def full_table() -> set[tuple]:
    """Every column: (unit_id, month, closed, on_time, timed, micros, days_n, days)."""
    s = SettledMonthCount
    return set(db.session.execute(sa.select(s.unit_id, s.month, s.closed, s.on_time, s.timed, s.micros, s.days_n,
                                            s.days)).tuples())


def table() -> set[tuple]:
    """The counts only: (unit_id, month, closed, on_time)."""
    return {r[:4] for r in full_table()}


def recounted() -> set[tuple]:
    rows = set()
    for u, m, *sums in db.session.execute(recount()).tuples():
        assert all(type(v) is int for v in sums), sums  # exact integers on both databases
        rows.add((u, m if isinstance(m, date) else date.fromisoformat(m), *sums))
    return rows


def day_table() -> set[tuple]:
    p = SettledDayCount
    return set(db.session.execute(sa.select(*(getattr(p, name) for name in DAY_COLUMNS))).tuples())


def day_recounted() -> set[tuple]:
    rows = set()
    for m, day, *sums in db.session.execute(day_recount()).tuples():
        assert all(type(v) is int for v in sums), sums
        rows.add((m if isinstance(m, date) else date.fromisoformat(m), day, *sums))
    return rows


def assert_table_is_exact() -> None:
    """Both rollups the triggers keep equal their recounts from scratch."""
    db.session.expire_all()
    assert full_table() == recounted()
    assert day_table() == day_recounted()


def assert_series_matches(actor: Actor, as_of: datetime, *, months: int = 12, unit_code: str | None = None):
    """Every month of the series equals closure()'s total for that month."""
    series = monthly_series(actor, as_of, months=months, unit_code=unit_code)
    assert len(series) == months and series[-1].month == as_of.astimezone(LOCAL).date().replace(day=1)
    for point in series:
        assert point.date_from == point.month and point.date_to.month == point.month.month
        assert (point.date_to + timedelta(days=1)).day == 1  # the month's last day
        want = closure(actor, point.date_from, point.date_to, as_of, unit_code=unit_code).total
        assert chart(point.figures) == chart(want), (point.month, as_of, unit_code)
        f = point.figures
        assert f.avg_handling_hours is f.median_handling_hours is f.p90_handling_hours is None
        assert f.avg_handling_workdays is None and f.platform is None
    return series


# T in the past: before and after replies, a rejection (T3 Oct 16, T4 Oct 19), an extension decided
# after T (T5 Oct 19 15:00), a return and reassignment (T6 Oct 20/21), invalidations (Oct 20),
# closes (Oct 15 … Oct 27), the make-up Saturday (T17), and months before and after.
OCTOBER_TIMES = ["2026-10-01T12:00:00+08:00", "2026-10-13T12:00:00+08:00", "2026-10-15T08:00:00+08:00",
                 "2026-10-16T12:00:00+08:00", "2026-10-19T12:00:00+08:00", "2026-10-20T12:00:00+08:00",
                 "2026-10-21T12:00:00+08:00", "2026-10-23T12:00:00+08:00", "2026-10-27T08:00:00+08:00",
                 "2026-10-31T23:59:59+08:00", OCTOBER_AS_OF, "2026-11-24T10:00:00+08:00", "2027-03-01T09:00:00+08:00"]


def test_october_world_as_of_each_time(oct_world, boss):
    assert_table_is_exact()
    for text in OCTOBER_TIMES:
        assert_series_matches(boss, at(text))
    series = assert_series_matches(boss, AS_OF, months=3)
    october_point = series[1]
    assert october_point.month == date(2026, 10, 1)
    # test_closure.py counts October as of Nov 2 by hand: the whole city's cohort
    assert (october_point.figures.received, october_point.figures.closed) == (13, 8)


def test_as_of_corners(story, boss):
    as_of_corners(story)
    assert_table_is_exact()
    for text in ("2026-10-12T12:00:00+08:00", "2026-10-14T12:00:00+08:00", "2026-10-15T23:59:59+08:00",
                 "2026-10-16T08:00:00+08:00", "2026-10-16T12:00:00+08:00", "2026-10-19T08:59:59+08:00",
                 "2026-10-19T12:00:00+08:00", "2026-10-20T12:00:00+08:00", "2026-10-20T16:00:00+08:00",
                 "2026-10-22T12:00:00+08:00", "2026-11-02T12:00:00+08:00"):
        assert_series_matches(boss, at(text), months=2)


@pytest.mark.parametrize("who,unit_code", [
    ("boss", "C0"), ("boss", "R1"), ("boss", "D1"), ("boss", "D2"), ("boss", "D3"), ("boss", "R2"),
    ("east_boss", None), ("east_boss", "D2"), ("watcher", None), ("watcher", "R1"),
    ("edu_clerk", None), ("edu_clerk", "D1"), ("health_clerk", None),
])
def test_each_scope_and_role(oct_world, world, who, unit_code):
    actor = Actor.of(world.users[who])
    for text in ("2026-10-20T12:00:00+08:00", OCTOBER_AS_OF):
        assert_series_matches(actor, at(text), months=3, unit_code=unit_code)


def test_the_system_actor_and_several_top_units(oct_world):
    assert_series_matches(Actor.system(), AS_OF, months=3)
    from feedback.directory.admin import add_unit

    other = add_unit("Z0", "另一主管单位", "office", None)
    add_unit("Z1", "另一部门", "department", other)
    db.session.commit()
    assert resolve_scope(Actor.system()).root is None and resolve_scope(Actor.system()).covers_all
    assert_series_matches(Actor.system(), AS_OF, months=3)
    assert_series_matches(Actor.system(), AS_OF, months=3, unit_code="R1")


def test_the_unit_clause_selects_exactly_the_scopes_units(oct_world, world):
    """What every figures query filters by (unit_clause, or no filter when the scope covers every
    unit) selects the scope's own units, for every caller and unit code."""
    def ids(scope) -> set[int]:
        return set(db.session.execute(sa.select(Unit.id).where(scope.unit_clause())).scalars())

    for who in ("boss", "east_boss", "watcher", "edu_clerk", None):
        actor = Actor.system() if who is None else Actor.of(world.users[who])
        for code in (None, "C0", "R1", "D1", "D2", "D3", " D1 "):
            try:
                scope = resolve_scope(actor, code)
            except InputError:
                continue  # outside this caller's scope (test_closure.py tests the error)
            assert ids(scope) == {u.id for u in scope.units}, (who, code)
    boss = Actor.of(world.users["boss"])
    assert resolve_scope(boss).covers_all and not resolve_scope(boss, "R1").covers_all
    assert not resolve_scope(Actor.of(world.users["east_boss"])).covers_all


def test_bad_arguments_as_the_old_series(oct_world, world, boss):
    for months in (0, 121):
        with pytest.raises(InputError) as exc:
            monthly_series(boss, AS_OF, months=months)
        assert "months" in exc.value.errors
    with pytest.raises(InputError) as exc:
        monthly_series(Actor.of(world.users["edu_clerk"]), AS_OF, unit_code="D2")
    assert "unit" in exc.value.errors
    # a naive as_of is Asia/Shanghai, as in closure.monthly_series
    assert [chart(p.figures) for p in monthly_series(boss, AS_OF.replace(tzinfo=None), months=2)] == \
        [chart(p.figures) for p in monthly_series(boss, AS_OF, months=2)]


def test_a_reassigned_ticket_moves_its_settled_count(oct_world, world):
    # T6 was received for D1, returned and closed at D2: it is D2's in the table, never D1's
    d2 = world.units["D2"].id
    assert (d2, date(2026, 10, 1), 1, 1) in table()
    assert_table_is_exact()


# --- writes that reach closed tickets: imports with history, calendar loads ---------------------

def _ingest(pid: str, received_at: str, **fields):
    from feedback.tickets.ingest import ingest, parse_all

    raw = dict(platform_id=pid, received_at=received_at, description="栏目链接打不开",
               url="https://edu.dongcheng.gov.cn/tzgg/1.html", **fields)
    good, bad = parse_all([raw], naive_is_local=True)
    assert not bad, bad
    ingest(good, Actor.system("test"), datetime.fromisoformat(received_at).replace(tzinfo=LOCAL), source="test")
    db.session.commit()


def test_a_calendar_load_that_moves_a_closed_tickets_deadline(app, world, clock, tmp_path, boss):
    clock.set("2027-01-06T10:00:00+08:00")
    # assigned Dec 30 2026 with N=3 on the weekend rule (2027 unknown): due Mon Jan 4; replied Tue Jan 5
    # → late. Loading 2027 makes Jan 1 a holiday: due Tue Jan 5 → the same reply is on time.
    _ingest("H1", "2026-12-30 10:00:00", unit_code="D1", assigned_at="2026-12-30 10:00:00",
            replied_at="2027-01-05 16:00:00", closed_at="2027-01-06 09:00:00", state="办结")
    _ingest("H2", "2026-12-01 10:00:00", unit_code="D1", assigned_at="2026-12-01 10:00:00",
            replied_at="2027-01-05 16:00:00", closed_at="2027-01-06 09:00:00", state="办结")
    _ingest("O1", "2026-12-30 15:00:00")  # open, provisional: its deadline moves too
    d1 = world.units["D1"].id
    assert table() == {(d1, date(2026, 12, 1), 2, 0)}
    t = at("2027-01-06T12:00:00+08:00")
    assert_series_matches(boss, t, months=2)

    path = tmp_path / "cal.csv"
    path.write_bytes("date,is_workday,note\r\n2027-01-01,0,元旦\r\n2027-02-06,1,春节调休上班\r\n".encode())
    result = app.test_cli_runner().invoke(args=["calendar", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert_table_is_exact()
    assert table() == {(d1, date(2026, 12, 1), 2, 1)}  # H1 is on time now
    assert_series_matches(boss, t, months=2)
    assert_series_matches(boss, at("2027-01-05T12:00:00+08:00"), months=2)


def test_an_import_with_closed_history(app, world, clock, tmp_path, boss):
    from feedback.imports.run import create_import, run_import
    from tests.imports.files import write_csv

    header = ["留言编号", "转办时间", "问题描述", "承办单位编码", "转办单位时间", "答复时间", "办结时间", "答复内容", "状态"]
    path = write_csv(tmp_path / "台账.csv", header=header, rows=[
        ["H1", "2026-09-30 15:00", "栏目链接打不开", "D1", "2026-09-30 15:00", "2026-10-09 10:00", "2026-10-09 16:00",
         "已修复", "办结"],
        ["H2", "2026-11-02 09:00", "错别字", "D2", "2026-11-02 10:00", "2026-11-06 17:00", "2026-11-09 09:00",
         "已更正", "办结"],
        ["H3", "2026-11-03 09:00", "重复留言", "", "", "", "", "", "无效"],
        ["H4", "2026-11-20 10:00", "信息不更新", "D1", "2026-11-20 10:00", "", "", "", ""],
        ["H5", "2026-10-31 23:59", "月末最后一分钟", "R1", "2026-10-31 23:59", "2026-11-10 10:00", "2026-11-10 11:00",
         "已修复", "办结"],
        ["H6", "2026-11-01 00:00", "月初第一分钟", "R1", "2026-11-01 00:00", "2026-11-03 10:00", "2026-11-03 11:00",
         "已修复", "办结"],
    ])
    job = create_import(path, path.name, origin="web")
    db.session.commit()
    job = run_import(job.id)
    assert (job.created_rows, job.error_rows) == (6, 0)
    units = world.units
    assert table() == {(units["D1"].id, date(2026, 9, 1), 1, 1), (units["D2"].id, date(2026, 11, 1), 1, 0),
                       (units["R1"].id, date(2026, 10, 1), 1, 0), (units["R1"].id, date(2026, 11, 1), 1, 1)}
    assert_table_is_exact()
    for text in ("2026-10-09T12:00:00+08:00", "2026-11-09T08:00:00+08:00", "2026-11-10T10:30:00+08:00",
                 "2026-11-24T10:00:00+08:00"):
        assert_series_matches(boss, at(text), months=3)


# --- any write, straight to the table: the triggers against a recount ---------------------------

UNIT_CODES = [None, "D1", "D2", "R1", "D3"]
STATES = ["new", "assigned", "in_progress", "replied", "closed", "invalid"]
BASE = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # Oct 1 00:00 local
hours = st.integers(min_value=-30 * 24, max_value=80 * 24)  # Sep to Dec, month edges included
maybe_hours = st.one_of(st.none(), hours)
row = st.fixed_dictionaries({
    "unit": st.sampled_from(UNIT_CODES), "state": st.sampled_from(STATES), "received": hours,
    "replied": maybe_hours, "due": maybe_hours, "closed": maybe_hours,
    "minute": st.sampled_from([0, 1, 59]),  # just before / after a local month boundary
    "assigned": maybe_hours, "workdays": st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
    # sub-second times: the microseconds' difference may borrow a second either way
    "micro": st.sampled_from([0, 1, 499_999, 999_999]),
})
FIELDS = ("unit", "state", "received", "assigned", "replied", "due", "closed", "workdays")
op = st.one_of(
    st.tuples(st.just("insert"), row),
    st.tuples(st.just("update"), st.integers(min_value=0, max_value=40), row,
              st.sets(st.sampled_from(FIELDS), min_size=1)),
    st.tuples(st.just("delete"), st.integers(min_value=0, max_value=40)),
    st.tuples(st.just("bulk"), st.integers(min_value=-48, max_value=48)),  # every closed ticket's deadline moves
)


def _when(h: int | None, minute: int = 0, micro: int = 0) -> datetime | None:
    return None if h is None else BASE + timedelta(hours=h, minutes=minute, microseconds=micro)


def _values(world, r: dict, keys) -> dict:
    out = {}
    if "unit" in keys:
        out["unit_id"] = world.units[r["unit"]].id if r["unit"] else None
    if "state" in keys:
        out["state"] = r["state"]
    if "received" in keys:
        out["received_at"] = _when(r["received"], r["minute"])
    if "assigned" in keys:
        out["assigned_at"] = _when(r["assigned"], micro=r["micro"])
    if "replied" in keys:
        out["replied_at"] = _when(r["replied"], micro=999_999 - r["micro"])
    if "due" in keys:
        out["unit_due_at"] = _when(r["due"], 59)
    if "closed" in keys:
        out["closed_at"] = _when(r["closed"])
    if "workdays" in keys:
        out["handling_workdays"] = r["workdays"]
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=25), as_of_hours=st.lists(hours, min_size=1, max_size=2))
def test_the_table_is_its_recount_after_any_writes(world, ops, as_of_hours):
    tickets = Ticket.__table__
    ids: list[int] = []
    serial = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(Ticket.id), 0))).scalar_one()
    try:
        for o in ops:
            if o[0] == "insert":
                serial += 1
                values = _values(world, o[1], FIELDS)
                values.update(platform_id=f"P{serial}", description="x", platform_due_at=BASE,
                              platform_clock_days=5)
                ids.append(db.session.execute(tickets.insert().values(**values).returning(tickets.c.id)).scalar_one())
            elif o[0] == "update" and ids:
                ticket_id = ids[o[1] % len(ids)]
                db.session.execute(tickets.update().where(tickets.c.id == ticket_id).values(**_values(world, o[2], o[3])))
            elif o[0] == "delete" and ids:
                db.session.execute(tickets.delete().where(tickets.c.id == ids.pop(o[1] % len(ids))))
            elif o[0] == "bulk":
                for ticket_id, due in db.session.execute(sa.select(Ticket.id, Ticket.unit_due_at).where(
                        Ticket.closed_at.is_not(None), Ticket.unit_due_at.is_not(None))).all():
                    db.session.execute(tickets.update().where(tickets.c.id == ticket_id).values(
                        unit_due_at=due + timedelta(hours=o[1])))
        assert full_table() == recounted()  # in the writers' transaction already
        db.session.commit()
        assert_table_is_exact()
        boss = Actor.of(world.users["boss"])
        for h in as_of_hours:
            assert_series_matches(boss, _when(h) + timedelta(days=31), months=4)
    finally:
        db.session.rollback()
        db.session.execute(tickets.delete())
        db.session.commit()
    assert full_table() == set() and day_table() == set()  # deleting every ticket empties both


def test_refill_rebuilds_the_table(oct_world):
    expected, platform = full_table(), day_table()
    db.session.execute(SettledMonthCount.__table__.delete())
    db.session.execute(SettledDayCount.__table__.delete())
    refill(db.session.connection())
    db.session.commit()
    assert full_table() == expected and expected
    assert day_table() == platform and platform
    assert full_table() == recounted()
    assert day_table() == day_recounted()
