"""The settings page: the top office's supervisors read and change every setting and see who
changed what (DESIGN.md: edited by its supervisors on a settings page, audited)."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm

from feedback.extensions import db
from feedback.settings import service
from feedback.settings.registry import SETTINGS, SettingError
from feedback.timeutil import now
from feedback.web.helpers import actor, page_arg, roles_required

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


def _top_office_supervisor() -> None:
    # The settings are the top office's: a county's supervisor reads its notice, not its rules.
    if not actor().is_root:
        abort(403)


def _page(values: dict, errors: dict, status: int = 200):
    page = page_arg()
    per_page = current_app.config.get("PER_PAGE", 50)
    entries, total = service.audit(per_page, (page - 1) * per_page)
    return render_template("settings/index.html", settings=SETTINGS, values=values, errors=errors,
                           form=FlaskForm(), entries=entries,
                           listing=SimpleNamespace(page=page, per_page=per_page, total=total)), status


@bp.get("")
@roles_required("supervisor")
def index():
    _top_office_supervisor()
    current = service.snapshot()
    return _page({key: SETTINGS[key].text(value) for key, value in current.items()}, {})


def _submitted(key: str) -> str:
    s = SETTINGS[key]
    if s.kind == "bool":
        return "true" if request.form.get(key) else "false"
    if s.kind == "choices":
        return ",".join(request.form.getlist(key))
    return request.form.get(key, "")


@bp.post("")
@roles_required("supervisor")
def save():
    _top_office_supervisor()
    if not FlaskForm().validate_on_submit():
        abort(400)
    submitted = {key: _submitted(key) for key in SETTINGS}
    errors, changed, at = {}, 0, now()
    for key, raw in submitted.items():
        try:
            changed += service.set_value(key, raw, actor(), at) is not None
        except SettingError as exc:
            errors[key] = exc.message
    if errors:  # all or nothing: a page with one bad value saves none of them
        db.session.rollback()
        flash(_("设置有误，没有保存任何修改。"), "error")
        return _page(submitted, errors, 422)
    db.session.commit()
    if changed:
        flash(ngettext("已保存 %(num)s 项设置，即时生效。", "已保存 %(num)s 项设置，即时生效。", changed), "success")
    else:
        flash(_("没有修改。"), "info")
    return redirect(url_for("settings.index"))
