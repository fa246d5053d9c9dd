"""延期审批: the list shows the deadline an approval would give, and warns when it is still past or
later than the platform's deadline; approving such a request says so."""
from __future__ import annotations

import re

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle


def request_extension(world, clock, ticket, days):
    lifecycle.apply(ticket, "request-extension", Actor.of(world.users["edu_clerk"]), clock(),
                    {"days": days, "reason": "需要外包公司修改"}, current_calendar())
    db.session.commit()


def outcome_cell(html: str, ticket_id: int) -> str:
    row = html[html.index(f'href="/tickets/{ticket_id}"'):]
    cell = re.search(r'class="extension-outcome">(.*?)</td>', row, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_an_extension_of_a_long_overdue_ticket_is_flagged_before_and_after_approval(world, clock, make_ticket,
                                                                                    as_user):
    clock.set("2026-11-02T09:00:00+08:00")  # Monday: unit due Thu 11-05, platform due Mon 11-09
    ticket = make_ticket("2026110200001")
    clock.set("2026-11-24T10:00:00+08:00")  # 13 working days after the unit deadline
    request_extension(world, clock, ticket, 3)  # 3 + 3 working days from 11-02: Tue 11-10
    boss = as_user("boss")
    assert outcome_cell(boss.get("/extensions").get_data(as_text=True), ticket.id) == \
        "2026-11-10 23:59 仍已超期 晚于平台期限"
    r = boss.post(f"/tickets/{ticket.id}/decide-extension", data={"approve": "1", "days": "3", "next": "/extensions"})
    page = boss.get(r.headers["Location"]).get_data(as_text=True)
    assert "注意：延期后的单位期限 2026-11-10 23:59 仍早于现在，这张工单仍然超期。" in page
    assert "注意：延期后的单位期限 2026-11-10 23:59 晚于平台期限 2026-11-09 23:59，平台期限不会随之顺延。" in page


def test_an_extension_within_both_deadlines_shows_its_deadline_and_no_warning(world, clock, make_ticket, as_user):
    ticket = make_ticket("2026112400001")  # Tue 11-24: unit due Fri 11-27, platform due Tue 12-01
    request_extension(world, clock, ticket, 1)
    boss = as_user("boss")
    assert outcome_cell(boss.get("/extensions").get_data(as_text=True), ticket.id) == "2026-11-30 23:59"
    r = boss.post(f"/tickets/{ticket.id}/decide-extension", data={"approve": "1", "days": "1"})
    page = boss.get(r.headers["Location"]).get_data(as_text=True)
    assert "延期申请已处理。" in page and "注意：" not in page


def test_a_county_sees_that_the_city_decides_an_extension_of_a_deadline_the_city_set(world, clock, make_ticket,
                                                                                      as_user):
    # routed by the city office straight to 东城县教育局: that deadline is owed to the city, so
    # 东城县's supervisor may refuse the request but an approval is the city's (409 otherwise)
    ticket = make_ticket("2026112400002")
    request_extension(world, clock, ticket, 2)
    county = as_user("east_boss")
    queue = county.get("/extensions").get_data(as_text=True)
    row = queue[queue.index(f'href="/tickets/{ticket.id}"'):]
    row = row[:row.index("</tr>")]
    assert "须由示例市人民政府办公室同意" in row and 'name="approve" value="1"' not in row
    assert 'name="approve" value="0"' in row  # refusing stays the county's to do
    detail = county.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "这一期限由示例市人民政府办公室设定，同意延期须由示例市人民政府办公室审批；本级可以不同意。" in detail
    assert 'id="grant-days"' not in detail
    city = as_user("boss").get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert 'id="grant-days"' in city and 'id="extension-decider"' not in city
