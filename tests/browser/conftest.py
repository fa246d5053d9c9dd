"""Browser fixtures: the real app served over HTTP, driven by Debian's chromium through Playwright.

- `live_server`: the test's app (its database, its injected clock) served by werkzeug on
  127.0.0.1 at a random port, in a thread; `.url` is its base URL. Stopped after the test.
- `browser` (tests/conftest.py): one chromium for the whole run (never a downloaded browser).
- `page`: a fresh context (1366×768, zh-CN, base URL set) per test; `page.dialogs` lists every
  alert/confirm/prompt that opened (each is dismissed), `page.console_errors` every console
  error, CSP violations included.
- `new_page()`: another independent context (a second person at another desk).
- `login(page, username, password)`: signs in through the login form.
- `shot(page, name)`: saves a full-page screenshot under tests/artifacts/ (gitignored).

Tickets and signed-in clients from tests/conftest.py (`make_ticket`, `as_user`) work here too.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.support.signin import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


@pytest.fixture
def live_server(app, world):
    """The app under test over real HTTP. The test thread's own session is committed first so
    the server's threads see everything the test set up."""
    from feedback.extensions import db

    db.session.commit()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def new_page(browser, live_server):
    """Open another independent browser context (its own cookies) on the live server."""
    contexts = []

    def open_page(viewport: dict | None = None):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        contexts.append(context)
        pg = context.new_page()
        pg.dialogs = []
        pg.console_errors = []

        def on_dialog(dialog):
            pg.dialogs.append(dialog.message)
            dialog.dismiss()

        pg.on("dialog", on_dialog)
        pg.on("console", lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None)
        pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
        return pg

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def _login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "/login" not in page.url, f"sign-in as {username} failed"


@pytest.fixture
def login():
    """login(page, username, password="correct horse"): sign in through the form."""
    return _login


@pytest.fixture
def shot():
    """shot(page, name): a full-page PNG under tests/artifacts/, named after the viewport width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(pg, name: str) -> Path:
        path = ARTIFACTS / f"{name}-{pg.viewport_size['width']}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take
