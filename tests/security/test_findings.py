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
from feedback.imports.run import create_import, run_import
from feedback.imports.models import ImportJob, ImportRow
from feedback.jobs.sweep import run_sweep
from feedback.tickets.models import Ticket

from tests.imports.files import row, upload, write_csv
from tests.support.signin import sign_in


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
    assert tuple(reason) == (3, "联系电话: 不能超过 50 个字符（现为 51 个）")
    assert tickets() == ["I1", "I3"]


def test_feedback_import_writes_its_results_and_exits_0_with_an_over_long_cell(app, world, tmp_path):
    path = write_csv(tmp_path / "h2cli.csv", header=PERSONAL, rows=[row("C1") + ["1" * 51], row("C2") + [""]])
    done = app.test_cli_runner().invoke(args=["import", str(path)])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert (summary["created"], summary["error"]) == (1, 1)
    lines = Path(summary["results"]).read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == "2,C1,error,,联系电话: 不能超过 50 个字符（现为 51 个）"


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


# --- L2: API tokens listed and revoked; a new password revokes them -----------------------------

def test_token_list_shows_id_and_times_never_the_secret_and_revoke_ends_it(app, client, world, clock):
    cli = app.test_cli_runner()
    secret = world.tokens["edu_clerk"]
    assert client.get("/api/v1/tickets", headers=world.headers("edu_clerk")).status_code == 200
    listed = cli.invoke(args=["token", "list", "edu_clerk"])
    assert listed.exit_code == 0
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == world.users["edu_clerk"].id)).scalar_one()
    assert listed.stdout.splitlines() == [
        "id\tcreated\tlast_used\trevoked\tprefix\tlabel",
        f"{token.id}\t2026-11-24T10:00:00+08:00\t2026-11-24T10:00:00+08:00\t-\t{secret[:10]}…\ttest"]
    assert secret not in listed.stdout
    revoked = cli.invoke(args=["token", "revoke", str(token.id)])
    assert revoked.exit_code == 0 and secret not in revoked.stdout
    assert client.get("/api/v1/tickets", headers=world.headers("edu_clerk")).status_code == 401
    assert cli.invoke(args=["token", "revoke", "999999"]).exit_code == 2
    assert cli.invoke(args=["token", "list", "nobody"]).exit_code == 2


def test_the_tokens_page_lists_and_revokes_only_ones_own(client, as_user, world):
    browser = as_user("edu_clerk")
    mine = db.session.execute(sa.select(ApiToken.id).where(ApiToken.user_id == world.users["edu_clerk"].id)).scalar_one()
    theirs = db.session.execute(sa.select(ApiToken.id).where(ApiToken.user_id == world.users["boss"].id)).scalar_one()
    page = browser.get("/account/tokens").get_data(as_text=True)
    assert world.tokens["edu_clerk"][:10] in page and world.tokens["edu_clerk"] not in page
    assert world.tokens["boss"][:10] not in page
    assert browser.post(f"/account/tokens/{theirs}/revoke").status_code == 404
    assert client.get("/api/v1/tickets", headers=world.headers("boss")).status_code == 200
    assert browser.post(f"/account/tokens/{mine}/revoke").status_code == 302
    assert client.get("/api/v1/tickets", headers=world.headers("edu_clerk")).status_code == 401


def test_a_password_change_revokes_the_users_tokens(client, as_user, world):
    browser = as_user("edu_clerk")
    browser.post("/account/password", data={"current": "correct horse", "new": "new horse 2026",
                                            "confirm": "new horse 2026"})
    assert client.get("/api/v1/tickets", headers=world.headers("edu_clerk")).status_code == 401
    assert client.get("/api/v1/tickets", headers=world.headers("health_clerk")).status_code == 200


# --- L3: uploads are kept as long as their results, refused ones not at all, under a cap -------

def stored_upload() -> Path:
    return Path(db.session.execute(sa.select(ImportJob.path)).scalar_one())


def test_a_refused_upload_is_deleted_at_once(as_user, world, tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("随便写的笔记\n没有表头\n", encoding="utf-8")
    upload(as_user("boss"), bad)
    job = db.session.execute(sa.select(ImportJob)).scalar_one()
    assert job.status == "failed"
    assert not stored_upload().exists() and job.file_deleted_at is not None


def test_an_uploads_file_and_results_go_when_the_keeping_time_ends(app, as_user, world, tmp_path, clock):
    upload(as_user("boss"), write_csv(tmp_path / "ok.csv", [row("K1"), row("K2")]))
    job = db.session.execute(sa.select(ImportJob)).scalar_one()
    assert job.status == "done" and stored_upload().exists()
    run_sweep(clock.advance(days=89))
    assert stored_upload().exists()
    assert db.session.query(ImportRow).count() == 2
    run_sweep(clock.advance(days=2))
    db.session.refresh(job)
    assert not stored_upload().exists() and job.file_deleted_at is not None
    assert db.session.query(ImportRow).count() == 0
    assert (job.created_rows, tickets()) == (2, ["K1", "K2"])  # the tickets themselves stay


def test_a_command_line_file_is_never_deleted(app, world, tmp_path, clock):
    path = write_csv(tmp_path / "mine.csv", [row("CL1")])
    assert app.test_cli_runner().invoke(args=["import", str(path)]).exit_code == 0
    run_sweep(clock.advance(days=200))
    assert path.exists()


def test_uploads_over_the_total_cap_are_refused(app, as_user, world, tmp_path):
    browser = as_user("boss")
    upload(browser, write_csv(tmp_path / "a.csv", [row("A1")]))
    app.config["UPLOAD_MAX_TOTAL_BYTES"] = db.session.execute(sa.select(ImportJob.size)).scalar_one() + 100
    r = upload(browser, write_csv(tmp_path / "b.csv", [row("B1")]))
    assert r.status_code == 507 and "存储上限" in r.get_data(as_text=True)
    assert db.session.query(ImportJob).count() == 1


# --- L4: the OpenAPI document ---------------------------------------------------------------------

def _resolve(spec, schema):
    if "$ref" in schema:
        return _resolve(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def _matches(spec, schema, body) -> bool:
    """A small check of the two result schemas: every required field is present."""
    schema = _resolve(spec, schema)
    return all(name in body for name in schema.get("required", []))


def test_the_reports_200_answer_matches_exactly_one_schema(client, world):
    spec = client.get("/api/v1/openapi.json").get_json()
    one_of = spec["paths"]["/reports"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
    client.post("/api/v1/reports", json=report("OA-1"), headers=world.headers("boss"))  # 201
    single = client.post("/api/v1/reports", json=report("OA-1"), headers=world.headers("boss")).get_json()  # a duplicate: 200
    batch = client.post("/api/v1/reports", json={"reports": [report("OA-2")]}, headers=world.headers("boss")).get_json()
    assert [_matches(spec, s, single) for s in one_of] == [True, False]
    assert [_matches(spec, s, batch) for s in one_of] == [False, True]


def test_reasons_are_required_and_the_page_bound_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    bodies = {b["title"]: b for b in spec["paths"]["/tickets/{id}/{action}"]["post"]["requestBody"]["content"]
              ["application/json"]["schema"]["oneOf"]}
    for action in ("reject", "return", "invalidate", "request-extension"):
        assert "reason" in bodies[action]["required"]
    assert bodies["decide-extension"]["then"]["required"] == ["approve", "reason"]
    page = next(p for p in spec["paths"]["/tickets"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == 10**6


def test_a_405_names_the_allowed_methods(client, world, as_user):
    r = client.get("/api/v1/reports", headers=world.headers("boss"))
    assert r.status_code == 405 and "POST" in r.headers["Allow"] and r.is_json
    r = as_user("boss").delete("/inbox")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]


# --- L5: a targeted lock-out costs the attacker more than the user ------------------------------

def attempt(name, password, address, clock):
    out = authenticate(name, password, address, clock())
    db.session.commit()
    return out


def test_five_wrong_passwords_lock_the_name_only_from_that_address(world, clock):
    for _ in range(5):
        attempt("edu_clerk", "wrong", "203.0.113.9", clock)
    assert attempt("edu_clerk", "correct horse", "203.0.113.9", clock).locked_until is not None
    assert attempt("edu_clerk", "correct horse", "10.0.0.1", clock).user is not None  # the clerk's desk


def test_past_the_ceiling_each_new_address_gets_one_guess_and_a_clean_one_still_gets_in(world, clock):
    # 50 failures from ten addresses: the name's ceiling.
    for i in range(throttle.LIMITS["user"]):
        attempt("edu_clerk", "wrong", f"198.51.100.{i // 5}", clock)
    assert attempt("edu_clerk", "correct horse", "198.51.100.3", clock).user is None  # a failed source: locked
    fresh = attempt("edu_clerk", "wrong", "198.51.100.77", clock)  # a new source: its one guess fails ...
    assert fresh.locked_until is not None  # ... and locks it at once
    assert attempt("edu_clerk", "correct horse", "198.51.100.77", clock).user is None
    assert attempt("edu_clerk", "correct horse", "10.0.0.1", clock).user is not None  # the clerk is never locked out


def test_a_lock_reads_the_same_for_a_real_and_an_unknown_name(world, clock):
    real = [attempt("edu_clerk", "wrong", "192.0.2.1", clock).locked_until for _ in range(6)]
    ghost = [attempt("no_such_user", "wrong", "192.0.2.2", clock).locked_until for _ in range(6)]
    assert real == ghost
