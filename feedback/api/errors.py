from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from feedback.api import bp
from feedback.api.auth import Unauthorized
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.web.security import allow_header


def error_response(status: int, message: str, errors: dict | None = None):
    body = {"error": message}
    if errors is not None or status == 422:
        body["errors"] = errors or {}
    return jsonify(body), status


@bp.errorhandler(Unauthorized)
def _unauthorized(exc):
    response, status = error_response(401, str(exc))
    response.headers["WWW-Authenticate"] = "Bearer"
    return response, status


@bp.errorhandler(DomainError)
def _domain(exc: DomainError):
    db.session.rollback()
    return error_response(exc.status, exc.message or type(exc).__name__, exc.errors or None)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    return error_response(413, "request body over the configured limit (FEEDBACK_MAX_BODY_BYTES)")


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    db.session.rollback()
    response, status = error_response(exc.code or 500, exc.description or exc.name)
    response.headers.update(allow_header(exc))
    return response, status
