"""What people expect of the pages' security: CSRF, cookies, CSP, scope on every page and action."""
from __future__ import annotations

import re

import pytest

from feedback.extensions import db

from tests.support.signin import csrf_token_from, sign_in


def test_a_form_post_without_its_csrf_token_is_refused(app, client, world, make_ticket):
    ticket = make_ticket("C1")
    app.config["WTF_CSRF_ENABLED"] = True
    r = client.post("/login", data={"username": "edu_clerk", "password": "correct horse"})
    assert r.status_code == 400 and "安全令牌" in r.get_data(as_text=True)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"username": "edu_clerk", "password": "correct horse", "csrf_token": token})
    assert r.status_code == 302
    # Signed in, an action without the token changes nothing.
    assert client.post(f"/tickets/{ticket.id}/accept").status_code == 400
    assert ticket.state == "assigned"
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    r = client.post(f"/tickets/{ticket.id}/accept", data={"csrf_token": csrf_token_from(page)})
    assert r.status_code == 302 and ticket.state == "in_progress"


def cookie_header(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_is_httponly_and_samesite_and_secure_over_https(app, world):
    plain = sign_in(app.test_client(), "edu_clerk")
    header = cookie_header(plain)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    # The same login over HTTPS (behind a proxy: FEEDBACK_PROXY_COUNT makes X-Forwarded-Proto count).
    r = app.test_client().post("https://localhost/login", data={"username": "health_clerk", "password": "correct horse"})
    assert "Secure" in cookie_header(r)


def test_secure_cookies_can_be_forced_by_configuration(app, world):
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "Secure" in cookie_header(sign_in(app.test_client(), "edu_clerk"))


@pytest.mark.parametrize("who, path", [
    (None, "/login"), ("edu_clerk", "/inbox"), ("edu_clerk", "/tickets/{id}"), ("boss", "/triage"),
    ("boss", "/review"), ("boss", "/extensions"), ("boss", "/tickets/{id}"),
])
def test_pages_carry_a_strict_csp_and_no_inline_script_or_style(app, world, make_ticket, who, path):
    ticket = make_ticket("P1")
    c = app.test_client()
    if who:
        sign_in(c, who)
    r = c.get(path.format(id=ticket.id))
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    html = r.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle=", html) and "<style" not in html, "inline style (blocked by the CSP)"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_a_clerk_who_edits_the_ticket_id_gets_404_for_pages_and_actions(world, make_ticket, as_user):
    edu = make_ticket("E1")  # routed to D1
    health = as_user("health_clerk")  # D2
    assert health.get(f"/tickets/{edu.id}").status_code == 404
    for action in ("accept", "reply", "return", "request-extension"):
        assert health.post(f"/tickets/{edu.id}/{action}", data={"text": "x", "reason": "x", "days": "1"}).status_code == 404
    assert edu.state == "assigned" and [e.action for e in edu.events] == ["receive", "assign"]


def test_a_county_supervisor_cannot_open_the_city_triage_ticket(world, make_ticket, as_user):
    unrouted = make_ticket("T1", url="http://nobody.example.org/x")
    assert as_user("east_boss").get(f"/tickets/{unrouted.id}").status_code == 404
    assert as_user("boss").get(f"/tickets/{unrouted.id}").status_code == 200


def test_roles_only_reach_their_pages(world, as_user):
    clerk = as_user("edu_clerk")
    for path in ("/triage", "/review", "/extensions", "/admin/users"):
        assert clerk.get(path).status_code == 403
    watcher = as_user("watcher")
    assert watcher.get("/triage").status_code == 403
    assert watcher.get("/inbox").status_code == 200


def test_a_role_may_not_take_anothers_action(world, make_ticket, as_user):
    t = make_ticket("R1")
    assert as_user("edu_clerk").post(f"/tickets/{t.id}/assign", data={"unit": "D2"}).status_code == 403
    assert as_user("watcher").post(f"/tickets/{t.id}/invalidate", data={"reason": "x"}).status_code == 403
    assert t.state == "assigned" and t.unit.code == "D1"


def test_behind_a_trusted_proxy_https_is_detected_from_x_forwarded_proto(app, world):
    from feedback import create_app

    proxied = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "CLOCK", "SECRET_KEY")},
                          "TESTING": True, "WTF_CSRF_ENABLED": False, "PROXY_COUNT": 1})
    r = proxied.test_client().post("/login", data={"username": "edu_clerk", "password": "correct horse"},
                                   headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"})
    assert r.status_code == 302 and "Secure" in cookie_header(r)
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_an_action_never_redirects_off_the_site(world, make_ticket, as_user):
    t = make_ticket("N1")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = as_user("edu_clerk").post(f"/tickets/{t.id}/request-extension",
                                      data={"days": "1", "reason": "x", "next": target})
        assert r.headers["Location"] == f"/tickets/{t.id}"
        t.extension_requested_days = None  # let the next round ask again
        db.session.commit()
