"""The `feedback` command: the Flask CLI plus one group per capability (CONTRACT.md)."""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup


def register_commands(app) -> None:
    from feedback.accounts.cli import token_cli, user_cli
    from feedback.calendar.cli import calendar_cli
    from feedback.demo import seed_demo_command
    from feedback.directory.cli import properties_cli, units_cli
    from feedback.exports.cli import export_cli
    from feedback.findings.cli import findings_cli
    from feedback.imports.cli import import_command
    from feedback.jobs.cli import sweep_command
    from feedback.settings.cli import settings_cli

    for command in (units_cli, properties_cli, user_cli, token_cli, calendar_cli, export_cli,
                    import_command, sweep_command, seed_demo_command, findings_cli, settings_cli):
        app.cli.add_command(command)


def _create_app():
    from feedback import create_app

    return create_app()


cli = FlaskGroup(create_app=_create_app, add_version_option=False, help="找错工单 command line.")


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr, then exit (CONTRACT.md: bad input exits 2)."""
    click.echo(f"feedback: error: {message}", err=True)
    sys.exit(code)


def load_all_or_nothing(file: str, load, noun: str):
    """Run `load()` as one transaction for a file of rows: every row stored, or (any bad row,
    an unreadable file) none, with one line per problem on stderr and exit 2 (CONTRACT.md).
    `noun` finishes "nothing was …" ("loaded", "imported"). Returns what `load()` returned."""
    import sqlalchemy as sa

    from feedback.directory.loaders import LoadErrors
    from feedback.errors import InputError
    from feedback.extensions import db
    from feedback.tabular import UnreadableFile

    try:
        result = load()
        db.session.commit()
        return result
    except UnreadableFile as exc:
        db.session.rollback()
        fail(str(exc))
    except LoadErrors as exc:
        db.session.rollback()
        rows = {p.row for p in exc.problems}
        click.echo(f"feedback: error: {file}: {len(exc.problems)} problem(s) in {len(rows)} row(s); "
                   f"nothing was {noun}", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(2)
    except InputError as exc:
        db.session.rollback()
        fail("; ".join(f"{name}: {message}" for name, message in exc.errors.items()) or exc.message)
    except sa.exc.IntegrityError as exc:  # another load or an admin changed the same rows meanwhile
        db.session.rollback()
        fail(f"{file}: the same rows changed meanwhile ({exc.orig}); nothing was {noun}, run it again")
    except BaseException:
        db.session.rollback()
        raise


def main() -> None:
    try:
        cli.main(prog_name="feedback", standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted")
    except click.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None) is not None:
            click.echo(exc.ctx.get_help(), err=True)
            sys.exit(2)
        fail(exc.format_message(), exc.exit_code if exc.exit_code else 2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
