"""The `feedback` command's outside shape (CONTRACT.md: Command line)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from feedback.accounts.models import ApiToken, User, hash_token
from feedback.extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "feedback", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=120)


def test_unknown_flags_and_commands_exit_2_with_one_line(tmp_path):
    env = {"FEEDBACK_INSTANCE_PATH": str(tmp_path)}
    for args in (["--bogus"], ["nosuch"], ["user", "create", "x", "--role", "king", "--unit", "C0"]):
        done = run(*args, env=env)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("feedback: error:"), done.stderr


@pytest.mark.real_password_hashing
def test_user_and_token_create(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "li", "--role", "unit_staff", "--unit", "D2", "--password-stdin"],
                           input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    li = db.session.execute(sa.select(User).where(User.username == "li")).scalar_one()
    assert li.role == "unit_staff" and li.unit.code == "D2" and li.check_password("s3cret-pass")
    assert "s3cret-pass" not in li.password_hash  # stored as a KDF hash
    assert li.password_hash.startswith("scrypt:")

    result = runner.invoke(args=["user", "create", "wang", "--role", "viewer", "--unit", "NOPE"])
    assert result.exit_code == 2 and "NOPE" in result.output

    result = runner.invoke(args=["token", "create", "li"])
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("fb_")
    stored = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == li.id)).scalar_one()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
