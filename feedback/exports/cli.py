"""`feedback export closure|assessment` (CONTRACT.md: Command line).

Runs as the system actor over the whole tree (or --unit's subtree). Usage errors, bad dates
and unknown units print one line `feedback: error: …` and exit 2, before anything is written.
"""
from __future__ import annotations

import os
import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from feedback.accounts.scope import Actor
from feedback.directory.models import Unit
from feedback.exports.periods import PeriodError, Period, cut_off, parse_as_of, parse_month, parse_quarter, \
    parse_range
from feedback.extensions import db
from feedback.timeutil import now


def _fail(message: str) -> None:
    click.echo(f"feedback: error: {message}", err=True)
    sys.exit(2)


@click.group("export", help="Exports: monthly closure rates, quarterly assessment.")
def export_cli():
    pass


def _require_format(fmt: str | None, choices: str) -> None:
    # checked here rather than by click's required=True, whose message runs over several lines
    if fmt is None:
        _fail(f"--format is missing: give {choices}")


def _closure_period(month: str | None, date_from: str | None, date_to: str | None) -> Period:
    if month and (date_from or date_to):
        _fail("give either --month or --from and --to, not both")
    if month:
        return parse_month(month, "--month")
    if not date_from and not date_to:
        _fail("give the period: --month YYYY-MM, or --from D --to D")
    if not date_from or not date_to:
        _fail(f"{'--from' if not date_from else '--to'} is missing: give both --from D and --to D")
    return parse_range(date_from, date_to, from_field="--from", to_field="--to")


def _output(path: str) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        _fail(f"-o: the directory {directory} does not exist")
    if os.path.isdir(path):
        _fail(f"-o: {path} is a directory; give a file name")
    return path


def _unit(code: str | None) -> Unit | None:
    if code is None:
        return None
    unit = db.session.execute(sa.select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        _fail(f"--unit: no unit with code {code!r}")
    return unit


@export_cli.command("closure", help="The monthly closure-rate export (按期办结率).")
@click.option("--month", help="YYYY-MM")
@click.option("--from", "date_from", help="first day, YYYY-MM-DD")
@click.option("--to", "date_to", help="last day (inclusive), YYYY-MM-DD")
@click.option("--as-of", "as_of", help="cut-off time (default now); without an offset it is Asia/Shanghai")
@click.option("--unit", "unit_code", help="only this unit's subtree")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), help="xlsx or csv")
@click.option("-o", "--output", "output", required=True, help="the file to write")
@with_appcontext
def closure_command(month, date_from, date_to, as_of, unit_code, fmt, output):
    from feedback.exports.closure_sheet import export_closure

    _require_format(fmt, "xlsx or csv")
    try:
        period = _closure_period(month, date_from, date_to)
        cutoff = parse_as_of(as_of, "--as-of") or now()
    except PeriodError as exc:
        _fail(str(exc))
    path = _output(output)
    _unit(unit_code)
    result = export_closure(Actor.system("export"), period, cutoff, fmt, path, unit_code=unit_code)
    click.echo(f"wrote {path}: {result['units']} units, {result['late_or_overdue']} late or overdue tickets")


@export_cli.command("assessment", help="The quarterly assessment (季度考核).")
@click.option("--quarter", required=True, help="YYYYQn, e.g. 2026Q3")
@click.option("--as-of", "as_of", help="cut-off time (default now); without an offset it is Asia/Shanghai")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx", "json"]), help="xlsx, docx or json")
@click.option("-o", "--output", "output", required=True, help="the file to write")
@with_appcontext
def assessment_command(quarter, as_of, fmt, output):
    from feedback.exports.assessment import export_assessment

    _require_format(fmt, "xlsx, docx or json")
    try:
        q = parse_quarter(quarter, "--quarter")
        cutoff = parse_as_of(as_of, "--as-of") or now()
        cut_off(q.period, cutoff, "--as-of")
    except PeriodError as exc:
        _fail(str(exc))
    path = _output(output)
    a = export_assessment(Actor.system("export"), q, cutoff, fmt, path)
    click.echo(f"wrote {path}: {len(a.rows)} units, {a.total.received} messages, "
               f"{a.period.date_from.isoformat()} to {a.period.date_to.isoformat()}")
