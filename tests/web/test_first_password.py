"""A password an administrator gave is changed at the first sign-in, before anything else."""
from __future__ import annotations

from feedback.accounts.models import ApiToken, User
from feedback.extensions import db
from tests.support.signin import sign_in

GIVEN, OWN = "given-by-admin-1", "only-i-know-it-2"


def create_clerk(boss):
    r = boss.post("/admin/users", data={"username": "new_clerk", "display_name": "王五", "email": "",
                                        "role": "unit_staff", "unit": "D1", "password": GIVEN})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return db.session.query(User).filter_by(username="new_clerk").one()


def test_a_new_user_sees_only_the_password_page_until_they_choose_their_own(app, world, as_user):
    create_clerk(as_user("boss"))
    clerk = app.test_client()
    r = sign_in(clerk, "new_clerk", GIVEN)
    assert clerk.get(r.headers["Location"]).headers["Location"] == "/account/password"
    for path in ("/inbox", "/notices", "/"):
        assert clerk.get(path).headers.get("Location") == "/account/password", path
    page = clerk.get("/account/password").get_data(as_text=True)
    assert "您的密码由管理员设置。请先设置一个只有您自己知道的新密码" in page

    same = clerk.post("/account/password", data={"current": GIVEN, "new": GIVEN, "confirm": GIVEN})
    assert "请设置一个与管理员给的密码不同的新密码" in same.get_data(as_text=True)
    r = clerk.post("/account/password", data={"current": GIVEN, "new": OWN, "confirm": OWN})
    assert r.status_code == 302
    assert clerk.get("/inbox").status_code == 200
    assert "您的密码由管理员设置" not in clerk.get("/account/password").get_data(as_text=True)


def test_a_password_reset_by_the_administrator_must_be_changed_again(app, world, as_user):
    boss = as_user("boss")
    clerk = world.users["edu_clerk"]
    r = boss.post(f"/admin/users/{clerk.id}", data={"display_name": "edu_clerk", "email": "", "role": "unit_staff",
                                                    "unit": "D1", "active": "y", "password": GIVEN})
    assert r.status_code == 302
    c = app.test_client()
    sign_in(c, "edu_clerk", GIVEN)
    assert c.get("/inbox").headers.get("Location") == "/account/password"
    # the administrator's own session and the API are not held up (the reset revoked the clerk's
    # old tokens, so the script gets a new one)
    assert boss.get("/inbox").status_code == 200
    assert app.test_client().get("/api/v1/tickets", headers=world.headers("edu_clerk")).status_code == 401
    row, token = ApiToken.issue(db.session.get(User, clerk.id), "script")
    db.session.add(row)
    db.session.commit()
    assert app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_users_made_on_the_command_line_or_changing_their_own_password_are_not_held(app, world, as_user):
    boss = as_user("boss")
    me = world.users["boss"]
    r = boss.post(f"/admin/users/{me.id}", data={"display_name": "boss", "email": "", "role": "supervisor",
                                                 "unit": "C0", "active": "y", "password": OWN})
    assert r.status_code == 302 and boss.get("/inbox").status_code == 200
    assert as_user("watcher").get("/dashboard").status_code == 200
