"""Export pages: request an export (a background job), watch its progress, download it.

Supervisors and viewers, within their scope: a job belongs to its scope unit, and only people
whose scope covers that unit see it, poll it or download it (404 for everyone else, like a
ticket outside one's scope).
"""
from __future__ import annotations

import os
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from feedback import formats
from feedback.accounts.models import User
from feedback.accounts.scope import unit_ids_clause, unit_in_scope
from feedback.directory.models import Unit
from feedback.exports import jobs, notice
from feedback.exports.periods import Quarter
from feedback.exports.forms import AssessmentForm, ClosureForm, default_month
from feedback.exports.models import ExportJob
from feedback.exports.periods import PeriodError, parse_quarter
from feedback.extensions import db
from feedback.timeutil import local_date, now
from feedback.web.helpers import actor, page_arg, roles_required

bp = Blueprint("exports", __name__)

ROLES = ("supervisor", "viewer")
KIND_LABELS = {"closure": _l("月度按期办结率"), "assessment": _l("季度考核")}
STATUS_LABELS = {"queued": _l("排队中"), "running": _l("生成中"), "done": _l("已完成"), "failed": _l("失败")}


viewer_required = roles_required(*ROLES)


def _job_in_scope(job_id: int) -> tuple[ExportJob, Unit]:
    job = db.session.get(ExportJob, job_id)
    unit = db.session.get(Unit, job.scope_unit_id) if job is not None else None
    if job is None or unit is None or not unit_in_scope(actor(), unit):
        abort(404)
    return job, unit


def period_label(job: ExportJob) -> str:
    """The period of an export as every page names one (feedback/formats.py)."""
    p = job.params or {}
    try:
        if job.kind == "assessment":
            q = parse_quarter(p.get("quarter"))
            return formats.quarter(q.year, q.number)
        if p.get("month"):
            year, month = p["month"].split("-")
            return formats.month(int(year), int(month))
        return formats.date_range(date.fromisoformat(p["date_from"]), date.fromisoformat(p["date_to"]))
    except (KeyError, ValueError, PeriodError):  # a job written by an older version
        return str(p.get("quarter") or p.get("month") or "")


def _forms():
    today = local_date(now())
    closure = ClosureForm(prefix="closure")
    assessment = AssessmentForm(prefix="assessment")
    assessment.fill_quarters(today)
    if request.method == "GET":
        closure.month.data = default_month(today)
    return closure, assessment


def _past_jobs(page: int):
    per_page = current_app.config.get("PER_PAGE", 50)
    base = (sa.select(ExportJob, Unit.name, User.display_name, User.username)
            .join(Unit, Unit.id == ExportJob.scope_unit_id)
            .outerjoin(User, User.id == ExportJob.owner_id)
            .where(unit_ids_clause(actor())))
    total = db.session.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    rows = db.session.execute(base.order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total, per_page


@bp.route("/exports", methods=["GET", "POST"])
@viewer_required
def index():
    closure, assessment = _forms()
    if request.method == "POST":
        form = closure if request.form.get("closure-kind") == "closure" else assessment
        if form.validate_on_submit():
            return redirect(url_for(".job", job_id=_request_job(form)))
    page = page_arg()
    rows, total, per_page = _past_jobs(page)
    today = local_date(now())
    last = notice.last_cutoff(current_user.unit_id)
    return render_template("exports/index.html", closure=closure, assessment=assessment, rows=rows,
                           last_notice=last, next_window=notice.next_window(current_user.unit_id, today),
                           listing=SimpleNamespace(page=page, per_page=per_page, total=total),
                           period_label=period_label, KIND_LABELS=KIND_LABELS, STATUS_LABELS=STATUS_LABELS), (
        422 if request.method == "POST" else 200)


def _request_job(form) -> int:
    t = now()
    if isinstance(form, ClosureForm):
        params = jobs.closure_params(form.period, t, form.month.data or None)
        job = jobs.new_job("closure", form.format.data, params, current_user.unit, owner_id=current_user.id)
    elif isinstance(form.window, Quarter):
        params = jobs.assessment_params(form.window.label, t)
        job = jobs.new_job("assessment", form.format.data, params, current_user.unit, owner_id=current_user.id)
    else:
        params = jobs.assessment_params(None, t, form.window)
        job = jobs.new_job("assessment", form.format.data, params, current_user.unit, owner_id=current_user.id)
    db.session.commit()
    if not jobs.start(job):
        flash(_("后台任务暂时无法启动，系统会在几分钟内自动重试；本页会显示进度。"), "warning")
    return job.id


def _status(job: ExportJob) -> dict:
    done = jobs.is_finished(job)
    return {
        "id": job.id, "status": job.status, "status_label": str(STATUS_LABELS.get(job.status, job.status)),
        "progress": job.progress,
        "download_url": url_for(".download", job_id=job.id) if done else None,
        "filename": job.filename if done else None,
        "error": job.error if job.status == "failed" else None,
    }


@bp.get("/exports/<int:job_id>")
@viewer_required
def job(job_id: int):
    job, unit = _job_in_scope(job_id)
    return render_template("exports/job.html", job=job, unit=unit, status=_status(job), period_label=period_label,
                           KIND_LABELS=KIND_LABELS)


@bp.get("/exports/<int:job_id>/status")
@viewer_required
def status(job_id: int):
    job, _unit = _job_in_scope(job_id)
    return jsonify(_status(job))


@bp.get("/exports/<int:job_id>/download")
@viewer_required
def download(job_id: int):
    job, _unit = _job_in_scope(job_id)
    if not jobs.is_finished(job) or not os.path.realpath(job.path).startswith(
            os.path.realpath(current_app.config["EXPORT_DIR"]) + os.sep):
        abort(404)
    return send_file(job.path, mimetype=jobs.MIMETYPES.get(job.format), as_attachment=True,
                     download_name=job.filename or os.path.basename(job.path), max_age=0)
