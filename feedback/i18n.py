"""Chinese first, English through Babel catalogs (per user, then the browser)."""
from __future__ import annotations

from flask import has_request_context, request, session
from flask_login import current_user

from feedback.extensions import babel

LOCALES = ("zh_CN", "en")


def select_locale():
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    if not has_request_context():
        return "zh_CN"
    if session.get("locale") in LOCALES:  # chosen on the login page, before signing in
        return session["locale"]
    return request.accept_languages.best_match(LOCALES, default="zh_CN")


def init_i18n(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Shanghai")
