"""Exports from the web as background jobs, their scope, and the automatic monthly export."""
from __future__ import annotations

import io
import os
from urllib.parse import unquote

import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from feedback.exports import jobs
from feedback.exports.models import ExportJob
from feedback.exports.periods import previous_month
from feedback.extensions import db
from tests.exports.conftest import november

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def all_jobs():
    db.session.expire_all()
    return db.session.execute(sa.select(ExportJob).order_by(ExportJob.id)).scalars().all()


def request_closure(browser, month="2026-11", fmt="xlsx"):
    return browser.post("/exports", data={"closure-kind": "closure", "closure-month": month, "closure-format": fmt})


def test_a_county_supervisor_gets_a_download_that_only_covering_scopes_can_fetch(story, as_user):
    november(story)
    east = as_user("east_boss")
    r = request_closure(east)
    assert r.status_code == 302
    job_url = r.headers["Location"]
    (job,) = all_jobs()
    assert job_url.endswith(f"/exports/{job.id}")
    assert (job.kind, job.format, job.status, job.progress) == ("closure", "xlsx", "done", 100)
    assert job.scope_unit_id == story.world.units["R1"].id and not job.automatic

    page = east.get(job_url).get_data(as_text=True)
    assert "exports/exports.js" in page and "<progress" in page and f"/exports/{job.id}/download" in page
    status = east.get(f"{job_url}/status").get_json()
    assert status["status"] == "done" and status["progress"] == 100
    assert status["download_url"].endswith(f"/exports/{job.id}/download")

    download = east.get(status["download_url"])
    assert download.status_code == 200 and download.mimetype == XLSX
    assert "按期办结率_R1_2026-11.xlsx" in unquote(download.headers["Content-Disposition"])
    ws = load_workbook(io.BytesIO(download.data))["按期办结率"]
    # R1's subtree only: R1, D1, D2, the 小计 of R1 (本级, as R1 is the root here), the units' 合计
    # and R1's own
    assert [(row[0].value, row[1].value, row[4].value) for row in ws.iter_rows(min_row=2)] == [
        (1, "R1", 0), (2, "D1", 3), (3, "D2", 2), ("小计", "R1", 5), ("合计", None, 5), ("合计", "R1", 5)]

    # another county's supervisor and viewer: as if it did not exist
    for who in ("west_boss", "west_watcher"):
        other = as_user(who)
        for path in (job_url, f"{job_url}/status", f"{job_url}/download"):
            assert other.get(path).status_code == 404, (who, path)
        assert f"/exports/{job.id}" not in other.get("/exports").get_data(as_text=True)
    # the city's supervisor and viewer cover R1
    for who in ("boss", "watcher"):
        assert as_user(who).get(status["download_url"]).status_code == 200, who
    # unit staff have no exports at all
    assert as_user("edu_clerk").get("/exports").status_code == 403


def test_a_viewer_requests_the_assessment_draft(story, as_user):
    november(story)
    viewer = as_user("west_watcher")
    r = viewer.post("/exports", data={"assessment-kind": "assessment", "assessment-quarter": "2026Q4",
                                      "assessment-format": "docx"})
    assert r.status_code == 302
    download = viewer.get(viewer.get(r.headers["Location"] + "/status").get_json()["download_url"])
    doc = Document(io.BytesIO(download.data))
    # R2 in 2026Q4 as of the request (Tue Nov 24 10:00): D3 T6, T8 on time, D5 T11 overdue → 2 / 3
    assert ("（三）“我为政府网站找错”平台。2026年10月1日至11月24日，全区共收到网民反馈的“我为政府网站找错”留言3条，"
            "按期办结率为66.7%。") in [p.text for p in doc.paragraphs]


def test_a_bad_request_says_what_is_wrong_and_makes_no_job(story, as_user):
    boss = as_user("boss")
    r = request_closure(boss, month="2026-13")
    assert r.status_code == 422 and "日期不正确" in r.get_data(as_text=True)
    r = boss.post("/exports", data={"closure-kind": "closure", "closure-month": "", "closure-format": "xlsx"})
    assert r.status_code == 422 and "请选择月份" in r.get_data(as_text=True)
    r = request_closure(boss, fmt="docx")  # the closure export has no DOCX
    assert r.status_code == 422
    assert all_jobs() == []


def test_running_a_job_again_keeps_its_file(story):
    november(story)
    job = jobs.new_job("closure", "csv", jobs.closure_params(previous_month(story.clock().date()),
                                                            story.clock()), story.world.units["C0"])
    db.session.commit()
    path = jobs.run_job(job.id)
    first = os.stat(path).st_mtime_ns
    assert jobs.run_job(job.id) == path
    assert os.stat(path).st_mtime_ns == first
    (job,) = all_jobs()
    assert job.status == "done" and job.filename == "按期办结率_C0_2026-10.csv"


def test_a_failing_job_is_recorded_for_the_person_waiting(story):
    job = jobs.new_job("assessment", "docx", {"quarter": "2026Q9", "as_of": "2026-11-24T10:00:00+08:00"},
                       story.world.units["C0"])
    db.session.commit()
    assert jobs.run_job(job.id) is None  # never raised into the request that ran it in-process
    (job,) = all_jobs()
    assert job.status == "failed" and "2026Q9" in job.error and job.path is None


def test_the_monthly_export_is_made_once_per_month_and_scope_and_listed(story, as_user):
    november(story)
    # boss (C0) is the only top-level supervisor: east_boss (R1) and west_boss (R2) sit inside C0
    assert [u.code for u in jobs.top_level_supervisor_units()] == ["C0"]
    first = jobs.monthly_exports("2026-12-01T00:05:00+08:00")
    (job,) = all_jobs()
    mtime = os.stat(job.path).st_mtime_ns
    # a repeated or late run of the schedule finds the same job and leaves its file alone
    assert jobs.monthly_exports("2026-12-01T00:05:00+08:00") == first == [job.id]
    assert jobs.monthly_exports("2026-12-03T09:00:00+08:00") == first
    (job,) = all_jobs()
    assert os.stat(job.path).st_mtime_ns == mtime
    assert job.automatic and job.status == "done" and job.owner_id is None
    assert job.params["month"] == "2026-11" and job.params["as_of"] == "2026-12-01T00:00:00+08:00"
    total = list(load_workbook(job.path)["按期办结率"].iter_rows(values_only=True))[-2]  # the units' 合计
    # November as of the month's end: T4 (due Wed Nov 25) is now overdue too → 3 / (5 + 3)
    assert total[:10] == ("合计", None, "各单位之和（按各单位本级时限，不含未分派）", None, 9, 5, 3, 2, 3, 1) \
        and abs(total[10] - 0.375) < 1e-9

    listing = as_user("boss").get("/exports").get_data(as_text=True)
    assert "自动（每月）" in listing and f"/exports/{job.id}/download" in listing
    east = as_user("east_boss")
    assert "自动（每月）" not in east.get("/exports").get_data(as_text=True)
    assert east.get(f"/exports/{job.id}/download").status_code == 404

    # next month: one more
    jobs.monthly_exports("2027-01-01T00:05:00+08:00")
    assert [j.params["month"] for j in all_jobs()] == ["2026-11", "2026-12"]


def test_without_the_city_supervisor_each_county_gets_its_own(story):
    story.world.users["boss"].active = False
    db.session.commit()
    assert [u.code for u in jobs.top_level_supervisor_units()] == ["R1", "R2"]
    jobs.monthly_exports("2026-12-01T00:05:00+08:00")
    assert sorted(j.scope_unit_id for j in all_jobs()) == sorted(
        [story.world.units["R1"].id, story.world.units["R2"].id])
