"""Settings from the environment, in one place (CONTRACT.md: Running and configuration)."""
from __future__ import annotations

import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from exc


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "feedback.sqlite3")


def from_environment(instance_path: str) -> dict:
    env = os.environ
    database_url = env.get("DATABASE_URL") or default_sqlite_url(instance_path)
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or "dev-only-change-me",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RQ_QUEUE_PREFIX": env.get("FEEDBACK_QUEUE_PREFIX", "feedback"),
        # DESIGN.md: Deadlines. Defaults are configuration, per category where needed.
        "UNIT_DEADLINE_DAYS": _int("FEEDBACK_UNIT_DEADLINE_DAYS", 3),
        "PLATFORM_DEADLINE_DAYS": _int("FEEDBACK_PLATFORM_DEADLINE_DAYS", 5),
        "UNIT_DEADLINE_DAYS_BY_CATEGORY": {},
        # The first value of the setting publication.enabled (feedback/settings/registry.py).
        "PUBLICATION_ENABLED": (env.get("FEEDBACK_PUBLICATION_ENABLED") or "0") == "1",
        "MAX_CONTENT_LENGTH": _int("FEEDBACK_MAX_BODY_BYTES", 5 * 1024 * 1024),
        "MAIL_SERVER": env.get("FEEDBACK_SMTP_HOST") or env.get("SMTP_HOST") or None,
        "MAIL_PORT": _int("FEEDBACK_SMTP_PORT", _int("SMTP_PORT", 25)),
        "MAIL_USERNAME": env.get("FEEDBACK_SMTP_USER") or env.get("SMTP_USER") or None,
        "MAIL_PASSWORD": env.get("FEEDBACK_SMTP_PASSWORD") or env.get("SMTP_PASSWORD") or None,
        "MAIL_USE_TLS": (env.get("FEEDBACK_SMTP_STARTTLS") or "0") == "1",
        "MAIL_SENDER": env.get("FEEDBACK_MAIL_SENDER", "feedback@localhost"),
        "EXPORT_DIR": env.get("FEEDBACK_EXPORT_DIR") or str(Path(instance_path) / "exports"),
        "UPLOAD_DIR": env.get("FEEDBACK_UPLOAD_DIR") or str(Path(instance_path) / "uploads"),
        # File import (imports/run.py): a file over the limit is refused before it is parsed;
        # an XLSX whose parts would unpack to more than the second limit is refused as a zip bomb.
        # One attachment (attachments/store.py); its route takes bodies this large whatever
        # MAX_CONTENT_LENGTH says (CONTRACT.md: attachments).
        "ATTACHMENT_MAX_BYTES": _int("FEEDBACK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "IMPORT_MAX_BYTES": _int("FEEDBACK_IMPORT_MAX_BYTES", 100 * 1024 * 1024),
        "IMPORT_MAX_UNPACKED_BYTES": _int("FEEDBACK_IMPORT_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024),
        # Uploaded files hold reporters' personal data (imports/retention.py): an import's results and
        # its file are deleted this many days after it finished; all uploads kept on disk may
        # take at most the second figure together.
        "IMPORT_KEEP_DAYS": _int("FEEDBACK_IMPORT_KEEP_DAYS", 90),
        "UPLOAD_MAX_TOTAL_BYTES": _int("FEEDBACK_UPLOAD_MAX_TOTAL_BYTES", 2 * 1024 * 1024 * 1024),
        "IMPORT_CHUNK_ROWS": _int("FEEDBACK_IMPORT_CHUNK_ROWS", 500),
        # A running import whose heartbeat is older than this is taken to be dead and resumed.
        "IMPORT_STALE_SECONDS": _int("FEEDBACK_IMPORT_STALE_SECONDS", 300),
        "PLATFORM_WEBHOOK_URL": env.get("FEEDBACK_PLATFORM_WEBHOOK_URL") or None,
        "PLATFORM_WEBHOOK_SECRET": env.get("FEEDBACK_PLATFORM_WEBHOOK_SECRET") or None,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Secure cookies always when set; otherwise whenever the request came over HTTPS
        # (behind a proxy, set FEEDBACK_PROXY_COUNT so X-Forwarded-Proto is trusted).
        "SESSION_COOKIE_SECURE": (env.get("FEEDBACK_SECURE_COOKIES") or "0") == "1",
        "REMEMBER_COOKIE_SECURE": (env.get("FEEDBACK_SECURE_COOKIES") or "0") == "1",
        "PROXY_COUNT": _int("FEEDBACK_PROXY_COUNT", 0),
        "PER_PAGE": 50,
        # Injected clock for tests and replays: a callable returning an aware datetime.
        "CLOCK": None,
    }
