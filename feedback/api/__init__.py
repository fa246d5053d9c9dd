"""HTTP API v1 (CONTRACT.md). One thin module per noun."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from feedback.api import auth, errors, reports, tickets, metrics, assessment, openapi, attachments, findings  # noqa: E402,F401
