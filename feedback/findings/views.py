"""整改 pages: the findings view (by notice, unit, state, overdue), one finding with its history
and actions, a new finding (also from a ticket), the 附件 upload and the XLSX of a notice.

Reads go through findings/scope.py, changes through findings/lifecycle.py; views parse forms
and render.
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from feedback.accounts.scope import get_ticket, units_query
from feedback.attachments import store
from feedback.directory.loaders import LoadErrors
from feedback.directory.models import Unit
from feedback.errors import Conflict, InputError, TooLarge
from feedback.extensions import csrf, db
from feedback.findings import attachments as finding_files
from feedback.findings import lifecycle, sheet
from feedback.findings.fields import parse
from feedback.findings.importing import import_findings
from feedback.findings.listing import FindingFilter, list_findings, sources
from feedback.findings.models import STATES
from feedback.findings.rules import is_overdue
from feedback.findings.scope import get_finding
from feedback.tabular import UnreadableFile
from feedback.tickets.models import CATEGORIES
from feedback.timeutil import now
from feedback.web.helpers import actor, roles_required

bp = Blueprint("findings", __name__)
MAX_FILES_IN_FORM = 3  # a 整改 report form carries at most this many files of the attachment limit

FINDING_STATE_LABELS = {"open": _l("待整改"), "reported": _l("待复核"), "accepted": _l("已整改")}
FINDING_ACTION_LABELS = {"create": _l("登记整改事项"), "report": _l("提交整改报告"),
                         "send-back": _l("复核不通过，退回整改"), "accept": _l("复核通过")}

# The person's words for what lifecycle and fields refuse (their messages are the API's).
FIELD_MESSAGES = {
    "unit_code": _l("请选择您管辖范围内的单位。"),
    "site_code": _l("网站标识码应为 10 位字母或数字，例如 1101000001。"),
    "account": _l("账号名称不超过 200 字。"),
    "category": _l("问题类型不超过 100 字。"),
    "description": _l("请填写存在的问题（不超过 20000 字）。"),
    "url": _l("问题网址不超过 2000 字。"),
    "fix_by": _l("请填写整改期限，例如 2026-03-25。"),
    "source": _l("来源不超过 200 字。"),
    "text": _l("请填写整改情况（不超过 20000 字）。"),
    "reason": _l("请填写退回理由（不超过 20000 字）。"),
    "attachments": _l("附件无效，请重新上传。"),
    "file": _l("请选择 PNG、JPEG、PDF、DOCX 或 XLSX 文件（不超过 10 MB）。"),
    "ticket_id": _l("没有这张工单，或者它不在您的管辖范围内。"),
}
# The list's filters, when a value in the address cannot be used.
FILTER_MESSAGES = {
    "state": _l("状态不正确，已显示全部整改事项。"),
    "unit": _l("没有这个单位，或者它不在您的管辖范围内。"),
    "overdue": _l("超期筛选不正确。"),
    "page": _l("页码应为正整数。"),
    "per_page": _l("每页条数应为 1 到 200。"),
}
DONE_MESSAGES = {"report": _l("整改报告已提交，等待复核。"), "send-back": _l("已退回整改。"),
                 "accept": _l("复核通过，整改完成。")}


def messages(errors: dict) -> dict:
    return {field: str(FIELD_MESSAGES.get(field, message)) for field, message in errors.items()}


def _units():
    return db.session.execute(units_query(actor()).order_by(Unit.path)).scalars().all()


@bp.app_template_filter("finding_state_label")
def _state_label(state):
    return FINDING_STATE_LABELS.get(state, state)


@bp.app_template_filter("finding_action_label")
def _action_label(action):
    return FINDING_ACTION_LABELS.get(action, action)


# --- lists ------------------------------------------------------------------------------------

@bp.get("/findings")
@login_required
def index():
    at = now()
    try:
        flt = FindingFilter.from_args(request.args)
        flt.per_page = 50
        return _render_index(list_findings(actor(), flt, at), at)
    except InputError as exc:  # a bad filter is named on the page; every finding shows below it
        errors = {field: str(FILTER_MESSAGES.get(field, message)) for field, message in exc.errors.items()}
        return _render_index(list_findings(actor(), FindingFilter(), at), at, errors=errors)


def _render_index(page, at, *, errors=None, import_errors=None, status=200):
    staff = current_user.role == "unit_staff"
    return render_template("findings/index.html", page=page, at=at, errors=errors or {}, args=request.args,
                           states=STATES, units=[] if staff else _units(), sources=sources(actor()),
                           is_overdue=is_overdue, import_errors=import_errors), status


@bp.get("/findings/export.xlsx")
@roles_required("supervisor", "viewer")
def export():
    source = (request.args.get("source") or "").strip() or None
    buffer = io.BytesIO()
    sheet.write_xlsx(actor(), source, now(), buffer)
    buffer.seek(0)
    name = f"整改情况_{source or '全部'}.xlsx"
    return send_file(buffer, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=name)


@bp.post("/findings/import")
@roles_required("supervisor")
def upload():
    upload = request.files.get("file")
    source = (request.form.get("source") or "").strip() or None
    if upload is None or not upload.filename:
        flash(_("请选择要导入的 XLSX 或 CSV 文件。"), "warning")
        return redirect(url_for("findings.index"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("upload" + Path(upload.filename).suffix.lower()[:8])
        upload.save(path)
        try:
            created = import_findings(path, actor(), now(), source=source)
            db.session.commit()
        except (LoadErrors, UnreadableFile) as exc:
            db.session.rollback()
            if isinstance(exc, LoadErrors):
                problems = [str(p) for p in exc.problems]
            else:  # the message names our temporary file: name the person's instead
                problems = [str(exc).replace(str(path), upload.filename)]
            at = now()
            return _render_index(list_findings(actor(), FindingFilter(), at), at, import_errors=problems, status=422)
    flash(_("已导入 %(n)d 项整改事项。", n=len(created)), "success")
    return redirect(url_for("findings.index", source=source or ""))


# --- a new finding ----------------------------------------------------------------------------

@bp.get("/findings/new")
@roles_required("supervisor")
def new():
    form = {}
    ticket = _ticket_from(request.args.get("ticket_id"))
    if ticket is not None:
        form = {"unit_code": ticket.unit.code if ticket.unit else "", "site_code": ticket.site_code or "",
                "category": ticket.category, "description": ticket.description, "url": ticket.url or "",
                "ticket_id": ticket.id}
    return _render_new(form, {}, ticket)


def _ticket_from(raw):
    if not raw:
        return None
    try:
        return get_ticket(actor(), int(raw))  # 404 outside scope
    except ValueError:
        abort(404)


def _render_new(form, errors, ticket, status=200):
    return render_template("findings/new.html", form=form, errors=errors, ticket=ticket, units=_units(),
                           categories=CATEGORIES), status


@bp.post("/findings/new")
@roles_required("supervisor")
def create():
    form = request.form
    ticket = _ticket_from(form.get("ticket_id"))
    fields, errors = parse({name: form.get(name) for name in
                            ("unit_code", "site_code", "account", "category", "description", "url", "fix_by",
                             "source")})
    try:
        if errors:
            raise InputError(errors)
        finding = lifecycle.create(fields, actor(), now(), ticket=ticket, via="form")
        db.session.commit()
    except InputError as exc:
        db.session.rollback()
        return _render_new(form, messages(exc.errors), ticket, 422)
    flash(_("已登记整改事项。"), "success")
    return redirect(url_for("findings.detail", finding_id=finding.id))


# --- one finding ------------------------------------------------------------------------------

@bp.get("/findings/<int:finding_id>")
@login_required
def detail(finding_id: int):
    return _render_detail(get_finding(actor(), finding_id))


def _render_detail(finding, form=None, errors=None, status=200):
    at = now()
    return render_template("findings/detail.html", finding=finding, overdue=is_overdue(finding.state, finding.fix_by, at),
                           allowed=lifecycle.allowed_actions(finding, actor()), form=form or {}, errors=errors or {},
                           files=finding_files.listed(finding), uploads=finding_files.available()), status


@bp.get("/findings/<int:finding_id>/files/<int:attachment_id>")
@login_required
def file(finding_id: int, attachment_id: int):
    att = finding_files.get(get_finding(actor(), finding_id), attachment_id)  # 404 outside scope
    return send_file(store.open_file(att), mimetype=att.content_type, as_attachment=True, download_name=att.name,
                     max_age=0)


# A report may carry files up to the attachment limit, over the app's body limit: the global CSRF
# check would read the body first under that limit, so this view checks the token itself.
@bp.post("/findings/<int:finding_id>/<action>")
@csrf.exempt
@login_required
def act(finding_id: int, action: str):
    request.max_content_length = store.body_limit() * MAX_FILES_IN_FORM
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            abort(400, "csrf")
    me = actor()
    finding = get_finding(me, finding_id, for_update=True)  # 404 outside the user's scope
    if action not in lifecycle.ACTIONS:
        abort(404)
    form = request.form
    at = now()
    try:
        data = {"text": form.get("text", "")} if action == "report" else \
            {"reason": form.get("reason", "")} if action == "send-back" else {}
        if action == "report":
            chosen = [f for f in request.files.getlist("files") if f.filename]
            if len(chosen) > MAX_FILES_IN_FORM:
                raise InputError({"file": f"at most {MAX_FILES_IN_FORM} files in one report"})
            ids = [finding_files.upload(finding, f, me, at)["id"] for f in chosen]
            if ids:
                data["attachments"] = ids
        lifecycle.apply(finding, action, me, at, data, attach=finding_files.attach)
        db.session.commit()
    except (InputError, TooLarge) as exc:
        db.session.rollback()
        errors = messages(exc.errors)
        errors["_action"] = action
        return _render_detail(get_finding(me, finding_id), form=form, errors=errors, status=422)
    except Conflict:
        db.session.rollback()
        flash(_("整改事项状态已经变化，这个操作没有执行。请查看最新状态。"), "warning")
        return redirect(url_for("findings.detail", finding_id=finding_id))
    flash(DONE_MESSAGES[action], "success")
    return redirect(url_for("findings.detail", finding_id=finding_id))
