"""Holiday calendar admin: which years are known, a year's special days, loading next year's
schedule (放假调休安排) from a CSV `date, is_workday, note` (CONTRACT.md: feedback calendar load)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from feedback.accounts.scope import ticket_scope
from feedback.calendar.models import CalendarDay
from feedback.calendar.service import current_calendar, parse_calendar_csv
from feedback.calendar.workdays import PACKAGE_YEARS
from feedback.errors import InputError
from feedback.extensions import db
from feedback.tickets.models import Ticket, is_open
from feedback.timeutil import now
from feedback.web.helpers import actor, roles_required

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")

MAX_CALENDAR_BYTES = 200_000  # a year is at most 366 short lines


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


def load_and_commit(rows, at) -> tuple[set[int], int]:
    """Store the days, recompute the deadlines they move and tell the units, as
    `feedback calendar load` does; commits. Returns the years touched and how many tickets
    changed."""
    from feedback.calendar.loading import after_load_committed, load_schedule

    outcome = load_schedule(rows, at)
    db.session.commit()
    after_load_committed(outcome, at)
    return outcome.years, len(outcome.changed)


@bp.get("")
@roles_required("supervisor")
def index():
    calendar = current_calendar()
    this_year = now().year
    try:
        year = int(request.args.get("year", this_year + 1))
    except ValueError:
        year = this_year + 1
    if not 1990 <= year <= 2200:
        abort(404)
    loaded_years = {d.year for d in calendar.overrides}
    # Recent years and anything loaded; the package's older years are summed up as a range.
    years = sorted({y for y in PACKAGE_YEARS | loaded_years if y >= this_year - 1} | {this_year, this_year + 1})
    provisional = db.session.execute(
        sa.select(sa.func.count()).select_from(Ticket)
        .where(ticket_scope(actor()), is_open(), Ticket.deadline_provisional.is_(True))
    ).scalar_one()
    notes = dict(db.session.execute(sa.select(CalendarDay.date, CalendarDay.note).where(
        CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31)))).all())
    special = [(day, workday, notes.get(day) or note) for day, workday, note in calendar.special_days(year)]
    return render_template(
        "calendar/index.html", year=year, years=years, calendar=calendar, loaded_years=loaded_years,
        package_years=PACKAGE_YEARS, package_range=(min(PACKAGE_YEARS), max(PACKAGE_YEARS)),
        special=special, provisional=provisional, form=UploadForm(),
        may_load=actor().is_root,
    )


@bp.post("")
@roles_required("supervisor")
def upload():
    # The calendar is national and shared by every unit: only the top office loads it.
    if not actor().is_root:
        abort(403)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("请选择要上传的 CSV 文件。"), "error")
        return redirect(url_for("calendar.index"))
    data = form.file.data.read(MAX_CALENDAR_BYTES + 1)
    if len(data) > MAX_CALENDAR_BYTES:
        flash(_("文件太大：节假日安排每年只有几十行。"), "error")
        return redirect(url_for("calendar.index"))
    try:
        rows = parse_calendar_csv(data)
        if not rows:
            raise InputError({"file": _("文件中没有日期行")})
        years, recomputed = load_and_commit(rows, now())
    except InputError as exc:
        db.session.rollback()
        flash(_("文件有误，没有载入任何日期：%(e)s", e=exc.errors.get("file", "")), "error")
        return redirect(url_for("calendar.index"))
    shown = ", ".join(str(y) for y in sorted(years))
    flash(ngettext("已载入 %(num)s 天（%(y)s 年）。", "已载入 %(num)s 天（%(y)s 年）。", len(rows), y=shown), "success")
    flash(ngettext("已重新计算 %(num)s 张工单的期限。", "已重新计算 %(num)s 张工单的期限。", recomputed), "info")
    return redirect(url_for("calendar.index", year=min(years)))
