"""What every page's response carries: a strict CSP, safe cookies, readable error pages."""
from __future__ import annotations

from flask import Flask, has_request_context, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter
from werkzeug.middleware.proxy_fix import ProxyFix

from feedback.errors import NUL, DomainError
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


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a database id, so at most 2^31 − 1 (PostgreSQL's integer).
    A larger number matches no route (404) instead of failing in the database (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_converters(app: Flask) -> None:
    """Before any blueprint registers a route: rules bind their converters when added."""
    app.url_map.converters["int"] = IdConverter


def nul_field() -> str | None:
    """The first query or form field (or path part) holding a NUL character: no column can
    store one (PostgreSQL refuses it), so the request is refused before anything runs."""
    for source in (request.view_args or {}, request.args):
        for key, value in source.items():
            if "\x00" in str(key) or (isinstance(value, str) and "\x00" in value):
                return str(key).replace("\x00", "")
    # Not multipart: reading it here would parse an upload under the app's body limit before
    # the upload's view can set its own; upload forms carry no free text.
    if request.mimetype == "application/x-www-form-urlencoded":
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return key.replace("\x00", "")
    return None


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

    @app.before_request
    def _refuse_nul():
        field = nul_field()
        if field is not None:
            return _error_page(422, f"{field}: {NUL}", errors={field: NUL})
        return None

    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _error_page(status: int, description: str | None = None, *, errors: dict | None = None, headers=None):
    # The request's transaction may have failed (PostgreSQL then refuses every statement until
    # a rollback, and the page's menu runs queries): start the error page on a clean one.
    db.session.rollback()
    if _is_api():
        body = {"error": description or str(status)}
        if status == 422:
            body["errors"] = errors or {}
        return jsonify(body), status, headers or {}
    return render_template("error.html", status=status, description=description), status, headers or {}


def _csrf_error(exc: CSRFError):
    return _error_page(400, "csrf")


def _domain_error(exc: DomainError):
    db.session.rollback()
    return _error_page(exc.status, exc.message)


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    if isinstance(exc, InternalServerError):
        return _error_page(500)  # never the original exception's text
    return _error_page(exc.code, exc.description, headers=allow_header(exc))


def allow_header(exc: HTTPException) -> dict:
    """A 405 says which methods the resource takes (RFC 9110)."""
    allowed = getattr(exc, "valid_methods", None)
    return {"Allow": ", ".join(sorted(allowed))} if allowed else {}
