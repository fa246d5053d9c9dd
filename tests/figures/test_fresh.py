"""Figures are computed fresh on every request: the same question asked later gives what a new
process gives (issue 14's two sequences, which a per-process figures cache got wrong)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.calendar.models import CalendarDay
from feedback.calendar.service import current_calendar
from feedback.directory.admin import add_unit
from feedback.extensions import db
from feedback.figures import snapshot
from feedback.tickets.models import Ticket
from feedback.timeutil import LOCAL

URL = "/api/v1/metrics/closure"
OCT = "from=2026-10-01&to=2026-10-31"


def counts(figures: dict) -> tuple:
    return tuple(figures[k] for k in ("received", "closed", "on_time", "late", "overdue_open", "pending"))


@pytest.fixture
def late_one(story, clock):
    """One ticket received Thu Oct 15 10:00, due Tue Oct 20 23:59:59 (3 working days: Fri 16,
    Mon 19, Tue 20), replied Thu Oct 22 and closed Fri Oct 23: open at both instants asked
    below, closed now (Nov 24), and its deadline passes between them."""
    story.receive("L1", "2026-10-15T10:00:00+08:00", "D1")
    story.reply("L1", "2026-10-22T10:00:00+08:00")
    story.approve("L1", "2026-10-23T10:00:00+08:00")
    clock.set("2026-11-24T10:00:00+08:00")
    return story


@pytest.fixture
def late_open(late_one, clock):
    """L1 (above, closed Oct 23) and L2, received Fri Oct 16 and replied, still open now (Nov 24)."""
    late_one.receive("L2", "2026-10-16T10:00:00+08:00", "D1")
    late_one.reply("L2", "2026-10-22T11:00:00+08:00")
    clock.set("2026-11-24T10:00:00+08:00")
    return late_one


def test_a_deadline_passing_between_two_past_instants_moves_the_figures(client, world, late_one):
    def total(as_of: str) -> tuple:
        r = client.get(f"{URL}?{OCT}&as_of={as_of}", headers=world.headers("boss"))
        assert r.status_code == 200, r.get_json()
        return counts(r.get_json()["total"])

    # Oct 20 18:00, before the deadline: received 1, open and not yet due → pending
    assert total("2026-10-20T18:00:00%2B08:00") == (1, 0, 0, 0, 0, 1)
    # Oct 21 01:00, after it: still open (closed only on Oct 23) → overdue
    assert total("2026-10-21T01:00:00%2B08:00") == (1, 0, 0, 0, 1, 0)
    # and back again: the first answer once more
    assert total("2026-10-20T18:00:00%2B08:00") == (1, 0, 0, 0, 0, 1)


def test_the_same_sequence_through_the_dashboard(as_user, ticket_lists, late_one):
    boss = as_user("boss")
    before = boss.get("/dashboard?month=2026-10&group=unit&as_of=2026-10-20T18:00:00").get_data(as_text=True)
    after = boss.get("/dashboard?month=2026-10&group=unit&as_of=2026-10-21T01:00:00").get_data(as_text=True)
    assert 'data-key="overdue_open" data-value="0"' in _unit_row(before, "D1")
    assert 'data-key="pending" data-value="1"' in _unit_row(before, "D1")
    assert 'data-key="overdue_open" data-value="1"' in _unit_row(after, "D1")


def _unit_row(page: str, code: str) -> str:
    start = page.index(f'data-unit="{code}"')
    return page[start:page.index("</tr>", start)]


def test_a_unit_added_between_two_requests_has_its_row(client, world, late_one):
    def codes() -> list[str]:
        r = client.get(f"{URL}?{OCT}&group=unit", headers=world.headers("boss"))
        return [row["unit"]["code"] for row in r.get_json()["rows"]]

    assert "D4" not in codes()
    add_unit("D4", "东城县民政局", "department", world.units["R1"])
    db.session.commit()
    assert "D4" in codes()
    r = client.get(f"{URL}?{OCT}&unit=D4", headers=world.headers("boss"))
    assert r.status_code == 200 and [row["unit"]["code"] for row in r.get_json()["rows"]] == ["D4"]


def test_statements_are_kept_per_shape_and_bounded(app, monkeypatch):
    """cohort.reuse keeps SQL, never figures: one statement per shape, the oldest dropped."""
    from feedback.figures import cohort

    monkeypatch.setattr(cohort, "_statements", type(cohort._statements)())
    monkeypatch.setattr(cohort, "STATEMENTS_KEPT", 2)
    built = []

    def build(n):
        return lambda: built.append(n) or f"statement {n}"

    assert [cohort.reuse(("t", n), build(n)) for n in (1, 2, 1)] == ["statement 1", "statement 2", "statement 1"]
    assert built == [1, 2]  # the second ask of shape 1 built nothing
    cohort.reuse(("t", 3), build(3))  # drops shape 2, the least recently used
    cohort.reuse(("t", 1), build(1))
    cohort.reuse(("t", 2), build(2))
    assert built == [1, 2, 3, 2]


def test_a_page_reads_one_snapshot_while_a_ticket_closes(late_open, as_user, monkeypatch):
    """The dashboard's table comes from several statements (settled counts, the tickets not
    settled at T, the tickets open at T). A ticket closed by another connection between two of
    them must not be subtracted from a sum read without it: the page reads one snapshot
    (figures/snapshot.py), and says what a page asked after the close says for the same T."""
    from feedback.figures import settled
    from feedback.timeutil import now
    from tests.figures.test_dashboard import page, table_rows

    original, closed = settled.corrections, []

    def close_in_between(*args, **kwargs):
        if not closed:  # another connection closes L2 after T, and commits
            with db.engine.begin() as other:
                other.execute(sa.update(Ticket).where(Ticket.platform_id == "L2").values(
                    state="closed", closed_at=now() + timedelta(hours=1)))
            closed.append(True)
        return original(*args, **kwargs)

    browser = as_user("boss")
    monkeypatch.setattr(settled, "corrections", close_in_between)
    during = table_rows(page(browser, "/dashboard?month=2026-10&group=unit"))
    monkeypatch.setattr(settled, "corrections", original)
    assert closed
    after = table_rows(page(browser, "/dashboard?month=2026-10&group=unit"))
    # closed an hour after T: open at T either way (received 2, closed 1: L1)
    assert (after[""]["received"], after[""]["closed"]) == (2, 1)
    assert during[""] == after[""] and during["@office"] == after["@office"]


def test_an_export_reads_one_snapshot_while_a_ticket_closes(late_open, monkeypatch, tmp_path):
    """`feedback export closure` (the same function an export job runs): a ticket closed by
    another connection while the summary is computed leaves the file as one written after."""
    from feedback.accounts.scope import Actor
    from feedback.exports.closure_sheet import export_closure
    from feedback.exports.periods import parse_month
    from feedback.figures import settled
    from feedback.timeutil import now

    original, closed = settled.corrections, []

    def close_in_between(*args, **kwargs):
        if not closed:
            with db.engine.begin() as other:
                other.execute(sa.update(Ticket).where(Ticket.platform_id == "L2").values(
                    state="closed", closed_at=now() + timedelta(hours=1)))
            closed.append(True)
        return original(*args, **kwargs)

    def export(name: str) -> str:
        path = tmp_path / name
        export_closure(Actor.system("export"), parse_month("2026-10", "--month"), now(), "csv", str(path))
        db.session.rollback()
        return path.read_text(encoding="utf-8-sig")

    monkeypatch.setattr(settled, "corrections", close_in_between)
    during = export("during.csv")
    monkeypatch.setattr(settled, "corrections", original)
    assert closed
    assert during == export("after.csv")


def test_a_region_added_between_two_requests_counts_its_own_tickets(client, world, story, clock):
    """A region's rows come from a statement kept per shape (cohort.reuse) and a scope kept per
    units version: a county added after the first request, with a department and a ticket of
    its own, is its own group at once, not part of the city's own group."""
    def received() -> dict:
        r = client.get(f"{URL}?{OCT}&as_of=2026-11-02T12:00:00%2B08:00&group=region", headers=world.headers("boss"))
        assert r.status_code == 200, r.get_json()
        return {row["unit"]["code"]: row["received"] for row in r.get_json()["rows"]}

    story.receive("C1", "2026-10-14T10:00:00+08:00", "C0")
    before = received()
    assert before["C0"] == 1 and "R3" not in before
    south = add_unit("R3", "南城区", "region", world.units["C0"])
    add_unit("D5", "南城区教育局", "department", south)
    db.session.commit()
    story.receive("S1", "2026-10-15T10:00:00+08:00", "D5")
    clock.set("2026-11-24T10:00:00+08:00")
    after = received()
    assert (after["R3"], after["C0"]) == (1, 1)


def test_a_renamed_or_moved_unit_is_written_as_it_is_now(client, world, late_one):
    """The API writes each unit and its region as the tree is now, after a rename and a move in
    plain SQL (the rows' JSON is kept with the resolved tree, which a write to units replaces)."""
    def d1() -> dict:
        r = client.get(f"{URL}?{OCT}&group=unit", headers=world.headers("boss"))
        return next(row for row in r.get_json()["rows"] if row["unit"]["code"] == "D1")

    assert (d1()["unit"]["name"], d1()["region"]["code"], d1()["received"]) == ("东城县教育局", "R1", 1)
    db.session.execute(sa.text("UPDATE units SET name = '东城县教育和体育局' WHERE code = 'D1'"))
    db.session.commit()
    assert d1()["unit"]["name"] == "东城县教育和体育局"
    r2, unit = world.units["R2"], world.units["D1"]
    db.session.execute(sa.text("UPDATE units SET parent_id = :p, path = :path WHERE id = :id"),
                       {"p": r2.id, "path": f"{r2.path}{unit.id}/", "id": unit.id})
    db.session.commit()
    assert (d1()["unit"]["parent_code"], d1()["region"]["code"], d1()["received"]) == ("R2", "R2", 1)


def test_a_figures_snapshot_keeps_the_calendar_it_began_with(app, world):
    """The calendar's token is read with the snapshot (snapshot.begin()): a calendar written
    elsewhere meanwhile is the next snapshot's, never half of this one's."""
    monday = date(2027, 2, 8)
    snapshot.begin()
    assert current_calendar().is_workday(monday) is True
    with db.engine.begin() as other:
        other.execute(sa.insert(CalendarDay.__table__).values(date=monday, is_workday=False, note="春节",
                                                              loaded_at=datetime(2026, 12, 1, tzinfo=LOCAL)))
    assert current_calendar().is_workday(monday) is True
    snapshot.end()
    snapshot.begin()
    assert current_calendar().is_workday(monday) is False
    snapshot.end()
