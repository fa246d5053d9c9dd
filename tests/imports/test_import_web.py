"""The import pages: a supervisor uploads a file, watches it, downloads the per-row results."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from feedback.extensions import db
from feedback.imports.models import ImportJob
from tests.factories import make_user
from tests.imports.files import row, upload, write_csv


def test_a_supervisor_uploads_a_ledger_and_downloads_the_results(world, login, tmp_path):
    client = login(world.users["boss"])
    path = write_csv(tmp_path / "十一月台账.csv", [row("W1"), row("W2"), row("")], encoding="gbk")
    r = upload(client, path)
    assert r.status_code == 303
    job = db.session.query(ImportJob).one()
    assert r.headers["Location"].endswith(f"/imports/{job.id}")
    # No REDIS_URL: the import ran in-process before the redirect.
    assert (job.status, job.origin, job.owner_id) == ("done", "web", world.users["boss"].id)

    page = client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert "十一月台账.csv" in page and "已完成" in page
    assert re.search(r'data-field="created">2<', page) and re.search(r'data-field="error">1<', page)
    assert "留言编号: 必填，不能为空" in page  # the failed row, on the page itself, in Chinese
    assert '<table class="table bordered" id="import-errors">' in page  # a table with its grid

    status = client.get(f"/imports/{job.id}/status").get_json()
    assert {k: status[k] for k in ("status", "rows_total", "rows_done", "percent", "created", "duplicate", "error")} \
        == {"status": "done", "rows_total": 3, "rows_done": 3, "percent": 100, "created": 2, "duplicate": 0, "error": 1}

    download = client.get(status["results_url"])
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    lines = download.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "row,留言编号,status,ticket id,reason"
    assert [line.split(",")[:3] for line in lines[1:]] == [["2", "W1", "created"], ["3", "W2", "created"],
                                                           ["4", "", "error"]]

    listing = client.get("/imports").get_data(as_text=True)
    assert f'href="/imports/{job.id}"' in listing and "十一月台账.csv" in listing


def test_only_supervisors_in_the_right_subtree_see_imports(world, login, tmp_path, client):
    west = make_user(world, "west_boss", "supervisor", "R2")
    db.session.commit()
    assert client.get("/imports").status_code in (302, 401)  # signed out: to the login page
    login(west)
    upload(client, write_csv(tmp_path / "west.csv", [row("X1")]))
    job = db.session.query(ImportJob).one()
    for who, expected in (("edu_clerk", 403), ("watcher", 403), ("east_boss", 404), ("boss", 200)):
        login(world.users[who])
        for url in (f"/imports/{job.id}", f"/imports/{job.id}/status", f"/imports/{job.id}/results.csv"):
            assert client.get(url).status_code == expected, (who, url)
    login(world.users["east_boss"])
    assert "west.csv" not in client.get("/imports").get_data(as_text=True)


def test_file_names_are_escaped(world, login, tmp_path):
    client = login(world.users["boss"])
    upload(client, write_csv(tmp_path / "x.csv", [row("E1")]), name="<img src=x onerror=alert(1)>.csv")
    job = db.session.query(ImportJob).one()
    for url in (f"/imports/{job.id}", "/imports"):
        page = client.get(url).get_data(as_text=True)
        assert "<img" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;.csv" in page


def test_an_upload_over_the_limit_is_refused_with_the_limit_named(app, world, login, tmp_path):
    app.config["IMPORT_MAX_BYTES"] = 1024
    client = login(world.users["boss"])
    path = write_csv(tmp_path / "big.csv", [row(f"B{i}") for i in range(2000)])
    r = upload(client, path)
    assert r.status_code == 413
    assert "文件超过导入上限 1.0 KB；请拆成几个文件分别导入" in r.get_data(as_text=True)
    assert db.session.query(ImportJob).count() == 0


def test_an_upload_without_a_file_says_what_to_do(world, login):
    client = login(world.users["boss"])
    r = client.post("/imports", data={}, content_type="multipart/form-data")
    assert r.status_code == 400 and "请选择要导入的 XLSX 或 CSV 文件" in r.get_data(as_text=True)


def test_the_upload_form_still_needs_its_csrf_token(app, world, login, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    client = login(world.users["boss"])
    path = write_csv(tmp_path / "x.csv", [row("C1")])
    assert upload(client, path).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/imports").get_data(as_text=True))
    assert upload(client, path, csrf_token=token.group(1)).status_code == 303


def test_an_upload_while_redis_is_down_is_kept_and_waits(app, world, login, tmp_path):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    client = login(world.users["boss"])
    r = upload(client, write_csv(tmp_path / "x.csv", [row("R1")]))
    assert r.status_code == 303
    job = db.session.query(ImportJob).one()
    assert (job.status, job.enqueued_at) == ("queued", None)
    assert Path(job.path).read_bytes() == (tmp_path / "x.csv").read_bytes()
    assert "后台服务暂时不可用" in client.get(f"/imports/{job.id}").get_data(as_text=True)


def test_an_in_process_import_that_crashes_is_marked_failed_not_left_running(world, login, tmp_path, monkeypatch):
    from feedback.imports import run as imports

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(imports, "ingest", broken)
    client = login(world.users["boss"])
    assert upload(client, write_csv(tmp_path / "x.csv", [row("Z1")])).status_code == 303
    job = db.session.query(ImportJob).one()
    assert job.status == "failed" and "内部错误" in job.error
    assert "内部错误" in client.get(f"/imports/{job.id}").get_data(as_text=True)
