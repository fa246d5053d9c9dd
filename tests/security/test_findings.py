"""Each finding of the security and fault review (issue 17) as a test of what a user would see.

H1 rule capture · H2 field limits · M1 unit_code scope · M2 sessions end at sign-out ·
M3 open redirect · M4 duplicates outside scope · L1 malformed parameters · L2 API tokens ·
L3 upload retention · L4 OpenAPI · L5 targeted lock-out.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback.accounts import throttle
from feedback.accounts.login import authenticate
from feedback.accounts.models import ApiToken
from feedback.accounts.scope import Actor
from feedback.directory.admin import add_property
from feedback.directory.models import RoutingRule
from feedback.directory.routing import Query, route_many
from feedback.directory.rules import add_rule_in_scope
from feedback.errors import InputError
from feedback.extensions import db
from feedback.jobs.imports import create_import, run_import
from feedback.jobs.models import ImportJob, ImportRow
from feedback.jobs.sweep import run_sweep
from feedback.tickets.models import Ticket

from tests.jobs.files import row, upload, write_csv
from tests.web_helpers import sign_in


def report(pid: str, **fields) -> dict:
    return {"platform_id": pid, "received_at": "2026-11-24T09:00:00+08:00", "description": "栏目链接打不开",
            "url": "http://edu.dongcheng.gov.cn/tzgg/1.html", **fields}


def tickets() -> list[str]:
    return db.session.execute(sa.select(Ticket.platform_id).order_by(Ticket.platform_id)).scalars().all()


# --- H1: a county supervisor cannot capture a city unit's pages -------------------------------

@pytest.fixture
def city_department_site(world):
    """示例市交通局 (D9, directly under the city office) owns jtj.example.gov.cn."""
    add_property(world.units["D9"], "website", "示例市交通局网站", site_code="1100000009",
                 url_prefixes=["jtj.example.gov.cn"])
    db.session.commit()


def test_a_county_supervisor_cannot_add_a_rule_under_a_city_departments_prefix(as_user, world, city_department_site):
    r = as_user("east_boss").post("/admin/rules", data={"kind": "url_prefix", "pattern": "jtj.example.gov.cn/zwgk",
                                                       "unit": "D1"})
    assert r.status_code == 200
    assert "在您的管辖范围以外" in r.get_data(as_text=True)
    assert db.session.execute(sa.select(RoutingRule).where(RoutingRule.pattern == "jtj.example.gov.cn/zwgk")).first() is None
    [match] = route_many(db.session, [Query(url="http://jtj.example.gov.cn/zwgk/1.html")])
    assert match.unit_id == world.units["D9"].id  # the city department still gets its pages


def test_the_assign_boxs_rule_and_the_property_editor_use_the_same_check(as_user, world, city_department_site):
    county = Actor.of(world.users["east_boss"])
    with pytest.raises(InputError) as refused:
        add_rule_in_scope(county, "url_prefix", "http://www.jtj.example.gov.cn/zwgk/", world.units["D1"])
    assert set(refused.value.errors) == {"pattern"}
    r = as_user("east_boss").post("/admin/properties", data={
        "kind": "website", "name": "冒名站点", "unit": "D1", "url_prefixes": "jtj.example.gov.cn/a/b"})
    assert r.status_code == 200 and "在您的管辖范围以外" in r.get_data(as_text=True)


def test_a_county_supervisor_still_adds_rules_under_its_own_prefixes(world):
    county = Actor.of(world.users["east_boss"])
    rule = add_rule_in_scope(county, "url_prefix", "www.dongcheng.gov.cn/new", world.units["D2"])
    assert (rule.pattern, rule.unit_id) == ("dongcheng.gov.cn/new", world.units["D2"].id)


# --- H2: field limits, the same on SQLite and PostgreSQL --------------------------------------

@pytest.mark.parametrize("field, limit", [("reporter_phone", 50), ("reporter_name", 100), ("reporter_email", 200),
                                          ("site_name", 200), ("site_code", 32), ("category", 100)])
def test_an_over_long_field_is_a_422_naming_the_field_and_its_limit(client, world, field, limit):
    r = client.post("/api/v1/reports", json=report("H2-1", **{field: "9" * (limit + 1)}), headers=world.headers("boss"))
    assert r.status_code == 422
    assert r.get_json()["errors"] == {field: f"at most {limit} characters ({limit + 1} given)"}
    assert tickets() == []
    ok = client.post("/api/v1/reports", json=report("H2-2", **{field: "9" * limit}), headers=world.headers("boss"))
    assert ok.status_code == 201  # exactly at the limit is stored


def test_a_batch_keeps_its_good_items_beside_an_over_long_one(client, world):
    r = client.post("/api/v1/reports", headers=world.headers("boss"), json={"reports": [
        report("GOOD-1"), report("LONG-1", reporter_phone="1" * 51), report("GOOD-2")]})
    assert r.status_code == 200
    body = r.get_json()
    assert (body["created"], body["duplicate"], body["error"]) == (2, 0, 1)
    assert body["results"][1]["errors"] == {"reporter_phone": "at most 50 characters (51 given)"}
    assert tickets() == ["GOOD-1", "GOOD-2"]


PERSONAL = ["留言编号", "转办时间", "问题描述", "问题网址", "联系电话"]


def test_an_import_names_the_excel_row_of_an_over_long_cell_and_keeps_the_rest_in_one_attempt(app, world, tmp_path):
    path = write_csv(tmp_path / "h2.csv", header=PERSONAL, rows=[
        row("I1") + ["13800000000"], row("I2") + ["1" * 51], row("I3") + [""]])
    job = create_import(path, path.name, owner=world.users["boss"])
    db.session.commit()
    job = run_import(job.id)
    assert (job.status, job.attempts, job.created_rows, job.error_rows) == ("done", 1, 2, 1)
    reason = db.session.execute(sa.select(ImportRow.row, ImportRow.reason).where(ImportRow.status == "error")).one()
    assert tuple(reason) == (3, "联系电话: at most 50 characters (51 given)")
    assert tickets() == ["I1", "I3"]


def test_feedback_import_writes_its_results_and_exits_0_with_an_over_long_cell(app, world, tmp_path):
    path = write_csv(tmp_path / "h2cli.csv", header=PERSONAL, rows=[row("C1") + ["1" * 51], row("C2") + [""]])
    done = app.test_cli_runner().invoke(args=["import", str(path)])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert (summary["created"], summary["error"]) == (1, 1)
    lines = Path(summary["results"]).read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == "2,C1,error,,联系电话: at most 50 characters (51 given)"


# --- M1: history only against units in the caller's subtree, through the API too --------------

def test_a_county_supervisor_cannot_push_history_into_another_countys_unit(client, world):
    r = client.post("/api/v1/reports", headers=world.headers("east_boss"), json={"reports": [
        report("M1-A", unit_code="D3", assigned_at="2026-11-24T10:00:00+08:00"),  # 西城区人社局: not R1's
        report("M1-B", unit_code="D1", assigned_at="2026-11-24T10:00:00+08:00")]})  # 东城县教育局: R1's
    results = r.get_json()["results"]
    assert [x["status"] for x in results] == ["error", "created"]
    assert results[0]["errors"] == {"unit_code": "D3 不在你管辖的单位范围内"}
    assert tickets() == ["M1-B"]


# --- M2: signing out ends the session on the server --------------------------------------------

def test_a_cookie_captured_before_sign_out_no_longer_works(app, world):
    browser = app.test_client()
    assert sign_in(browser, "edu_clerk").status_code == 302
    captured = browser.get_cookie("session").value
    assert browser.get("/inbox").status_code == 200
    browser.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", captured)
    r = thief.get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_password_change_ends_other_sessions(as_user, world):
    desk, phone = as_user("edu_clerk"), as_user("edu_clerk")
    r = desk.post("/account/password", data={"current": "correct horse", "new": "new horse 2026",
                                            "confirm": "new horse 2026"})
    assert r.status_code == 302
    assert desk.get("/inbox").status_code == 200
    assert phone.get("/inbox").status_code == 302


# --- M3: next only as a local path --------------------------------------------------------------

@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/%5Cevil.example", "//evil.example",
                                    "https://evil.example/", "/%20/evil.example", "%2F%2Fevil.example"])
def test_next_leading_off_site_lands_on_the_landing_page(client, world, target):
    r = client.post(f"/login?next={target}", data={"username": "edu_clerk", "password": "correct horse"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/inbox"


def test_next_within_the_site_is_kept(client, world):
    r = client.post("/login?next=/tickets/1%3Fx%3D1", data={"username": "edu_clerk", "password": "correct horse"})
    assert r.headers["Location"] == "/tickets/1?x=1"


# --- M4: a duplicate does not reveal a ticket outside the caller's scope ------------------------

def test_a_duplicate_of_a_ticket_outside_scope_has_its_ticket_fields_null(client, world, make_ticket, tmp_path):
    make_ticket("CITY-1", url=None, unit_code="D3")  # 西城区: outside 东城县
    make_ticket("EAST-1")  # 东城县教育局: inside
    r = client.post("/api/v1/reports", json=report("CITY-1"), headers=world.headers("east_boss"))
    assert r.status_code == 200
    assert r.get_json() == {"index": 0, "platform_id": "CITY-1", "status": "duplicate", "ticket_id": None,
                            "state": None, "unit": None, "unit_due_at": None, "platform_due_at": None,
                            "deadline_provisional": None, "errors": {}}
    inside = client.post("/api/v1/reports", json=report("EAST-1"), headers=world.headers("east_boss")).get_json()
    assert inside["ticket_id"] is not None and inside["unit"]["code"] == "D1"

    path = write_csv(tmp_path / "m4.csv", [row("CITY-1"), row("EAST-1")])
    job = create_import(path, path.name, owner=world.users["east_boss"])
    db.session.commit()
    run_import(job.id)
    shown = db.session.execute(sa.select(ImportRow.platform_id, ImportRow.status, ImportRow.ticket_id)
                               .where(ImportRow.job_id == job.id).order_by(ImportRow.row)).all()
    east_id = db.session.execute(sa.select(Ticket.id).where(Ticket.platform_id == "EAST-1")).scalar_one()
    assert [tuple(s) for s in shown] == [("CITY-1", "duplicate", None), ("EAST-1", "duplicate", east_id)]


# --- L1: malformed parameters answer 404/422, never 500 ----------------------------------------

@pytest.mark.parametrize("url", ["/tickets/2147483648", "/admin/users/99999999999999999999", "/imports/2147483648",
                                 "/exports/2147483648/status", "/admin/units/2147483648"])
def test_ids_beyond_the_integer_column_are_404(as_user, url):
    assert as_user("boss").get(url).status_code == 404


def test_api_ids_beyond_the_integer_column_are_404(client, world):
    assert client.get("/api/v1/tickets/2147483648", headers=world.headers("boss")).status_code == 404
    r = client.post("/api/v1/tickets/9223372036854775808/accept", json={}, headers=world.headers("edu_clerk"))
    assert r.status_code == 404


@pytest.mark.parametrize("url, field", [("/inbox?q=a%00b", "q"), ("/inbox?unit=D1%00", "unit"),
                                        ("/admin/rules?url=x%00", "url"), ("/dashboard?unit=%00", "unit")])
def test_a_nul_in_a_query_parameter_is_a_422(as_user, url, field):
    r = as_user("boss").get(url)
    assert r.status_code == 422 and field in r.get_data(as_text=True)


def test_a_nul_in_a_form_field_or_json_text_is_a_422(client, as_user, world, make_ticket):
    assert client.post("/login", data={"username": "edu\x00clerk", "password": "x"}).status_code == 422
    ticket = make_ticket("NUL-1")
    r = as_user("edu_clerk").post(f"/tickets/{ticket.id}/reply", data={"text": "已改正\x00"})
    assert r.status_code == 422
    r = client.post(f"/api/v1/tickets/{ticket.id}/reply", json={"text": "已改正\x00"}, headers=world.headers("edu_clerk"))
    assert r.status_code == 422 and r.get_json()["errors"] == {"text": "contains a NUL character"}
    db.session.refresh(ticket)
    assert ticket.state == "assigned"


@pytest.mark.parametrize("url, field", [
    ("/api/v1/assessment/0000Q1", "quarter"), ("/api/v1/assessment/9999Q4", "quarter"),
    ("/api/v1/tickets?received_from=0001-01-01", "received_from"),
    ("/api/v1/metrics/closure?from=2026-11-01&to=2026-11-30&as_of=9999-12-31T23:59:59", "as_of"),
    ("/api/v1/metrics/closure?from=0001-01-01&to=0001-01-31", "from"),
    ("/api/v1/tickets?page=99999999999999999999", "page"),
])
def test_out_of_range_dates_and_pages_in_the_api_are_422_naming_the_field(client, world, url, field):
    r = client.get(url, headers=world.headers("boss"))
    assert r.status_code == 422 and field in r.get_json()["errors"]


@pytest.mark.parametrize("url", ["/dashboard?month=0000-01", "/dashboard?quarter=9999Q4",
                                 "/dashboard?as_of=9999-12-31T23:59", "/inbox?received_from=0001-01-01"])
def test_out_of_range_dates_on_pages_are_refused_not_500(as_user, url):
    assert as_user("boss").get(url).status_code in (200, 422)  # the page names the field; never a 500


@pytest.mark.parametrize("url", ["/admin/users", "/exports", "/imports"])
def test_a_huge_page_number_shows_an_empty_page(as_user, url):
    assert as_user("boss").get(f"{url}?page=99999999999999999999").status_code == 200


def test_the_error_page_after_a_failed_statement_is_the_error_page(app, world, as_user):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_broken")  # a view whose statement fails: PostgreSQL then refuses all but a rollback
    def _broken():
        db.session.execute(sa.text("SELECT no_such_column FROM units"))

    r = as_user("boss").get("/_broken")
    assert r.status_code == 500
    assert "no_such_column" not in r.get_data(as_text=True)
    assert "<nav" in r.get_data(as_text=True)  # the full page, menu and all: its queries ran
