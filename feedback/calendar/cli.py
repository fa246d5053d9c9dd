"""`feedback calendar load FILE`, `feedback calendar show YEAR` (CONTRACT.md: Command line)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from feedback.calendar.models import CalendarDay
from feedback.calendar.service import current_calendar, parse_calendar_csv
from feedback.calendar.workdays import PACKAGE_YEARS
from feedback.errors import InputError
from feedback.extensions import db
from feedback.timeutil import now

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@click.group("calendar", help="The working-day calendar.")
def calendar_cli():
    pass


@calendar_cli.command("load", help="Load CSV `date, is_workday, note` (is_workday 1/0) over the "
                                   "built-in calendar and recompute provisional deadlines.")
@click.argument("file")
@with_appcontext
def load_command(file):
    from feedback.cli import fail
    from feedback.calendar.loading import after_load_committed, load_schedule

    try:
        data = Path(file).read_bytes()
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})")
    try:
        rows = parse_calendar_csv(data)
    except InputError as exc:
        fail(f"{file}: {exc.errors['file']}; nothing was loaded")
    if not rows:
        fail(f"{file}: no days in it; write one line per day: date,is_workday,note (e.g. 2027-01-01,0,元旦)")
    at = now()
    try:
        outcome = load_schedule(rows, at)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    after_load_committed(outcome, at)
    click.echo(f"loaded {len(rows)} day(s) for {', '.join(map(str, sorted(outcome.years)))}; "
               f"deadlines recomputed: {len(outcome.changed)} ticket(s) changed; units told: {outcome.units_told}")


@calendar_cli.command("show", help="Print a year's non-standard days and whether the year is known.")
@click.argument("year", type=click.IntRange(1900, 2200))
@with_appcontext
def show_command(year):
    calendar = current_calendar()
    notes = dict(db.session.execute(sa.select(CalendarDay.date, CalendarDay.note).where(
        CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31)))).all())
    click.echo(f"{year}: {_known(year, bool(notes), calendar.is_known_year(year))}")
    for day, workday, note in calendar.special_days(year):
        if day in notes:  # a loaded day shows the note it was loaded with
            note = notes[day] or "loaded"
        click.echo(f"{day.isoformat()} {WEEKDAYS[day.weekday()]} {'workday' if workday else 'holiday'}"
                   f"{' ' + note if note else ''}")


def _known(year: int, loaded: bool, known: bool) -> str:
    if year in PACKAGE_YEARS:
        return "known (built-in calendar" + (", with loaded changes)" if loaded else ")")
    if known:
        return "known (loaded calendar)"
    return "not known: weekends only; deadlines reaching into it are provisional until it is loaded"
