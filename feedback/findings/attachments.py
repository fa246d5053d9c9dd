"""A finding's files: evidence and the 整改 report's attachments, kept in the attachments store
(feedback/attachments/, shared with tickets) with the finding's id. A file of a finding is
served only to callers who see that finding (404 otherwise)."""
from __future__ import annotations

from datetime import datetime

from feedback.accounts.scope import Actor
from feedback.errors import InputError


def _store():
    try:
        from feedback.attachments import store  # noqa: F401  (branch i20)
    except ImportError:
        return None
    return store


def available() -> bool:
    return _store() is not None


def listed(finding) -> list[dict]:
    return []


def attach(finding, ids: list[int], actor: Actor) -> list[int]:
    raise InputError({"attachments": "attachments are not available yet"})


def upload(finding, file, actor: Actor, at: datetime) -> dict:
    raise InputError({"file": "attachments are not available yet"})
