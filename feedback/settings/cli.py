"""`feedback settings show` / `feedback settings set KEY VALUE` (CONTRACT.md: Command line)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.settings import service
from feedback.settings.registry import SETTINGS, SettingError


@click.group("settings", help="The top office's settings (deadlines, deductions, the notice's wording).")
def settings_cli():
    pass


@settings_cli.command("show", help="Every setting in force now, one `KEY VALUE` a line.")
@with_appcontext
def show_command():
    values = service.snapshot()
    for key in SETTINGS:
        click.echo(f"{key} {service.shown(key, values[key])}")


@settings_cli.command("set", help="Save a new value, in force from now; audited.")
@click.argument("key")
@click.argument("value")
@with_appcontext
def set_command(key, value):
    from feedback.cli import fail

    try:
        change = service.set_value(key, value, Actor.system("command line"))
    except SettingError as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    shown = service.shown(key, service.get(key))
    if change is None:
        click.echo(f"{key} {shown} (unchanged)")
    else:
        click.echo(f"{key} {shown} (was {service.shown(key, SETTINGS[key].parse(change.previous))})")
