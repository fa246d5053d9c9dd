"""`feedback import FILE` (CONTRACT.md: command line): the import, run here and now."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from feedback.cli import fail
from feedback.extensions import db
from feedback.imports.results import summary, write_results
from feedback.imports.run import create_import, run_import


def _progress(job) -> None:
    click.echo(f"feedback: import: {job.rows_done}/{job.rows_total} rows", err=True)


@click.command("import", help="Import a platform export or an office ledger (XLSX/CSV). "
                              "Prints a JSON summary and writes FILE.results.csv beside the file.")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def import_command(file):
    path = Path(file)
    if not path.is_file():
        fail(f"{file}: no such file")
    if not os.access(path, os.R_OK):
        fail(f"{file}: not readable")
    results = path.with_name(path.name + ".results.csv")
    if not os.access(results.parent, os.W_OK) or (results.exists() and not os.access(results, os.W_OK)):
        fail(f"{results}: cannot write the results there; copy the file to a writable folder")

    job = create_import(path, path.name, origin="cli")
    db.session.commit()
    job = run_import(job.id, progress=_progress)
    if job.status == "failed":
        fail(f"{file}: {job.error}")
    write_results(job.id, results)
    click.echo(json.dumps({**summary(job), "results": str(results.resolve())}, ensure_ascii=False))
