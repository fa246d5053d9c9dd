import click


@click.command("import", help="Import a platform export or an office ledger (XLSX/CSV).")
@click.argument("file", type=click.Path(dir_okay=False))
def import_command(file):
    raise click.ClickException("import is not implemented yet")


# --- the sweep (issue 6, notifications): kept apart from the import command above ------------
from flask.cli import with_appcontext  # noqa: E402


@click.command("sweep", help="Find due reminders, escalations, digests and platform deliveries, and send "
                             "them (what `rq cron` does every few minutes; without Redis run it from cron).")
@click.option("--at", "at", metavar="TIME", help="Run as of this time (ISO 8601; no offset = Asia/Shanghai).")
@with_appcontext
def sweep_command(at):
    import json

    from feedback.jobs.sweep import run_sweep
    from feedback.jobs.timing import parse_at
    from feedback.timeutil import now

    try:
        when = parse_at(at) if at else now()
    except ValueError:
        raise click.BadParameter(f"{at!r} is not a time like 2026-11-26T09:00", param_hint="--at") from None
    click.echo(json.dumps(run_sweep(when), sort_keys=True))
