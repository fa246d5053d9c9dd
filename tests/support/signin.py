"""The one way tests sign a person in: the real login form, as a browser posts it (the
password hash is the fast one, tests/conftest.py's quick_password_hashing). The fixtures built
on it (`login`, `as_user`) are in tests/conftest.py; browser tests sign in through the page
(tests/browser/conftest.py)."""
from __future__ import annotations

import re

from flask import g, has_app_context
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse"  # tests/factories.py gives every user this password


def fast_password_hash(password: str, method=None) -> str:
    """One PBKDF2 round instead of scrypt: what quick_password_hashing puts in the model's place."""
    return generate_password_hash(password, method="pbkdf2:sha256:1")


def sign_in(client, who, password: str = PASSWORD):
    """Post the login form as `who` (a username or a User), with the form's CSRF token when the
    app checks it; returns the response (a redirect on success)."""
    data = {"username": who if isinstance(who, str) else who.username, "password": password}
    if not client.application.config.get("WTF_CSRF_ENABLED"):
        return client.post("/login", data=data)
    data["csrf_token"] = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data=data)
    # Flask-WTF marks the request's token checked on g, and under tests g outlives the request
    # (one app context spans them): the next form must be checked again.
    if has_app_context():
        g.pop("csrf_valid", None)
    return response


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
