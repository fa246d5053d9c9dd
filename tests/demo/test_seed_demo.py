"""`feedback seed-demo` on an empty database, the clock frozen at Tuesday 2026-11-24 10:00."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from feedback.accounts.models import ApiToken, User
from feedback.demo import seed_demo
from feedback.directory.models import Property, Unit
from feedback.extensions import db
from feedback.tickets.listing import overdue_clause
from feedback.tickets.models import OPEN_STATES, STATES, Ticket, TicketEvent
from feedback.timeutil import end_of_local_day, local_date
from tests.demo.conftest import AT
from tests.support.apps import empty_tables


def printed_accounts(output: str) -> list[list[str]]:
    """The account lines: username, role, unit code, unit name, password."""
    lines = output.split("accounts (username, role, unit, password):\n", 1)[1].splitlines()
    return [line.split() for line in lines if line.startswith("  ")]


def scalar(query):
    return db.session.execute(query).scalar_one()


def test_prints_one_account_per_role_and_each_can_log_in(demo):
    assert demo.result.exit_code == 0, demo.result.output
    accounts = printed_accounts(demo.result.stdout)
    # city supervisor, county supervisor, a city clerk, a county clerk, the viewer
    assert [a[1] for a in accounts] == ["supervisor", "supervisor", "unit_staff", "unit_staff", "viewer"]
    units = {}
    for username, role, unit_code, unit_name, password in accounts:
        user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
        assert user.check_password(password), username
        assert (user.role, user.unit.code, user.unit.name) == (role, unit_code, unit_name)
        units[username] = user.unit
    city_boss, county_boss, city_clerk, county_clerk, viewer = (units[a[0]] for a in accounts)
    assert city_boss.parent is None and viewer.parent is None  # the 市政府办公室 at the root
    assert county_boss.kind == "region"
    assert city_clerk.kind == "department" and city_clerk.parent is city_boss
    assert county_clerk.kind == "department" and county_clerk.parent is county_boss
    for unit in (city_clerk, county_clerk):  # a clerk logging in finds work waiting
        assert scalar(sa.select(sa.func.count()).where(Ticket.unit_id == unit.id, Ticket.state.in_(OPEN_STATES))) > 0
    token = demo.result.stdout.strip().splitlines()[-1].split()[-1]
    assert token.startswith("fb_")


def test_a_city_with_counties_departments_and_their_sites(demo):
    kinds = dict(db.session.execute(sa.select(Unit.kind, sa.func.count()).group_by(Unit.kind)).all())
    # city.py: one office; 4 counties; 13 city departments + 4 counties x 4 departments = 29
    assert kinds == {"office": 1, "region": 4, "department": 29}
    codes = db.session.execute(sa.select(Property.site_code).where(Property.site_code.isnot(None))).scalars().all()
    assert codes and all(len(code) == 10 for code in codes)
    channels = db.session.execute(
        sa.select(Property.url_prefixes).where(Property.url_prefixes.like("jiangnanshi.gov.cn/%"))).scalars().all()
    assert "jiangnanshi.gov.cn/mzj" in channels  # 民政局: a 子频道 of the city portal
    assert scalar(sa.select(sa.func.count()).where(Property.kind == "new_media")) == 10


def test_a_year_of_tickets_in_every_state(demo):
    count = scalar(sa.select(sa.func.count()).select_from(Ticket))
    assert 300 <= count <= 1500  # the brief: a few hundred to ~1500
    states = set(db.session.execute(sa.select(Ticket.state).distinct()).scalars())
    assert states == set(STATES)
    first = scalar(sa.select(sa.func.min(Ticket.received_at)))
    last = scalar(sa.select(sa.func.max(Ticket.received_at)))
    assert AT - timedelta(days=366) < first < AT - timedelta(days=350)
    assert AT - timedelta(days=2) < last < AT
    triage = db.session.execute(sa.select(Ticket).where(Ticket.state == "new")).scalars().all()
    # no rule matched their site (the city's triage), or a county department sent it back (the county's)
    assert triage and all(t.unit_id is None or t.unit.kind == "region" for t in triage)
    assert any(t.unit_id is None for t in triage)


def test_work_is_due_today_tomorrow_and_some_is_overdue(demo):
    def open_due_on(day: date) -> int:
        return scalar(sa.select(sa.func.count()).where(
            Ticket.state.in_(OPEN_STATES), Ticket.unit_due_at == end_of_local_day(day)))

    # story.showcase places two on each; ordinary traffic may add more
    assert open_due_on(date(2026, 11, 24)) >= 2
    assert open_due_on(date(2026, 11, 25)) >= 2
    overdue = db.session.execute(sa.select(Ticket).where(overdue_clause(AT))).scalars().all()
    # story.showcase: open since 8, 12, 18 and 22 working days, and one replied late (9 days)
    assert len(overdue) >= 5
    assert any(t.extensions for t in overdue)  # extended, and late even so
    assert any(t.extension_requested_days for t in db.session.execute(
        sa.select(Ticket).where(Ticket.state.in_(OPEN_STATES))).scalars())  # a request waiting


def test_history_comes_from_real_events(demo):
    # Every ticket's receive event sits at its forwarding time.
    no_receive = sa.select(sa.func.count()).select_from(Ticket).where(~sa.exists().where(
        TicketEvent.ticket_id == Ticket.id, TicketEvent.action == "receive", TicketEvent.at == Ticket.received_at))
    assert scalar(no_receive) == 0
    # Every closed ticket's approve event sits at its closed_at.
    closed_without_approve = sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.state == "closed", ~sa.exists().where(
            TicketEvent.ticket_id == Ticket.id, TicketEvent.action == "approve", TicketEvent.at == Ticket.closed_at))
    assert scalar(closed_without_approve) == 0
    assert scalar(sa.select(sa.func.count()).where(Ticket.state == "closed", Ticket.handling_workdays.is_(None))) == 0
    # Nothing happens after the seeding time, and each ticket's events are in time order.
    assert scalar(sa.select(sa.func.max(TicketEvent.at))) <= AT
    earlier, later = sa.orm.aliased(TicketEvent), sa.orm.aliased(TicketEvent)
    out_of_order = sa.select(sa.func.count()).select_from(earlier).join(
        later, sa.and_(earlier.ticket_id == later.ticket_id, earlier.id < later.id, earlier.at > later.at))
    assert scalar(out_of_order) == 0
    actions = set(db.session.execute(sa.select(TicketEvent.action).distinct()).scalars())
    assert actions == {"receive", "assign", "reassign", "accept", "reply", "approve", "reject", "return",
                       "request-extension", "decide-extension", "invalidate"}
    # People act, under their own names: a clerk replies, a supervisor approves.
    repliers = db.session.execute(sa.select(User.role).join(TicketEvent, TicketEvent.actor_id == User.id)
                                  .where(TicketEvent.action == "reply").distinct()).scalars().all()
    assert repliers == ["unit_staff"]
    assert scalar(sa.select(sa.func.count()).where(Ticket.duplicate_of_id.isnot(None))) > 0
    late = scalar(sa.select(sa.func.count()).where(Ticket.state == "closed", Ticket.replied_at > Ticket.unit_due_at))
    assert late > 0


def test_bursts_around_spring_festival_and_national_day(demo):
    def per_day(start: date, end: date) -> float:
        n = scalar(sa.select(sa.func.count()).where(
            Ticket.received_at >= end_of_local_day(start - timedelta(days=1)),
            Ticket.received_at <= end_of_local_day(end)))
        return n / ((end - start).days + 1)

    year = per_day(local_date(AT) - timedelta(days=365), local_date(AT))
    # 2026 holidays (chinese_calendar): 春节 Feb 15-23, 国庆 Oct 1-7; each plus the week after
    assert per_day(date(2026, 2, 15), date(2026, 3, 2)) > 1.3 * year
    assert per_day(date(2026, 10, 1), date(2026, 10, 14)) > 1.3 * year


def test_supervisor_token_sees_every_ticket_and_a_clerk_only_their_units(demo, demo_client):
    token = demo.result.stdout.strip().splitlines()[-1].split()[-1]
    total = scalar(sa.select(sa.func.count()).select_from(Ticket))
    r = demo_client.get("/api/v1/tickets?per_page=1", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.get_json()["total"] == total

    clerk_name = printed_accounts(demo.result.stdout)[2][0]
    clerk = db.session.execute(sa.select(User).where(User.username == clerk_name)).scalar_one()
    row, clerk_token = ApiToken.issue(clerk, "test")
    db.session.add(row)
    db.session.commit()
    headers = {"Authorization": f"Bearer {clerk_token}"}
    body = demo_client.get("/api/v1/tickets?per_page=200", headers=headers).get_json()
    own = scalar(sa.select(sa.func.count()).where(Ticket.unit_id == clerk.unit_id))
    assert body["total"] == own and own < total
    assert {item["unit"]["code"] for item in body["items"]} == {clerk.unit.code}
    other = scalar(sa.select(sa.func.min(Ticket.id)).where(Ticket.unit_id != clerk.unit_id))
    assert demo_client.get(f"/api/v1/tickets/{other}", headers=headers).status_code == 404


def test_a_second_run_refuses_and_changes_nothing(demo):
    def counts():
        return [scalar(sa.select(sa.func.count()).select_from(m)) for m in (Unit, User, Ticket, TicketEvent, ApiToken)]

    before = counts()
    result = demo.app.test_cli_runner().invoke(args=["seed-demo"])
    db.session.remove()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("feedback: error: the database is not empty")
    assert counts() == before


def test_titles_are_quoted_once_and_no_two_people_share_a_name(demo):
    # a title that quotes a document reads 《〈…〉政策解读》, never 《《…》政策解读》
    nested = sa.select(sa.func.count()).where(sa.or_(Ticket.description.contains("《《"),
                                                     Ticket.description.contains("》》")))
    assert scalar(nested) == 0
    assert scalar(sa.select(sa.func.count()).where(Ticket.description.contains("〈"))) > 0
    names = db.session.execute(sa.select(User.display_name)).scalars().all()
    assert len(names) == len(set(names))


def _city():
    """What a second seeding must repeat: every ticket's state, unit and clock, and the people."""
    tickets = db.session.execute(
        sa.select(Ticket.platform_id, Ticket.state, Unit.code, Ticket.received_at, Ticket.unit_due_at, Ticket.closed_at)
        .outerjoin(Unit, Unit.id == Ticket.unit_id).order_by(Ticket.platform_id)).all()
    people = db.session.execute(sa.select(User.username, User.display_name).order_by(User.username)).all()
    return tickets, people


def test_the_same_seed_at_the_same_time_builds_the_same_city_again(demo):
    # Last in this module on purpose: it empties the database and seeds it again, so the token
    # the fixture's run printed is gone afterwards.
    taken = _city()
    db.session.remove()
    empty_tables()
    again = seed_demo(AT)  # the seed `feedback seed-demo` uses, at the fixture's instant
    db.session.commit()
    assert _city() == taken
    assert again.tickets == len(taken[0]) > 0
