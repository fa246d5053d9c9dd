"""`feedback calendar load / show` and recomputing provisional deadlines (DESIGN.md: Deadlines).

The package knows 2026 but not 2027: tickets reaching into 2027 get provisional deadlines on
the weekend rule until the 2027 schedule is loaded.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.calendar.models import CalendarDay
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket, TicketEvent
from feedback.tickets.refresh import recompute_provisional
from feedback.timeutil import LOCAL, iso

CAL_2027 = "date,is_workday,note\r\n2027-01-01,0,元旦\r\n2027-02-06,1,春节调休上班\r\n"


def receive(pid: str, received_at: str, **fields) -> Ticket:
    """A ticket as the platform forwards it (routed to D1 by its URL), or an imported history row."""
    raw = dict(platform_id=pid, received_at=received_at, description="栏目链接打不开",
               url="https://edu.dongcheng.gov.cn/tzgg/1.html", **fields)
    good, bad = parse_all([raw], naive_is_local=True)
    assert not bad, bad
    at = datetime.fromisoformat(received_at).replace(tzinfo=LOCAL)
    [result] = ingest(good, Actor.system("test"), at, source="test")
    db.session.commit()
    return db.session.get(Ticket, result.ticket_id)


def load(app, tmp_path, text: str, encoding="utf-8", name="cal.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return app.test_cli_runner().invoke(args=["calendar", "load", str(path)])


def events(ticket: Ticket, action="recompute-deadline") -> list[TicketEvent]:
    return list(db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action == action).order_by(TicketEvent.id)).scalars())


def ticket_handoff_id(ticket: Ticket) -> int:
    return db.session.execute(sa.text("SELECT id FROM ticket_handoffs WHERE ticket_id = :t"), {"t": ticket.id}).scalar_one()


def refreshed(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_loading_2027_moves_a_provisional_deadline_and_writes_one_event(app, world, clock, tmp_path):
    clock.set("2026-12-30T15:00:00+08:00")
    t = receive("Y1", "2026-12-30 15:00:00")
    # unit N=3 on the weekend rule: Thu Dec 31, Fri Jan 1, Mon Jan 4;
    # platform N=5: Dec 31, Jan 1, Jan 4, Jan 5, Jan 6
    assert (iso(t.unit_due_at), iso(t.platform_due_at)) == ("2027-01-04T23:59:59+08:00", "2027-01-06T23:59:59+08:00")
    assert t.deadline_provisional is True
    inside = receive("K1", "2026-12-01 10:00:00")  # Dec 2, 3, 4 / Dec 2, 3, 4, 7, 8: never reaches 2027
    assert inside.deadline_provisional is False

    clock.set("2026-12-31T09:00:00+08:00")
    result = load(app, tmp_path, CAL_2027)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "loaded 2 day(s) for 2027; deadlines recomputed: 1 ticket(s) changed; units told: 1")  # D1, once

    t = refreshed(t)
    # Jan 1 is now a holiday: unit Dec 31, Jan 4, Jan 5; platform Dec 31, Jan 4, 5, 6, 7
    assert (iso(t.unit_due_at), iso(t.platform_due_at)) == ("2027-01-05T23:59:59+08:00", "2027-01-07T23:59:59+08:00")
    assert t.deadline_provisional is False
    [event] = events(t)
    assert (event.actor, event.actor_id, event.from_state, event.to_state) == ("system", None, "assigned", "assigned")
    assert event.at == datetime(2026, 12, 31, 9, 0, tzinfo=LOCAL)
    assert event.unit_id == world.units["D1"].id
    assert event.data == {
        "unit_due_at": {"old": "2027-01-04T23:59:59+08:00", "new": "2027-01-05T23:59:59+08:00"},
        "platform_due_at": {"old": "2027-01-06T23:59:59+08:00", "new": "2027-01-07T23:59:59+08:00"},
        "deadline_provisional": {"old": True, "new": False},
        # the clock each level reads: here the one hand-off, D1's own
        "handoffs": [{"id": ticket_handoff_id(t), "old_due_at": "2027-01-04T23:59:59+08:00",
                      "new_due_at": "2027-01-05T23:59:59+08:00"}],
    }
    assert events(inside) == []

    # loading the same file again changes nothing and writes nothing
    again = load(app, tmp_path, CAL_2027)
    assert again.stdout.strip() == (
        "loaded 2 day(s) for 2027; deadlines recomputed: 0 ticket(s) changed; units told: 0")
    assert len(events(refreshed(t))) == 1


def test_a_provisional_deadline_the_schedule_confirms_is_unflagged_without_an_event(app, world, clock, tmp_path):
    clock.set("2026-12-30T15:00:00+08:00")
    t = receive("Y2", "2026-12-30 15:00:00")
    result = load(app, tmp_path, "date,is_workday,note\r\n2027-05-03,0,劳动节\r\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("0 ticket(s) changed; units told: 0")
    t = refreshed(t)
    assert iso(t.unit_due_at) == "2027-01-04T23:59:59+08:00" and t.deadline_provisional is False
    assert events(t) == []


def test_closed_tickets_get_their_handling_workdays_recomputed(app, world, clock, tmp_path):
    clock.set("2027-01-06T10:00:00+08:00")
    # assigned Dec 30, replied Tue Jan 5: Dec 31, Jan 1 (weekend rule), Jan 4, Jan 5 → 4 days;
    # its unit deadline (Jan 4) was provisional and is late either way
    crossing = receive("H1", "2026-12-30 10:00:00", unit_code="D1", assigned_at="2026-12-30 10:00:00",
                       replied_at="2027-01-05 16:00:00", closed_at="2027-01-06 09:00:00", state="办结")
    # assigned Tue Dec 1 (deadline Dec 4, never provisional), replied late on Tue Jan 5:
    # Dec 2–4 (3) + Dec 7–11, 14–18, 21–25 (15) + Dec 28–31 (4) + Jan 1, 4, 5 (3) = 25
    late = receive("H2", "2026-12-01 10:00:00", unit_code="D1", assigned_at="2026-12-01 10:00:00",
                   replied_at="2027-01-05 16:00:00", closed_at="2027-01-06 09:00:00", state="办结")
    assert (crossing.handling_workdays, crossing.deadline_provisional) == (4, True)
    assert (late.handling_workdays, late.deadline_provisional) == (25, False)

    result = load(app, tmp_path, CAL_2027)
    assert result.stdout.strip().endswith("2 ticket(s) changed; units told: 0")  # closed: nothing to do
    crossing, late = refreshed(crossing), refreshed(late)
    assert crossing.handling_workdays == 3 and iso(crossing.unit_due_at) == "2027-01-05T23:59:59+08:00"
    assert late.handling_workdays == 24 and iso(late.unit_due_at) == "2026-12-04T23:59:59+08:00"
    assert events(late)[0].data == {"handling_workdays": {"old": 25, "new": 24}}
    assert events(crossing)[0].data["handling_workdays"] == {"old": 4, "new": 3}


def test_a_correction_to_a_known_year_moves_deadlines_that_span_it(app, world, clock, tmp_path):
    clock.set("2026-09-30T15:00:00+08:00")
    t = receive("C1", "2026-09-30 15:00:00")  # unit: Oct 8, 9, Sat Oct 10 (make-up)
    assert iso(t.unit_due_at) == "2026-10-10T23:59:59+08:00" and not t.deadline_provisional
    # the office records that Oct 10 was not worked after all (an override of the package)
    result = load(app, tmp_path, "date,is_workday,note\r\n2026-10-10,0,取消调休\r\n")
    assert result.stdout.strip() == (
        "loaded 1 day(s) for 2026; deadlines recomputed: 1 ticket(s) changed; units told: 1")
    t = refreshed(t)
    assert iso(t.unit_due_at) == "2026-10-12T23:59:59+08:00"  # Oct 8, 9, 12
    assert events(t)[0].data["unit_due_at"] == {"old": "2026-10-10T23:59:59+08:00", "new": "2026-10-12T23:59:59+08:00"}


def test_recompute_provisional_is_a_plain_function_that_does_not_commit(app, world, clock):
    clock.set("2026-12-30T15:00:00+08:00")
    t = receive("F1", "2026-12-30 15:00:00")
    db.session.add(CalendarDay(date=date(2027, 1, 1), is_workday=False, note="元旦"))
    recomputed = recompute_provisional(current_calendar(), datetime(2026, 12, 31, 9, 0, tzinfo=LOCAL))
    assert [c.id for c in recomputed.changed] == [c.id for c in recomputed.unit_deadline_moved] == [t.id]
    db.session.rollback()  # the caller decides: nothing of it stays
    t = refreshed(t)
    assert t.deadline_provisional and iso(t.unit_due_at) == "2027-01-04T23:59:59+08:00"
    assert events(t) == []


def test_gbk_files_load(app, world, tmp_path):
    result = load(app, tmp_path, CAL_2027, encoding="gbk")
    assert result.exit_code == 0, result.output
    assert db.session.get(CalendarDay, date(2027, 2, 6)).note == "春节调休上班"


def test_bad_rows_exit_2_and_nothing_is_loaded(app, world, tmp_path):
    result = load(app, tmp_path, "date,is_workday,note\r\n2027-01-01,0,元旦\r\n2027/1/2,0,\r\n"
                                 "2027-01-03,yes,\r\n2027-01-01,1,\r\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("feedback: error: ")
    assert "line 3: date '2027/1/2' is not YYYY-MM-DD" in result.stderr
    assert "line 4: is_workday 'yes' must be 1 or 0" in result.stderr
    assert "line 5: 2027-01-01 is already on line 2" in result.stderr
    assert "nothing was loaded" in result.stderr
    assert db.session.query(CalendarDay).count() == 0


def test_missing_and_empty_files_exit_2_with_one_line(app, tmp_path):
    for path in (tmp_path / "nope.csv", tmp_path):
        result = app.test_cli_runner().invoke(args=["calendar", "load", str(path)])
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("feedback: error: ")
    result = load(app, tmp_path, "date,is_workday,note\r\n")
    assert result.exit_code == 2 and "no days in it" in result.stderr


def test_show_prints_the_special_days_and_whether_the_year_is_known(app, tmp_path):
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["calendar", "show", "2026"])
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert lines[0] == "2026: known (built-in calendar)"
    assert "2026-10-01 Thu holiday 国庆节" in lines and "2026-10-10 Sat workday 国庆节 调休上班" in lines

    unknown = runner.invoke(args=["calendar", "show", "2027"])
    assert unknown.stdout.splitlines() == [
        "2027: not known: weekends only; deadlines reaching into it are provisional until it is loaded"]

    load(app, tmp_path, CAL_2027)
    known = runner.invoke(args=["calendar", "show", "2027"])
    assert known.stdout.splitlines() == [
        "2027: known (loaded calendar)", "2027-01-01 Fri holiday 元旦", "2027-02-06 Sat workday 春节调休上班"]

    bad = runner.invoke(args=["calendar", "show", "twenty"])
    assert bad.exit_code == 2


def post_report(client, world, pid: str, received_at: str) -> dict:
    body = {"platform_id": pid, "received_at": received_at, "description": "栏目链接打不开",
            "url": "https://edu.dongcheng.gov.cn/tzgg/1.html"}
    r = client.post("/api/v1/reports", json=body, headers=world.headers("boss"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_report_pushed_after_a_calendar_load_gets_the_loaded_calendar(app, client, world, clock, tmp_path):
    """The API keeps the calendar between requests (calendar_version): a load replaces it at once."""
    clock.set("2026-12-30T15:00:00+08:00")
    before = post_report(client, world, "A1", "2026-12-30T15:00:00+08:00")
    assert before["unit_due_at"] == "2027-01-04T23:59:59+08:00"  # the weekend rule: Dec 31, Jan 1, Jan 4
    assert post_report(client, world, "A2", "2026-12-30T15:00:00+08:00")["unit_due_at"] == before["unit_due_at"]
    assert load(app, tmp_path, CAL_2027).exit_code == 0  # 2027-01-01 is a holiday
    after = post_report(client, world, "A3", "2026-12-30T15:00:00+08:00")
    assert (after["unit_due_at"], after["deadline_provisional"]) == ("2027-01-05T23:59:59+08:00", False)


def test_a_calendar_written_by_plain_sql_elsewhere_is_read_afresh(app, world):
    assert current_calendar().is_workday(date(2027, 2, 8)) is True  # a Monday, on the weekend rule
    db.session.commit()
    with db.engine.begin() as other:  # not this session, not the ORM
        other.execute(sa.insert(CalendarDay.__table__).values(date=date(2027, 2, 8), is_workday=False, note="春节",
                                                              loaded_at=datetime(2026, 12, 1, tzinfo=LOCAL)))
    assert current_calendar().is_workday(date(2027, 2, 8)) is False
