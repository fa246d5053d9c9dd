"""`feedback sweep` (CONTRACT.md: command line): the periodic sweep, run here and now."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


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
    from feedback.imports.run import requeue_stalled_imports

    counts["imports_resumed"] = len(requeue_stalled_imports(when))
    counts["exports_restarted"] = len(sweep_exports(when))
    counts["monthly_exports"] = len(monthly_exports(when))
    click.echo(json.dumps(counts, sort_keys=True))
