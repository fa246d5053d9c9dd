"""Chinese first, English through Babel catalogs (per user, then the browser)."""
from __future__ import annotations

from flask import g, has_request_context, request, session
from flask_babel import get_translations
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
    # the templates' _() and friends, as Flask-Babel installs them, through translations()
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


def translations():
    """Flask-Babel's translations for the locale in force (get_translations). Its own lookup
    reads g three times and writes out the locale's name on every call, and a page's template
    asks a hundred times; the answer is kept in Flask-Babel's context beside the locale object
    it is for, so a forced or refreshed locale (another object) is looked up again."""
    context = g.get("_flask_babel") if g else None
    locale = getattr(context, "babel_locale", None)
    kept = getattr(context, "feedback_translations", None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()
    context = g.get("_flask_babel") if g else None
    locale = getattr(context, "babel_locale", None)
    if locale is not None:
        context.feedback_translations = (locale, found)
    return found
