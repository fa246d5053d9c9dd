from __future__ import annotations

from datetime import datetime

import hashlib
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now

ROLES = ("supervisor", "unit_staff", "viewer")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(300))
    role: Mapped[str] = mapped_column(sa.String(20))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(default=True)
    # a password an administrator gave: the person chooses their own at the next sign-in
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A session remembers this; signing out or a new password moves it on, so every session
    # cookie issued before then stops working (accounts/login.py: session_token).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    unit: Mapped[Unit] = relationship()

    __table_args__ = (sa.CheckConstraint(sa.text("role in ('supervisor','unit_staff','viewer')"), name="role"),)

    def set_password(self, password: str) -> None:
        # scrypt (werkzeug's default KDF): memory-hard, salted.
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every session signed in so far stops working (sign-out, new password)."""
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def label(self) -> str:
        return self.display_name or self.username


def hash_token(token: str) -> str:
    # Tokens are 256-bit random strings, so a fast hash is safe at rest (no brute force).
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple["ApiToken", str]:
        token = "fb_" + secrets.token_urlsafe(32)
        return cls(user=user, name=name, token_hash=hash_token(token), prefix=token[:10]), token
