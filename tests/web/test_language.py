"""Chinese first; English per user (User.locale), also chosen before signing in."""
from __future__ import annotations

from tests.support.signin import sign_in


def test_language_is_chinese_first_and_switchable_per_user(as_user, world):
    c = as_user("edu_clerk")
    assert "收件箱" in c.get("/inbox").get_data(as_text=True)
    c.post("/account/locale", data={"locale": "en", "next": "/inbox"})
    assert world.users["edu_clerk"].locale == "en"
    page = c.get("/inbox").get_data(as_text=True)
    assert "Inbox" in page and '<html lang="en">' in page
    c.post("/account/locale", data={"locale": "zh_CN"})
    assert "收件箱" in c.get("/inbox").get_data(as_text=True)


def test_language_picked_before_signing_in_sticks_to_the_user(client, world):
    client.post("/account/locale", data={"locale": "en", "next": "/login"})
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    sign_in(client, "edu_clerk")
    assert world.users["edu_clerk"].locale == "en"
