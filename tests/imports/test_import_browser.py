"""A supervisor uploads a ledger in a real browser and watches a real worker import it."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.imports.files import big_csv

pytestmark = [pytest.mark.browser, pytest.mark.services]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_upload_then_watch_the_progress_reach_done_and_download_the_results(
        world, login, workers, live_server, browser, tmp_path):
    client = login(world.users["boss"])
    cookie = client.get_cookie("session")
    path = big_csv(tmp_path / "十一月台账.csv", 3000)

    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/imports")
    page.set_input_files("input[name=file]", str(path))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/imports/*")
    assert page.inner_text('[data-field="status"]') == "排队中"  # no worker yet

    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/status") else None)
    workers.start()
    # Nobody reloads: the page's script polls the status and shows the finished import.
    page.wait_for_selector("text=已完成", timeout=300_000)
    assert polls, "the page never asked for the import's status"
    assert page.inner_text('[data-field="created"]') == "3000"
    assert page.inner_text('[data-field="rows_done"]') == "3000"
    with page.expect_download() as download:
        page.click('[data-field="results"]')
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "row,留言编号,status,ticket id,reason" and len(lines) == 3001
    assert errors == []
    context.close()
