"""`feedback import FILE` (CONTRACT.md: command line): the import, run here and now."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from feedback.cli import fail
from feedback.extensions import db
from feedback.jobs.imports import create_import, run_import, summary, write_results


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


@click.command("sweep", help="Find due reminders, escalations, digests, platform deliveries, stalled imports and "
                             "the monthly export, and run them (what `rq cron` does every few minutes; without Redis run it from cron).")
@click.option("--at", "at", metavar="TIME", help="Run as of this time (ISO 8601; no offset = Asia/Shanghai).")
@with_appcontext
def sweep_command(at):
    from feedback.jobs.sweep import run_sweep
    from feedback.jobs.timing import parse_at
    from feedback.timeutil import now

    try:
        when = parse_at(at) if at else now()
    except ValueError:
        raise click.BadParameter(f"{at!r} is not a time like 2026-11-26T09:00", param_hint="--at") from None
    counts = run_sweep(when)
    # Without Redis there is no `rq cron`: this command stands in for all of workers/cron.py.
    from feedback.exports.jobs import monthly_exports, sweep as sweep_exports
    from feedback.jobs.imports import requeue_stalled_imports

    counts["imports_resumed"] = len(requeue_stalled_imports(when))
    counts["exports_restarted"] = len(sweep_exports(when))
    counts["monthly_exports"] = len(monthly_exports(when))
    click.echo(json.dumps(counts, sort_keys=True))
