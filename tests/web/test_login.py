"""Signing in and out through the pages: landing pages, throttling, no enumeration, sessions."""
from __future__ import annotations

import re

from feedback.extensions import db
from tests.support.signin import sign_in


def flash_text(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html)


def test_root_sends_a_signed_out_person_to_the_login_form(client, world):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    # CONTRACT.md: a form with username, password and a CSRF token
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in page


def test_each_role_lands_on_its_own_page(app, world, as_user):
    assert as_user("edu_clerk").get("/").headers["Location"].endswith("/inbox")
    supervisor_landing = "/dashboard" if "figures.dashboard" in app.view_functions else "/triage"
    assert as_user("boss").get("/").headers["Location"].endswith(supervisor_landing)
    viewer_landing = "/dashboard" if "figures.dashboard" in app.view_functions else "/inbox"
    assert as_user("watcher").get("/").headers["Location"].endswith(viewer_landing)


def test_pages_need_a_signed_in_user(client, world):
    r = client.get("/inbox")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def test_unknown_name_and_wrong_password_read_the_same(client, world):
    wrong = sign_in(client, "edu_clerk", "not the password")
    unknown = sign_in(client, "no_such_user", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert flash_text(wrong.get_data(as_text=True)) == flash_text(unknown.get_data(as_text=True)) == ["用户名或密码不正确。"]


def test_fifth_failure_locks_the_name_and_the_page_says_for_how_long(client, world, clock):
    for _ in range(4):
        assert sign_in(client, "edu_clerk", "bad").status_code == 200
    locked = sign_in(client, "edu_clerk", "bad")
    assert locked.status_code == 429
    assert flash_text(locked.get_data(as_text=True)) == ["登录失败次数过多，请 1 分钟后再试。"]
    # The right password does not get in while locked ...
    assert sign_in(client, "edu_clerk").status_code == 429
    # ... and does once the 30 seconds are over.
    clock.advance(seconds=31)
    assert sign_in(client, "edu_clerk").status_code == 302


def test_next_only_follows_paths_on_this_site(client, world):
    r = client.post("/login?next=//evil.example/x", data={"username": "edu_clerk", "password": "correct horse"})
    assert r.headers["Location"] == "/inbox"
    client.post("/logout")
    r = client.post("/login?next=/tickets/1", data={"username": "edu_clerk", "password": "correct horse"})
    assert r.headers["Location"] == "/tickets/1"


def test_logout_ends_the_session(as_user):
    c = as_user("edu_clerk")
    assert c.get("/logout").status_code == 405  # only a POST form (with its CSRF token) signs out
    assert c.post("/logout").status_code == 302
    assert c.get("/inbox").status_code == 302


def test_changing_the_password_signs_out_other_sessions(as_user, world):
    laptop, phone = as_user("edu_clerk"), as_user("edu_clerk")
    bad = laptop.post("/account/password", data={"current": "wrong", "new": "new secret 1", "confirm": "new secret 1"})
    assert "当前密码不正确" in bad.get_data(as_text=True)
    short = laptop.post("/account/password", data={"current": "correct horse", "new": "short", "confirm": "short"})
    assert "密码至少 8 个字符" in short.get_data(as_text=True)
    ok = laptop.post("/account/password",
                     data={"current": "correct horse", "new": "new secret 1", "confirm": "new secret 1"})
    assert ok.status_code == 302
    assert laptop.get("/inbox").status_code == 200  # this session stays
    assert phone.get("/inbox").status_code == 302  # the other one is signed out
    assert world.users["edu_clerk"].check_password("new secret 1")


def test_deactivated_user_is_signed_out(as_user, world):
    c = as_user("edu_clerk")
    world.users["edu_clerk"].active = False
    db.session.commit()
    assert c.get("/inbox").status_code == 302
