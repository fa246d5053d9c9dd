"""A county supervisor asks for the monthly export in chromium, watches its progress and downloads it."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from feedback.exports import jobs
from feedback.exports.models import ExportJob
from feedback.extensions import db
from tests.exports.conftest import add_city, city_story, november

pytestmark = pytest.mark.browser


@pytest.fixture
def story(world, clock):
    """tests/exports' November city, as its conftest tells it."""
    return city_story(add_city(world), clock)


def test_request_watch_progress_and_download_the_export(app, story, new_page, login, shot):
    november(story)  # the clock stands at Tue 2026-11-24 10:00
    # Redis configured but down: the job waits in the database, as it would for a busy worker.
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    east = new_page()
    login(east, "east_boss")
    east.goto("/exports")
    east.fill("#closure-month", "2026-11")
    east.select_option("#closure-format", "xlsx")
    east.locator("form", has=east.locator("#closure-month")).get_by_role("button", name="生成").click()
    east.wait_for_url("**/exports/*")
    assert east.inner_text("#export-status") == "排队中"
    assert "稍后" in east.inner_text(".flashes") or "自动重试" in east.inner_text(".flashes")
    shot(east, "exports-queued")
    assert east.locator("#export-download").is_hidden()

    # a worker picks the job up; the page's script polls the status and shows the link
    app.config["REDIS_URL"] = None
    job = db.session.query(ExportJob).one()
    assert jobs.run_job(job.id)
    link = east.locator("#export-download")
    link.wait_for(state="visible")
    assert east.inner_text("#export-status") == "已完成"
    assert east.eval_on_selector("#export-progress", "p => p.value") == 100
    with east.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "按期办结率_R1_2026-11.xlsx"
    ws = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))["按期办结率"]
    # R1's subtree as of 11-24 10:00 (tests/exports/conftest.py): D1 3 received, D2 2, R1 5 in all;
    # then the units' sum (no code) and R1's own figure on its clock (R1's code), 5 as well
    assert [(r[0].value, r[1].value, r[4].value) for r in ws.iter_rows(min_row=2)] == [
        (1, "R1", 0), (2, "D1", 3), (3, "D2", 2), ("小计", "R1", 5), ("合计", None, 5), ("合计", "R1", 5)]

    # the other county's supervisor cannot fetch it, even with the link
    story.world.users["west_boss"].set_password("correct horse")
    db.session.commit()
    west = new_page()
    login(west, "west_boss")
    assert west.goto(f"/exports/{job.id}/download").status == 404
    assert east.dialogs == [] and east.console_errors == []
    shot(east, "exports-job")
    east.goto("/exports")
    shot(east, "exports-index")
