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


def test_a_template_follows_a_forced_locale_and_back(app):
    """The templates' _() keeps its translations per locale in force: a message written in
    Chinese inside an English request (flask_babel.force_locale, as the outbox does) is
    Chinese, and the page's text after it English again."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('按期办结统计') }}") == "On-time closure statistics"
        with force_locale("zh_CN"):
            assert render_template_string("{{ _('按期办结统计') }}") == "按期办结统计"
        assert render_template_string("{{ _('按期办结统计') }}") == "On-time closure statistics"
