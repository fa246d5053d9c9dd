import click


@click.group("units", help="The unit tree.")
def units_cli():
    pass


@click.group("properties", help="Websites and new-media accounts.")
def properties_cli():
    pass
