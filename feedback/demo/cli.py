"""`feedback seed-demo`: the demo city on an empty database, and the accounts to try it with."""
import click
from flask.cli import with_appcontext

from feedback.cli import fail
from feedback.demo.city import CITY
from feedback.demo.seed import seed_demo
from feedback.errors import Conflict
from feedback.extensions import db
from feedback.timeutil import iso, now


@click.command("seed-demo", help="Fill an empty database with a realistic demo city and print its accounts.")
@click.option("--seed", "rng_seed", type=int, default=2026, show_default=True, help="random seed")
@with_appcontext
def seed_demo_command(rng_seed):
    at = now()
    try:
        demo = seed_demo(at, rng_seed)
        db.session.commit()
    except Conflict as exc:
        db.session.rollback()
        fail(exc.message)
    click.echo(f"seeded {CITY} as of {iso(at)}: {demo.units} units, {demo.properties} sites and accounts, "
               f"{demo.tickets} tickets")
    click.echo("accounts (username, role, unit, password):")
    width = max(len(a.username) for a in demo.accounts)
    for a in demo.accounts:
        click.echo(f"  {a.username:<{width}}  {a.role:<10}  {a.unit_code} {a.unit_name}  {a.password}")
    click.echo(demo.clerk_hint)
    click.echo(f"API token of {demo.accounts[0].username} (shown once): {demo.token}")
