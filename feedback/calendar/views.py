"""Holiday calendar admin: which years are known, a year's special days, loading next year's
schedule (放假调休安排) from a CSV `date, is_workday, note` (CONTRACT.md: feedback calendar load)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from feedback.accounts.scope import ticket_scope
from feedback.calendar.models import CalendarDay
from feedback.calendar.service import current_calendar, parse_calendar_csv, store_days
from feedback.calendar.workdays import PACKAGE_YEARS
from feedback.errors import InputError
from feedback.extensions import db
from feedback.tickets.models import OPEN_STATES, Ticket
from feedback.timeutil import now
from feedback.web.helpers import actor, roles_required

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")

MAX_CALENDAR_BYTES = 200_000  # a year is at most 366 short lines


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


def recompute_provisional_deadlines() -> int | None:
    """Recompute the deadlines that were provisional, now that a year's schedule is known.

    MERGE: feedback/tickets/refresh.py (recompute_provisional) comes from the branch that builds
    `feedback calendar load`. Until it is merged this page stores the days and reports that the
    deadlines were not recomputed; check the call's signature when merging.
    """
    try:
        from feedback.tickets.refresh import recompute_provisional
    except ImportError:
        return None
    return recompute_provisional(current_calendar(), now())


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
    years = sorted(PACKAGE_YEARS | loaded_years | {this_year, this_year + 1})
    provisional = db.session.execute(
        sa.select(sa.func.count()).select_from(Ticket)
        .where(ticket_scope(actor()), Ticket.state.in_(OPEN_STATES), Ticket.deadline_provisional.is_(True))
    ).scalar_one()
    overrides = db.session.execute(
        sa.select(CalendarDay).where(CalendarDay.date >= date(year, 1, 1), CalendarDay.date <= date(year, 12, 31))
        .order_by(CalendarDay.date)
    ).scalars().all()
    return render_template(
        "calendar/index.html", year=year, years=years, calendar=calendar, loaded_years=loaded_years,
        package_years=PACKAGE_YEARS, special=calendar.special_days(year), overrides=overrides,
        provisional=provisional, form=UploadForm(), may_load=actor().is_root,
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
            raise InputError({"file": "no rows"})
        years = store_days(rows)
        recomputed = recompute_provisional_deadlines()
        db.session.commit()
    except InputError as exc:
        db.session.rollback()
        flash(_("文件有误，没有载入任何日期：%(e)s", e=exc.errors.get("file", "")), "error")
        return redirect(url_for("calendar.index"))
    shown = ", ".join(str(y) for y in sorted(years))
    flash(_("已载入 %(n)s 天（%(y)s 年）。", n=len(rows), y=shown), "success")
    if recomputed is None:
        flash(_("暂定期限将在下一次重算时更新。"), "warning")
    else:
        flash(_("已重新计算 %(n)s 张工单的期限。", n=recomputed), "info")
    return redirect(url_for("calendar.index", year=min(years)))
