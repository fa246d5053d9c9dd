"""Pages for file imports (supervisors): upload, watch progress, download the per-row results."""
from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, \
    stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge

from feedback.accounts.scope import Actor
from feedback.errors import NotFound
from feedback.extensions import csrf, db, login_manager
from feedback.imports.models import ImportJob
from feedback.imports.results import error_rows, get_import, results_csv, status_json, visible_imports
from feedback.imports.retention import room_for
from feedback.imports.run import give_up, store_upload, submit
from feedback.imports.sheets import size_text
from feedback.web.helpers import page_arg

bp = Blueprint("imports", __name__)
log = logging.getLogger(__name__)
ERRORS_SHOWN = 20


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


def supervisor_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != "supervisor":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _actor() -> Actor:
    return Actor.of(current_user)


def _job(job_id: int) -> ImportJob:
    try:
        return get_import(_actor(), job_id)
    except NotFound:
        abort(404)


def _listing(form, error=None, status=200):
    page = page_arg()
    jobs = db.paginate(visible_imports(_actor()).order_by(ImportJob.id.desc()), page=page,
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("imports/imports.html", form=form, jobs=jobs, error=error,
                           limit=size_text(current_app.config["IMPORT_MAX_BYTES"])), status


@bp.get("/imports")
@supervisor_required
def index():
    return _listing(UploadForm())


# The global CSRF check would parse the body under the app's small request limit before this view
# could raise it for uploads; the form below checks the CSRF token itself instead.
@bp.post("/imports")
@csrf.exempt
@supervisor_required
def upload():
    limit = current_app.config["IMPORT_MAX_BYTES"]
    request.max_content_length = limit + 64 * 1024  # room for the multipart framing
    try:
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _listing(UploadForm(formdata=None),
                        _("文件超过导入上限 %(limit)s；请拆成几个文件分别导入", limit=size_text(limit)), 413)
    if not valid:
        return _listing(form, _("请选择要导入的 XLSX 或 CSV 文件"), 400)
    if not room_for(request.content_length or 0):
        return _listing(UploadForm(formdata=None),
                        _("已保存的导入文件已达存储上限；请等待旧的导入结果到期清理后再试，或联系管理员"), 507)
    job = store_upload(form.file.data, current_user)
    try:
        submit(job)
    except Exception:  # only an in-process run (no REDIS_URL) can fail here
        log.exception("import %s failed in-process", job.id)
        db.session.rollback()
        give_up(job.id, _("导入时出现内部错误；已导入的行保留，请稍后重试或联系管理员"))
    return redirect(url_for("imports.detail", job_id=job.id), 303)


@bp.get("/imports/<int:job_id>")
@supervisor_required
def detail(job_id: int):
    job = _job(job_id)
    return render_template("imports/import.html", job=job, errors=error_rows(job.id, ERRORS_SHOWN),
                           errors_shown=ERRORS_SHOWN)


@bp.get("/imports/<int:job_id>/status")
@supervisor_required
def status(job_id: int):
    job = _job(job_id)
    return jsonify({**status_json(job), "results_url": url_for("imports.results", job_id=job.id)})


@bp.get("/imports/<int:job_id>/results.csv")
@supervisor_required
def results(job_id: int):
    job = _job(job_id)
    return Response(stream_with_context(results_csv(job.id)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="import-{job.id}-results.csv"'})
