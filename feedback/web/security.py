"""What every page's response carries: a strict CSP, safe cookies, readable error pages."""
from __future__ import annotations

from flask import Flask, has_request_context, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from feedback.errors import DomainError
from feedback.extensions import db

# No inline script or style anywhere: scripts and styles come from /static only.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SessionInterface(SecureCookieSessionInterface):
    """Secure cookies when configured, and always when the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return has_request_context() and request.is_secure


def init_security(app: Flask) -> None:
    app.session_interface = SessionInterface()
    if app.config.get("PROXY_COUNT"):
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            # Pages show personal data and scoped tickets: never keep them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _error_page(status: int, description: str | None = None):
    if _is_api():
        body = {"error": description or str(status)}
        if status == 422:
            body["errors"] = {}
        return jsonify(body), status
    return render_template("error.html", status=status, description=description), status


def _csrf_error(exc: CSRFError):
    return _error_page(400, "csrf")


def _domain_error(exc: DomainError):
    db.session.rollback()
    return _error_page(exc.status, exc.message)


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    return _error_page(exc.code, exc.description)
