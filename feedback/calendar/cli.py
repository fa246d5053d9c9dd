import click


@click.group("calendar", help="The working-day calendar.")
def calendar_cli():
    pass
