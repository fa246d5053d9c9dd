"""`feedback findings import FILE` (CONTRACT.md: Command line)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from feedback.accounts.scope import Actor
from feedback.timeutil import now


@click.group("findings", help="整改 findings.")
def findings_cli():
    pass


@findings_cli.command("import", help="Import a notice's problem table (XLSX/CSV) as 整改 findings: unit_code, "
                                     "site_code or account, category, description, url, fix_by, source. "
                                     "All rows or none.")
@click.argument("file")
@click.option("--source", default=None, help="The notice, for rows whose 来源 (source) cell is empty.")
@with_appcontext
def import_command(file, source):
    from feedback.cli import load_all_or_nothing
    from feedback.findings.importing import import_findings

    created = load_all_or_nothing(file, lambda: import_findings(file, Actor.system("import"), now(), source=source),
                                  "imported")
    click.echo(f"findings: created {len(created)}")
