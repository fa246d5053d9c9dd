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
