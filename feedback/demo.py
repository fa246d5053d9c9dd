import click


@click.command("seed-demo", help="Fill an empty database with a realistic demo city.")
def seed_demo_command():
    raise click.ClickException("seed-demo is not implemented yet")
