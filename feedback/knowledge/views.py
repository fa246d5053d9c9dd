"""知识库 pages: the office's reply templates, and how the replies built from them fared."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.errors import InputError
from feedback.extensions import db
from feedback.knowledge import service
from feedback.knowledge.models import ReplyTemplate
from feedback.tickets.models import CATEGORIES
from feedback.timeutil import now
from feedback.web.helpers import actor, roles_required

bp = Blueprint("knowledge", __name__)

FIELD_MESSAGES = {
    "title": _l("请填写标题（不超过 200 字）。"),
    "body": _l("请填写模板内容（不超过 20000 字），占位符只能用下面列出的几种。"),
    "category": _l("请选择问题类型。"),
}


def _may_edit() -> bool:
    """The top office keeps the 知识库; every supervisor sees it and its figures."""
    return actor().is_root


def _page(template=None, form=None, errors=None, status=200):
    return render_template("knowledge/templates.html", usage=service.usage(), categories=CATEGORIES,
                           placeholders=service.placeholder_names(), may_edit=_may_edit(),
                           editing=template, form=form or {}, errors=errors or {}), status


@bp.get("/templates")
@roles_required("supervisor")
def templates():
    return _page()


@bp.get("/templates/<int:template_id>")
@roles_required("supervisor")
def edit(template_id: int):
    template = db.session.get(ReplyTemplate, template_id) or abort(404)
    form = {"title": template.title, "body": template.body, "category": template.category or "",
            "active": "1" if template.active else ""}
    return _page(template, form)


@bp.post("/templates")
@bp.post("/templates/<int:template_id>")
@roles_required("supervisor")
def save(template_id: int | None = None):
    if not _may_edit():
        abort(403)
    template = None
    if template_id is not None:
        template = db.session.get(ReplyTemplate, template_id) or abort(404)
    form = request.form
    try:
        saved = service.save_template(template, title=form.get("title"), body=form.get("body"),
                                      category=form.get("category"),
                                      active=template is None or form.get("active") == "1",
                                      actor=actor(), at=now())
        db.session.commit()
    except InputError as exc:
        db.session.rollback()
        errors = {field: str(FIELD_MESSAGES.get(field, msg)) for field, msg in exc.errors.items()}
        return _page(template, form, errors, status=422)
    flash(_("模板“%(t)s”已保存。", t=saved.title), "success")
    return redirect(url_for("knowledge.templates"))
