"""`feedback findings import FILE` (CONTRACT.md: Command line)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from feedback.accounts.scope import Actor
from feedback.directory.loaders import LoadErrors
from feedback.extensions import db
from feedback.tabular import UnreadableFile
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
    from feedback.cli import fail
    from feedback.findings.importing import import_findings

    try:
        created = import_findings(file, Actor.system("import"), now(), source=source)
        db.session.commit()
    except UnreadableFile as exc:
        db.session.rollback()
        fail(str(exc))
    except LoadErrors as exc:
        db.session.rollback()
        rows = {p.row for p in exc.problems}
        click.echo(f"feedback: error: {file}: {len(exc.problems)} problem(s) in {len(rows)} row(s); "
                   f"nothing was imported", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(2)
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"findings: created {len(created)}")
