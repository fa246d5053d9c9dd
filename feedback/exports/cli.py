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
from feedback.exports.periods import PeriodError, Quarter, cut_off, parse_as_of, parse_month, parse_quarter, \
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


def _output(path: str | None, default_name) -> str:
    """-o, or a descriptive file name in the current folder (CONTRACT.md)."""
    if path is None:
        return os.path.join(os.getcwd(), default_name())
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


def _scope_code(unit: Unit | None) -> str:
    """--unit's code, else the single top unit's (a forest of top units: 全部)."""
    if unit is not None:
        return unit.code
    tops = db.session.execute(sa.select(Unit.code).where(Unit.parent_id.is_(None)).limit(2)).scalars().all()
    return tops[0] if len(tops) == 1 else "全部"


def _window(flag: str, value: str | None, date_from: str | None, date_to: str | None):
    """--month/--quarter, or --from and --to: exactly one of the two."""
    if value and (date_from or date_to):
        _fail(f"give either {flag} or --from and --to, not both")
    if value:
        return None
    if not date_from and not date_to:
        _fail(f"give the period: {flag}, or --from D --to D")
    if not date_from or not date_to:
        _fail(f"{'--from' if not date_from else '--to'} is missing: give both --from D and --to D")
    return parse_range(date_from, date_to, from_field="--from", to_field="--to")


@export_cli.command("closure", help="The monthly closure-rate export (按期办结率).")
@click.option("--month", help="YYYY-MM")
@click.option("--from", "date_from", help="first day, YYYY-MM-DD")
@click.option("--to", "date_to", help="last day (inclusive), YYYY-MM-DD")
@click.option("--as-of", "as_of", help="cut-off time (default now); without an offset it is Asia/Shanghai")
@click.option("--unit", "unit_code", help="only this unit's subtree")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), help="xlsx or csv")
@click.option("-o", "--output", "output", help="the file to write (default: a descriptive name here)")
@with_appcontext
def closure_command(month, date_from, date_to, as_of, unit_code, fmt, output):
    from feedback.exports.closure_sheet import default_filename, export_closure

    _require_format(fmt, "xlsx or csv")
    try:
        period = _window("--month YYYY-MM", month, date_from, date_to) or parse_month(month, "--month")
        cutoff = parse_as_of(as_of, "--as-of") or now()
    except PeriodError as exc:
        _fail(str(exc))
    unit = _unit(unit_code)
    path = _output(output, lambda: default_filename(period, fmt, _scope_code(unit)))
    result = export_closure(Actor.system("export"), period, cutoff, fmt, path, unit_code=unit_code)
    click.echo(f"wrote {path}: {result['units']} units, {result['late_or_overdue']} late or overdue tickets")


@export_cli.command("assessment", help="The assessment of a quarter or any window (考核, the notice draft).")
@click.option("--quarter", help="YYYYQn, e.g. 2026Q3 (cut back to --as-of's date when not over)")
@click.option("--from", "date_from", help="first day, YYYY-MM-DD (a window from one cut-off to the next)")
@click.option("--to", "date_to", help="last day (inclusive), YYYY-MM-DD")
@click.option("--as-of", "as_of", help="cut-off time (default now); without an offset it is Asia/Shanghai")
@click.option("--unit", "unit_code", help="only this unit's subtree")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx", "json"]), help="xlsx, docx or json")
@click.option("-o", "--output", "output", help="the file to write (default: a descriptive name here)")
@with_appcontext
def assessment_command(quarter, date_from, date_to, as_of, unit_code, fmt, output):
    from feedback.exports.assessment import default_filename, export_assessment

    _require_format(fmt, "xlsx, docx or json")
    try:
        window = _window("--quarter YYYYQn", quarter, date_from, date_to) or parse_quarter(quarter, "--quarter")
        cutoff = parse_as_of(as_of, "--as-of") or now()
        if isinstance(window, Quarter):
            cut_off(window.period, cutoff, "--as-of")
    except PeriodError as exc:
        _fail(str(exc))
    unit = _unit(unit_code)
    path = _output(output, lambda: default_filename(window, fmt, _scope_code(unit)))
    a = export_assessment(Actor.system("export"), window, cutoff, fmt, path, unit_code=unit_code)
    click.echo(f"wrote {path}: {len(a.rows)} units, {a.office.received} messages, "
               f"{a.period.date_from.isoformat()} to {a.period.date_to.isoformat()}")
