"""Chinese first, English through Babel catalogs (per user, then the browser)."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from feedback.extensions import babel

LOCALES = ("zh_CN", "en")


def select_locale():
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    if request:
        return request.accept_languages.best_match(LOCALES, default="zh_CN")
    return "zh_CN"


def init_i18n(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Shanghai")
