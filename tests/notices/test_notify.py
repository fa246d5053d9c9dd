"""Reminders, escalations, digests and deadline-change notices, run in-process (no Redis),
e-mail going to a real local SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.notices import notify, outbox
from feedback.notices.models import Notification
from feedback.jobs.sweep import run_sweep
from feedback.tickets.models import Ticket
from tests.support.api import act, count, give_emails, post_report
from tests.support.signin import sign_in

N = Notification


def notices(kind: str | None = None) -> list[Notification]:
    q = sa.select(N).order_by(N.id)
    if kind:
        q = q.where(N.kind == kind)
    return db.session.execute(q).scalars().all()


def sweep_at(clock, when: str) -> dict:
    return run_sweep(clock.set(when))


def with_mail(app, smtp, world) -> None:
    app.config.update(smtp.config())
    give_emails(world)


# --- reminders --------------------------------------------------------------------------------

def test_reminder_goes_out_on_the_last_working_day_before_the_deadline_once(app, client, world, clock, smtp):
    with_mail(app, smtp, world)
    clock.set("2026-11-24T10:00:00+08:00")  # Tue
    ticket_id = post_report(client, world, "P-1")
    # assigned Tue 24 10:00, N=3: Wed 25, Thu 26, Fri 27 → due Fri 27 23:59:59
    assert db.session.get(Ticket, ticket_id).unit_due_at == datetime.fromisoformat("2026-11-27T23:59:59+08:00")

    assert sweep_at(clock, "2026-11-25T07:00:00+08:00")["reminders"] == 0  # Wed: two working days left
    assert sweep_at(clock, "2026-11-26T07:00:00+08:00")["reminders"] == 1  # Thu: the last working day before
    assert sweep_at(clock, "2026-11-26T07:05:00+08:00")["reminders"] == 0  # told already
    assert sweep_at(clock, "2026-11-27T07:00:00+08:00")["reminders"] == 0  # still told already on Fri

    [notice] = notices("remind")
    assert (notice.unit_id, notice.audience, notice.ticket_id) == (world.units["D1"].id, "unit_staff", ticket_id)
    assert notice.email_status == "sent"
    [message] = smtp.messages
    assert message.rcpt_tos == ["edu_clerk@office.example"]
    assert "1 条留言即将到期" in message.subject
    assert "P-1" in message.body and "2026-11-27 23:59" in message.body


def test_reminder_counts_working_days_across_a_weekend(app, client, world, clock):
    clock.set("2026-11-25T10:00:00+08:00")  # Wed
    post_report(client, world, "P-2")
    # N=3 from Wed 25: Thu 26, Fri 27, (Sat, Sun off) Mon 30 → due Mon 30; the last working day before is Fri 27
    assert sweep_at(clock, "2026-11-26T09:00:00+08:00")["reminders"] == 0
    assert sweep_at(clock, "2026-11-27T00:10:00+08:00")["reminders"] == 1


def test_reminder_before_the_national_day_holiday_comes_a_week_ahead(app, client, world, clock):
    clock.set("2026-09-28T10:00:00+08:00")  # Mon
    ticket_id = post_report(client, world, "P-3")
    # N=3: Tue 29, Wed 30, (1–7 October off) Thu 8 Oct → due 8 Oct; the last working day before is 30 Sep
    assert db.session.get(Ticket, ticket_id).unit_due_at == datetime.fromisoformat("2026-10-08T23:59:59+08:00")
    assert sweep_at(clock, "2026-09-29T09:00:00+08:00")["reminders"] == 0
    assert sweep_at(clock, "2026-09-30T09:00:00+08:00")["reminders"] == 1


def test_an_approved_extension_is_a_new_deadline_to_remind_about(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "P-4")
    assert sweep_at(clock, "2026-11-26T08:00:00+08:00")["reminders"] == 1  # due Fri 27
    act(client, world, "edu_clerk", ticket_id, "request-extension", {"days": 2, "reason": "需要技术公司配合"})
    act(client, world, "boss", ticket_id, "decide-extension", {"approve": True})
    # Fri 27 + 2 working days: Mon 30, Tue 1 Dec → reminded again on Mon 30, not before
    assert sweep_at(clock, "2026-11-27T08:00:00+08:00")["reminders"] == 0
    assert sweep_at(clock, "2026-11-30T08:00:00+08:00")["reminders"] == 1
    assert [n.subject_at.isoformat() for n in notices("remind")] == [
        "2026-11-27T15:59:59+00:00", "2026-12-01T15:59:59+00:00"]


def test_a_ticket_reassigned_the_same_day_reminds_its_new_unit(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "P-5")
    act(client, world, "edu_clerk", ticket_id, "return", {"reason": "不是本单位网站"})
    act(client, world, "boss", ticket_id, "assign", {"unit": "D2"})
    sweep_at(clock, "2026-11-26T08:00:00+08:00")
    # the same due date as before the return, but D2's to meet now
    assert [n.unit_id for n in notices("remind")] == [world.units["D2"].id]


def test_no_reminder_once_the_unit_has_replied(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "P-6")
    act(client, world, "edu_clerk", ticket_id, "reply", {"text": "已处理"})
    assert sweep_at(clock, "2026-11-26T08:00:00+08:00")["reminders"] == 0


def test_one_email_per_unit_lists_all_its_reminders(app, client, world, clock, smtp):
    with_mail(app, smtp, world)
    clock.set("2026-11-24T10:00:00+08:00")
    for pid, unit in [("E-1", "D1"), ("E-2", "D1"), ("E-3", "D2")]:
        post_report(client, world, pid, unit)
    assert sweep_at(clock, "2026-11-26T07:00:00+08:00")["reminders"] == 3
    # two units → two messages: D1's lists E-1 and E-2, D2's lists E-3
    by_rcpt = {tuple(m.rcpt_tos): m for m in smtp.messages}
    assert set(by_rcpt) == {("edu_clerk@office.example",), ("health_clerk@office.example",)}
    edu = by_rcpt[("edu_clerk@office.example",)]
    assert "2 条留言即将到期" in edu.subject and "E-1" in edu.body and "E-2" in edu.body and "E-3" not in edu.body


def test_nobody_with_an_address_means_an_in_app_notice_only(app, client, world, clock, smtp):
    app.config.update(smtp.config())  # users have no e-mail addresses
    clock.set("2026-11-24T10:00:00+08:00")
    post_report(client, world, "P-7")
    sweep_at(clock, "2026-11-26T07:00:00+08:00")
    [notice] = notices("remind")
    assert notice.email_status == "skipped" and "e-mail address" in notice.email_error
    assert smtp.messages == []


# --- escalation -------------------------------------------------------------------------------

def test_overdue_ticket_is_escalated_once_to_the_supervisors_above_it(app, client, world, clock, smtp):
    with_mail(app, smtp, world)
    clock.set("2026-11-24T10:00:00+08:00")
    post_report(client, world, "O-1")  # D1 (under R1 under C0), due Fri 27 23:59:59
    assert sweep_at(clock, "2026-11-27T23:00:00+08:00")["escalations"] == 0
    smtp.messages.clear()  # the reminder
    assert sweep_at(clock, "2026-11-28T00:05:00+08:00")["escalations"] == 2  # boss (C0) and east_boss (R1)
    assert sweep_at(clock, "2026-11-28T00:10:00+08:00")["escalations"] == 0
    assert sweep_at(clock, "2026-11-30T09:00:00+08:00")["escalations"] == 0

    told = {(n.unit_id, n.audience) for n in notices("overdue")}
    assert told == {(world.units["C0"].id, "supervisor"), (world.units["R1"].id, "supervisor")}
    assert sorted(m.rcpt_tos[0] for m in smtp.messages if "超期" in m.subject) == [
        "boss@office.example", "east_boss@office.example"]


def test_a_reply_submitted_in_time_is_not_escalated_while_it_waits_for_review(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "O-2")
    act(client, world, "edu_clerk", ticket_id, "reply", {"text": "已处理"})
    assert sweep_at(clock, "2026-11-30T09:00:00+08:00")["escalations"] == 0


def test_an_extension_after_going_overdue_can_be_escalated_again(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "O-3")
    assert sweep_at(clock, "2026-11-28T00:05:00+08:00")["escalations"] == 2
    act(client, world, "edu_clerk", ticket_id, "request-extension", {"days": 1, "reason": "等待供应商"})
    act(client, world, "boss", ticket_id, "decide-extension", {"approve": True})
    # Fri 27 + 1 working day → Mon 30 23:59:59; overdue again from Tue 1 Dec
    assert sweep_at(clock, "2026-11-30T12:00:00+08:00")["escalations"] == 0
    assert sweep_at(clock, "2026-12-01T00:05:00+08:00")["escalations"] == 2


# --- digest -----------------------------------------------------------------------------------

def test_daily_digest_per_unit_on_working_days_from_eight(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    first = post_report(client, world, "G-1", "D1")
    post_report(client, world, "G-2", "D1")
    post_report(client, world, "G-3", "D2")
    unrouted = {"platform_id": "G-4", "received_at": "2026-11-24T10:00:00+08:00", "url": "http://unknown.example.org/",
                "description": "无法匹配网站"}
    assert client.post("/api/v1/reports", json=unrouted, headers=world.headers("boss")).get_json()["state"] == "new"
    act(client, world, "edu_clerk", first, "accept")
    assert sweep_at(clock, "2026-11-25T07:59:00+08:00")["digests"] == 0  # before 08:00
    # staff of D1 and D2; supervisors at C0 (boss) and R1 (east_boss), whose subtrees hold all three
    assert sweep_at(clock, "2026-11-25T08:00:00+08:00")["digests"] == 4
    assert sweep_at(clock, "2026-11-25T15:00:00+08:00")["digests"] == 0  # one a day
    assert sweep_at(clock, "2026-11-28T09:00:00+08:00")["digests"] == 0  # Saturday: none
    assert sweep_at(clock, "2026-11-30T09:00:00+08:00")["digests"] == 4  # Monday: the next one

    d1 = next(n for n in notices("digest") if n.unit_id == world.units["D1"].id)
    # D1 on Wed 25: G-1 accepted, G-2 waiting to be accepted; both due Fri 27, not yet within a working day
    assert (d1.data["open"], d1.data["to_accept"], d1.data["due_soon"], d1.data["overdue"]) == (2, 1, 0, 0)
    boss = next(n for n in notices("digest") if n.unit_id == world.units["C0"].id)
    assert (boss.data["open"], boss.data["overdue"], boss.data["triage"]) == (3, 0, 1)  # G-4 waits for triage
    east = next(n for n in notices("digest") if n.unit_id == world.units["R1"].id)
    assert (east.data["open"], east.data["triage"]) == (3, 0)  # triage is the top office's


# --- deadline changes -------------------------------------------------------------------------

def test_deadline_changes_tell_each_unit_once(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    ids = [post_report(client, world, pid, unit) for pid, unit in [("K-1", "D1"), ("K-2", "D1"), ("K-3", "D2")]]
    tickets = [db.session.get(Ticket, i) for i in ids]
    for t in tickets:  # as a calendar reload would have moved them
        t.unit_due_at += timedelta(days=1)
    at = clock()
    assert notify.notify_deadline_changes(tickets, at) == 2  # D1 (K-1, K-2) and D2 (K-3)
    db.session.commit()
    assert notify.notify_deadline_changes(tickets, at) == 0  # the same outcome again: nobody told twice
    tickets[0].unit_due_at += timedelta(days=1)
    assert notify.notify_deadline_changes(tickets[:1], at) == 1  # a further change is news
    d1 = [n for n in notices("deadline") if n.unit_id == world.units["D1"].id][0]
    assert [t["platform_id"] for t in d1.data["tickets"]] == ["K-1", "K-2"]


# --- the in-app list --------------------------------------------------------------------------

def test_notice_page_lists_only_my_notices_escaped(app, client, world, clock):
    clock.set("2026-11-24T10:00:00+08:00")
    post_report(client, world, "W-1", "D1", site_name="<script>alert(1)</script>")
    post_report(client, world, "W-2", "D2")
    sweep_at(clock, "2026-11-26T07:00:00+08:00")
    assert sign_in(client, world.users["edu_clerk"]).status_code == 302
    page = client.get("/notices")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "W-1" in html and "W-2" not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_sweep_counts_are_a_plain_dict(app, world, clock):
    assert run_sweep(clock.set("2026-11-24T10:00:00+08:00")) == {
        "reminders": 0, "escalations": 0, "digests": 0, "imports_expired": 0, "mail_due": 0, "deliveries_due": 0,
        "finding_reminders": 0, "finding_escalations": 0}


# --- the outbox -------------------------------------------------------------------------------

def test_a_long_list_is_cut_in_the_mail_and_counted(app, client, world, clock, smtp):
    with_mail(app, smtp, world)
    clock.set("2026-11-24T10:00:00+08:00")
    reports = [{"platform_id": f"L-{i:02d}", "received_at": "2026-11-24T10:00:00+08:00",
                "url": "https://edu.dongcheng.gov.cn/x.html", "description": "错别字"} for i in range(52)]
    assert client.post("/api/v1/reports", json={"reports": reports}, headers=world.headers("boss")).get_json()["created"] == 52
    assert sweep_at(clock, "2026-11-26T07:00:00+08:00")["reminders"] == 52
    [message] = smtp.messages
    # 52 reminders in one message: 50 listed, the other 2 counted
    assert "52 条留言即将到期" in message.subject
    assert message.body.count("· 留言 L-") == 50 and "另有 2 条" in message.body
    assert count(N, N.email_status == "sent") == 52


def test_a_refused_address_fails_for_good_and_is_not_retried(app, client, world, clock, smtp):
    with_mail(app, smtp, world)
    smtp.refuse.add("edu_clerk@office.example")
    clock.set("2026-11-24T10:00:00+08:00")
    post_report(client, world, "F-1")
    sweep_at(clock, "2026-11-26T07:00:00+08:00")
    [notice] = notices("remind")
    assert notice.email_status == "failed" and "550" in notice.email_error
    assert sweep_at(clock, "2026-11-26T07:50:00+08:00")["mail_due"] == 0  # nothing left to send
    assert smtp.messages == []


def test_mail_claimed_by_a_worker_that_died_is_sent_after_the_lease(app, client, world, clock, smtp):
    with_mail(app, smtp, world)
    clock.set("2026-11-24T10:00:00+08:00")
    post_report(client, world, "C-1")
    at = clock.set("2026-11-26T07:00:00+08:00")
    notify.queue_reminders(at, current_calendar())
    # a worker claimed the notice and died before sending (lease: 5 minutes)
    db.session.execute(sa.update(N).values(email_status="sending", email_claim="dead", email_next_at=at + outbox.MAIL_LEASE))
    db.session.commit()
    assert outbox.send_pending_mail(at + timedelta(minutes=4))["messages"] == 0
    assert outbox.send_pending_mail(at + timedelta(minutes=5))["messages"] == 1
    assert [n.email_status for n in notices()] == ["sent"]
    assert len(smtp.messages) == 1


def test_recompute_after_a_calendar_load_tells_the_unit(app, client, world, clock):
    import pytest

    pytest.importorskip("feedback.tickets.refresh", reason="tickets/refresh.py comes with the calendar branch")
    from feedback.calendar.service import DayRow, store_days

    clock.set("2026-12-30T10:00:00+08:00")  # Wed
    ticket_id = post_report(client, world, "Y-1")
    # 2027 is not in chinese_calendar 1.11: Thu 31 Dec, Fri 1 Jan, Mon 4 Jan on the weekend rule, provisional
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.deadline_provisional and ticket.unit_due_at.isoformat() == "2027-01-04T15:59:59+00:00"
    store_days([DayRow(date(2027, 1, 1), False, "元旦")])  # the published schedule: 1 January off
    db.session.commit()
    assert notify.recompute_and_notify([2027], clock())["notices"] == 1
    # Thu 31 Dec, Mon 4 Jan, Tue 5 Jan → due 5 Jan, now firm
    [notice] = notices("deadline")
    assert notice.unit_id == world.units["D1"].id
    assert notice.data["tickets"][0]["unit_due_at"] == "2027-01-05T23:59:59+08:00"
    assert notify.recompute_and_notify([2027], clock())["notices"] == 0


# --- `feedback sweep` (embedded default: no Redis, run from cron) -------------------------------

def test_sweep_command_prints_its_counts(app, client, world, clock):
    from feedback.jobs.cli import sweep_command

    clock.set("2026-11-24T10:00:00+08:00")
    post_report(client, world, "S-1")
    out = app.test_cli_runner().invoke(sweep_command, ["--at", "2026-11-26T07:00"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["reminders"] == 1
    bad = app.test_cli_runner().invoke(sweep_command, ["--at", "tomorrow"])
    assert bad.exit_code == 2 and "--at" in bad.output


def test_sweep_command_makes_the_previous_months_export_once(app, world, clock):
    """Without Redis, `feedback sweep` from cron stands in for rq cron, monthly export included."""
    import sqlalchemy as sa

    from feedback.exports.models import ExportJob
    from feedback.extensions import db
    from feedback.jobs.cli import sweep_command

    clock.set("2026-12-01T01:00:00+08:00")
    runner = app.test_cli_runner()
    for _ in range(2):  # cron runs it every few minutes: the second run finds the job made
        out = runner.invoke(sweep_command, ["--at", "2026-12-01T01:00"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.output)["monthly_exports"] == 1  # one top-level supervisor scope: C0
    [job] = db.session.execute(sa.select(ExportJob)).scalars().all()
    assert job.automatic and job.status == "done" and job.scope_unit_id == world.units["C0"].id
    assert "2026-11" in (job.filename or "") or job.params.get("month") == "2026-11"
