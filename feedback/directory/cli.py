"""`feedback units load FILE`, `feedback properties load FILE` (CONTRACT.md: Command line)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from feedback.directory.loaders import load_properties, load_units


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
    from feedback.cli import load_all_or_nothing

    result = load_all_or_nothing(file, lambda: loader(file), "loaded")
    click.echo(f"{noun}: {result}")
