"""`feedback units load FILE`, `feedback properties load FILE` (CONTRACT.md: Command line)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from feedback.directory.loaders import LoadErrors, load_properties, load_units
from feedback.errors import InputError
from feedback.extensions import db
from feedback.tabular import UnreadableFile


@click.group("units", help="The unit tree.")
def units_cli():
    pass


@click.group("properties", help="Websites and new-media accounts.")
def properties_cli():
    pass


@units_cli.command("load", help="Upsert units from CSV/XLSX: code, name, parent_code, kind.")
@click.argument("file")
@with_appcontext
def load_units_command(file):
    _load(file, load_units, "units")


@properties_cli.command("load", help="Upsert websites and new-media accounts from CSV/XLSX: "
                                     "unit_code, kind, name, site_code, url_prefixes, account.")
@click.argument("file")
@with_appcontext
def load_properties_command(file):
    _load(file, load_properties, "properties")


def _load(file: str, loader, noun: str) -> None:
    """One transaction: every row stored, or (any bad row) none."""
    from feedback.cli import fail

    try:
        result = loader(file)
        db.session.commit()
    except UnreadableFile as exc:
        db.session.rollback()
        fail(str(exc))
    except LoadErrors as exc:
        db.session.rollback()
        rows = {p.row for p in exc.problems}
        click.echo(f"feedback: error: {file}: {len(exc.problems)} problem(s) in {len(rows)} row(s); "
                   f"nothing was loaded", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(2)
    except InputError as exc:
        db.session.rollback()
        fail("; ".join(f"{name}: {message}" for name, message in exc.errors.items()) or exc.message)
    except sa.exc.IntegrityError as exc:  # another load or an admin changed the same rows meanwhile
        db.session.rollback()
        fail(f"{file}: the directory changed while loading ({exc.orig}); nothing was loaded, run it again")
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"{noun}: {result}")
