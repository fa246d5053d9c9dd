"""Signing in through the real login form (Flask test client)."""
from __future__ import annotations

import re

PASSWORD = "correct horse"  # tests/factories.py gives every user this password


def sign_in(client, username: str, password: str = PASSWORD):
    """Post the login form as a browser would; returns the response (a redirect on success)."""
    return client.post("/login", data={"username": username, "password": password})


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
